//! A small blocking HTTP/1.1 client over `std::net::TcpStream`, for the REPL's remote
//! backend and the server's tests: one request per connection, bodies read as they stream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use base64::Engine as _;

use super::error::ServerError;

/// How long a connection attempt may take before the client gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest status or header line the client accepts.
const MAX_HEADER_LINE: usize = 64 * 1024;

/// Where a server is and how to log in to it.
#[derive(Debug, Clone)]
pub struct HttpClient {
    address: SocketAddr,
    host: String,
    /// `user:password` for basic authentication, if any.
    credentials: Option<String>,
}

/// A response whose body is read as it arrives (chunked or with a length).
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    body: Box<dyn BufRead + Send>,
    /// The connection, kept to shut it down early (a client that leaves a push query).
    stream: TcpStream,
}

impl HttpClient {
    /// A client of the server at `url` (`http://host:port`, or `host:port`).
    pub fn new(url: &str) -> Result<Self, ServerError> {
        let rest = url.strip_prefix("http://").unwrap_or(url);
        if rest.starts_with("https://") || url.starts_with("https://") {
            return Err(ServerError::Client(format!(
                "{url}: Runnel's client speaks plain HTTP only"
            )));
        }
        let host = rest.trim_end_matches('/').to_string();
        let address = host
            .to_socket_addrs()
            .map_err(|e| ServerError::Client(format!("cannot resolve {host}: {e}")))?
            .next()
            .ok_or_else(|| ServerError::Client(format!("{host} resolves to no address")))?;
        Ok(HttpClient {
            address,
            host,
            credentials: None,
        })
    }

    /// The same client, sending `user:password` with every request.
    pub fn with_credentials(mut self, credentials: Option<String>) -> Self {
        self.credentials = credentials;
        self
    }

    /// Sends one request; `body` is sent with a Content-Length.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<HttpResponse, ServerError> {
        let io = |e: std::io::Error| {
            ServerError::Client(format!("{method} {path} to {}: {e}", self.address))
        };
        let mut stream = TcpStream::connect_timeout(&self.address, CONNECT_TIMEOUT).map_err(io)?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.host,
            body.len()
        );
        if let Some(credentials) = &self.credentials {
            let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
            head.push_str(&format!("Authorization: Basic {encoded}\r\n"));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(body).map_err(io)?;
        stream.flush().map_err(io)?;
        let mut reader = BufReader::new(stream.try_clone().map_err(io)?);
        let status_line = read_line(&mut reader).map_err(io)?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| {
                ServerError::Client(format!("{method} {path}: bad status line {status_line:?}"))
            })?;
        let mut headers = Vec::new();
        loop {
            let line = read_line(&mut reader).map_err(io)?;
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let body: Box<dyn BufRead + Send> = if header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            Box::new(BufReader::new(ChunkedReader::new(reader)))
        } else if let Some(length) = header("content-length").and_then(|v| v.parse::<u64>().ok()) {
            Box::new(reader.take(length))
        } else {
            Box::new(reader)
        };
        Ok(HttpResponse {
            status,
            headers,
            body,
            stream,
        })
    }

    /// POSTs a JSON body.
    pub fn post_json(
        &self,
        path: &str,
        accept: &str,
        body: &serde_json::Value,
    ) -> Result<HttpResponse, ServerError> {
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/json"), ("Accept", accept)],
            body.to_string().as_bytes(),
        )
    }
}

impl HttpResponse {
    /// A response header by its (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The next line of the body without its line end; `None` at the end of the body.
    pub fn next_line(&mut self) -> Result<Option<String>, ServerError> {
        let mut line = String::new();
        let read = self
            .body
            .read_line(&mut line)
            .map_err(|e| ServerError::Client(format!("reading the response: {e}")))?;
        if read == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
    }

    /// The whole rest of the body as text.
    pub fn text(mut self) -> Result<String, ServerError> {
        let mut text = String::new();
        self.body
            .read_to_string(&mut text)
            .map_err(|e| ServerError::Client(format!("reading the response: {e}")))?;
        Ok(text)
    }

    /// The whole rest of the body as JSON.
    pub fn json(self) -> Result<serde_json::Value, ServerError> {
        let text = self.text()?;
        serde_json::from_str(&text)
            .map_err(|e| ServerError::Client(format!("the server sent bad JSON ({e}): {text}")))
    }

    /// Closes the connection without reading the rest (leaving a push query).
    pub fn disconnect(self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

fn read_line(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    reader
        .by_ref()
        .take(MAX_HEADER_LINE as u64)
        .read_line(&mut line)?;
    if line.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Decodes a chunked body (RFC 9112 section 7.1) as a plain byte stream.
struct ChunkedReader<R> {
    inner: R,
    /// Bytes left in the current chunk.
    remaining: u64,
    finished: bool,
}

impl<R: BufRead> ChunkedReader<R> {
    fn new(inner: R) -> Self {
        ChunkedReader {
            inner,
            remaining: 0,
            finished: false,
        }
    }
}

impl<R: BufRead> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.finished || buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            let size_line = read_line(&mut self.inner)?;
            let size_text = size_line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size_text, 16).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("bad chunk size line {size_line:?}"),
                )
            })?;
            if size == 0 {
                self.finished = true;
                return Ok(0);
            }
            self.remaining = size;
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..want])?;
        if read == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the connection closed inside a chunk",
            ));
        }
        self.remaining -= read as u64;
        if self.remaining == 0 {
            // Each chunk's data ends with CRLF.
            read_line(&mut self.inner)?;
        }
        Ok(read)
    }
}

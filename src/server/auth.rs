//! Basic authentication: the configured user and password, and the middleware that
//! answers 401 with a `WWW-Authenticate` challenge to requests without them.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::error::{ApiError, ServerError, UNAUTHORIZED};
use super::state::AppState;

/// The one user the server lets in.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

/// Never prints the password (configurations get logged).
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

impl Credentials {
    /// `user:password` (the password may contain ':').
    pub fn parse(text: &str) -> Result<Self, ServerError> {
        match text.trim().split_once(':') {
            Some((user, password)) if !user.is_empty() => Ok(Credentials {
                user: user.to_string(),
                password: password.to_string(),
            }),
            // The text may hold a password: the message does not repeat it.
            _ => Err(ServerError::Credentials(
                "no user before the ':'".to_string(),
            )),
        }
    }

    /// The first non-empty, non-comment line of `path`, as `user:password`.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ServerError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ServerError::CredentialsFile {
                path: path.display().to_string(),
                source,
            })?;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        Self::parse(line).map_err(|_| {
            ServerError::Credentials(format!("in {}: no user:password line", path.display()))
        })
    }

    /// Whether an `Authorization` header value carries these credentials.
    fn accepts(&self, authorization: &str) -> bool {
        let Some(encoded) = authorization.strip_prefix("Basic ") else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let expected = format!("{}:{}", self.user, self.password);
        constant_time_equal(&decoded, expected.as_bytes())
    }
}

/// Compares without stopping at the first difference, so timing reveals nothing.
fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lets a request through when no credentials are configured or it carries them.
pub async fn require_credentials(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(credentials) = &state.credentials else {
        return next.run(request).await;
    };
    let allowed = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| credentials.accepts(v));
    if allowed {
        return next.run(request).await;
    }
    let mut response = ApiError::generic(
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
        "Unauthorized: this server requires basic authentication",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"runnel\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_parse_and_check_the_authorization_header() {
        let credentials = Credentials::parse("ann:se:cret").expect("valid");
        assert_eq!(credentials.password, "se:cret");
        let good = base64::engine::general_purpose::STANDARD.encode("ann:se:cret");
        assert!(credentials.accepts(&format!("Basic {good}")));
        let bad = base64::engine::general_purpose::STANDARD.encode("ann:wrong");
        assert!(!credentials.accepts(&format!("Basic {bad}")));
        assert!(!credentials.accepts("Bearer x"));
        assert!(Credentials::parse("nopassword").is_err());
        assert!(Credentials::parse(":x").is_err());
    }
}

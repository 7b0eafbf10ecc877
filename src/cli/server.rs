//! `runnel server`: serves ksqlDB's REST API over the data directory until Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::server::{Credentials, Server, ServerConfig, ServerError};

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Where to listen; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:8088")]
    pub listen: SocketAddr,
    /// Require basic authentication with these credentials (`user:password`).
    #[arg(long, conflicts_with = "auth_file")]
    pub auth: Option<String>,
    /// Require basic authentication with the `user:password` line of this file.
    #[arg(long)]
    pub auth_file: Option<PathBuf>,
}

pub fn run(data_dir: &Path, args: ServerArgs) -> Result<(), ServerError> {
    let credentials = match (&args.auth, &args.auth_file) {
        (Some(text), _) => Some(Credentials::parse(text)?),
        (None, Some(path)) => Some(Credentials::from_file(path)?),
        (None, None) => None,
    };
    let secured = if credentials.is_some() {
        " (basic authentication required)"
    } else {
        ""
    };
    let server = Server::start(ServerConfig {
        listen: args.listen,
        data_dir: data_dir.to_path_buf(),
        credentials,
    })?;
    println!(
        "Runnel server listening on http://{}{secured}; Ctrl-C stops it.",
        server.local_addr()
    );
    server.run_until_interrupted()
}

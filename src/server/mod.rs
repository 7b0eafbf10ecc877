//! The HTTP server: ksqlDB's REST API (`/ksql`, `/query`, `/query-stream`,
//! `/close-query`, `/inserts-stream`, `/info`, `/healthcheck`) over one shared engine.
//!
//! The engine is synchronous and single-owner, so it sits behind a mutex as in the
//! REPL: a [`Driver`] thread keeps the persistent queries running, handlers lock the
//! engine on tokio's blocking threads, and each push query streams from its own thread
//! with its own read positions (it needs no engine lock to poll), taking the records
//! its source's shared feed decoded once for every push query on that source.

pub mod auth;
pub mod client;
pub mod entities;
pub mod error;
pub mod framing;
pub mod info;
pub mod inserts;
pub mod ksql;
pub mod push_registry;
pub mod query;
pub mod router;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::oneshot;

pub use auth::Credentials;
pub use client::{HttpClient, HttpResponse};
pub use error::{ApiError, ServerError};

use crate::engine::{Engine, SharedFeedStats, SharedSources};
use crate::log::LogOptions;
use crate::repl::driver::Driver;
use push_registry::PushRegistry;
use state::AppState;

/// How long shutdown waits for push queries and in-flight statements to end.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// The tokio worker threads: the engine work runs on blocking threads anyway.
const WORKER_THREADS: usize = 2;

/// What `runnel server` was asked to do.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (port 0: the OS picks one; see [`Server::local_addr`]).
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub credentials: Option<Credentials>,
}

/// A running server; dropping it (or [`Server::shutdown`]) stops it.
pub struct Server {
    address: SocketAddr,
    push_queries: Arc<PushRegistry>,
    shared_sources: Arc<SharedSources>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Opens the engine of `config.data_dir` (restarting its persistent queries),
    /// binds the listener and serves on a thread of its own.
    pub fn start(config: ServerConfig) -> Result<Server, ServerError> {
        let engine = Engine::open(&config.data_dir, LogOptions::default()).map_err(|source| {
            ServerError::Engine {
                dir: config.data_dir.display().to_string(),
                source,
            }
        })?;
        let shared_sources = Arc::clone(engine.shared_sources());
        let engine = Arc::new(Mutex::new(engine));
        let listener =
            std::net::TcpListener::bind(config.listen).map_err(|source| ServerError::Bind {
                address: config.listen.to_string(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| ServerError::Bind {
            address: config.listen.to_string(),
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(ServerError::Runtime)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("runnel-server")
            .thread_stack_size(crate::engine::QUERY_THREAD_STACK)
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(ServerError::Runtime)?
        };
        let push_queries = Arc::new(PushRegistry::default());
        let state = AppState {
            engine: Arc::clone(&engine),
            push_queries: Arc::clone(&push_queries),
            credentials: config.credentials.map(Arc::new),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .stack_size(crate::engine::QUERY_THREAD_STACK)
            .name("runnel-server-main".into())
            .spawn(move || {
                let driver = Driver::start(Arc::clone(&engine));
                let app = router::router(state);
                runtime.block_on(serve(listener, app, stopped));
                runtime.shutdown_timeout(SHUTDOWN_GRACE);
                drop(driver);
            })
            .map_err(ServerError::Runtime)?;
        Ok(Server {
            address,
            push_queries,
            shared_sources,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// How many push queries are streaming to clients.
    pub fn active_push_queries(&self) -> usize {
        self.push_queries.active()
    }

    /// The source reads the push queries share now: one per followed source, with how
    /// many records it decoded for all its subscribers.
    pub fn shared_source_stats(&self) -> Vec<SharedFeedStats> {
        self.shared_sources.stats()
    }

    /// Serves until Ctrl-C, then shuts down.
    pub fn run_until_interrupted(self) -> Result<(), ServerError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        runtime.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        self.shutdown();
        Ok(())
    }

    /// Ends every push query, stops accepting requests, and waits until the engine is
    /// closed (so the data directory can be opened again).
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.push_queries.shut_down();
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while self.push_queries.active() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves until `stopped` fires, then lets requests in flight finish (bounded: a
/// client that stopped reading must not hold the shutdown forever).
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    stopped: oneshot::Receiver<()>,
) {
    let (graceful, graceful_signal) = oneshot::channel::<()>();
    let mut serving = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = graceful_signal.await;
            })
            .await
    });
    tokio::select! {
        finished = &mut serving => {
            if let Ok(Err(err)) = finished {
                eprintln!("the server stopped: {err}");
            }
            return;
        }
        _ = stopped => {}
    }
    let _ = graceful.send(());
    if tokio::time::timeout(SHUTDOWN_GRACE, &mut serving)
        .await
        .is_err()
    {
        serving.abort();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

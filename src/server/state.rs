//! What every request handler shares: the engine, the running push queries, the
//! credentials, and the way handlers call the synchronous engine from async code.

use std::sync::Arc;

use parking_lot::Mutex;

use super::auth::Credentials;
use super::error::ApiError;
use super::push_registry::PushRegistry;
use crate::engine::Engine;

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Mutex<Engine>>,
    pub push_queries: Arc<PushRegistry>,
    /// When set, every request must carry these (basic authentication).
    pub credentials: Option<Arc<Credentials>>,
}

impl AppState {
    /// Runs `work` on the locked engine on a blocking thread, so a long statement
    /// never stalls the tokio workers that serve other clients.
    pub async fn with_engine<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Engine) -> T + Send + 'static,
        T: Send + 'static,
    {
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || work(&mut engine.lock()))
            .await
            .map_err(|e| ApiError::internal(format!("the statement's worker failed: {e}")))
    }
}

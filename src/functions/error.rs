//! The error type of the function library: resolution, evaluation and aggregate state.

use datafusion::error::DataFusionError;

/// Everything that can go wrong when resolving or running a ksqlDB function.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// No function of any kind carries this name.
    #[error("Can't find any functions with the name '{0}'")]
    Unknown(String),

    /// The argument types match none of the function's signatures; the text follows
    /// ksqlDB's own message so users (and the QTT corpus) recognise it.
    #[error("Function '{name}' does not accept parameters ({args}).{alternatives}")]
    InvalidArguments {
        name: String,
        args: String,
        alternatives: String,
    },

    /// A literal parameter (TOPK's k, LATEST_BY_OFFSET's n, ...) is missing or wrong.
    #[error("Function '{name}': {message}")]
    InvalidParameter { name: String, message: String },

    /// The function is used where it would have to undo a value (aggregating a TABLE).
    #[error(
        "The aggregation function {name} cannot be applied to a table source, only to a stream source."
    )]
    RetractUnsupported { name: String },

    /// Persisted aggregate state could not be decoded.
    #[error("corrupt state of aggregate {name}: {message}")]
    CorruptState { name: String, message: String },

    /// A value the function could not process (the engine logs it per record).
    #[error("Function '{name}' failed: {message}")]
    Evaluation { name: String, message: String },

    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

/// The result type of the function library.
pub type Result<T, E = FunctionError> = std::result::Result<T, E>;

impl FunctionError {
    pub(crate) fn evaluation(name: &str, message: impl Into<String>) -> Self {
        FunctionError::Evaluation {
            name: name.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn parameter(name: &str, message: impl Into<String>) -> Self {
        FunctionError::InvalidParameter {
            name: name.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn corrupt(name: &str, message: impl Into<String>) -> Self {
        FunctionError::CorruptState {
            name: name.to_string(),
            message: message.into(),
        }
    }
}

/// A DataFusion execution error carrying a function's failure, for use inside UDFs.
pub(crate) fn exec_error(name: &str, message: impl Into<String>) -> DataFusionError {
    DataFusionError::Execution(FunctionError::evaluation(name, message).to_string())
}

//! Running operators over change batches; a task per source partition.

pub mod aggregate_codec;
pub mod aggregate_exec;
pub mod aggregate_task;
pub mod change;
pub mod error;
pub mod eval;
pub mod group_key;
pub mod join_exec;
pub mod join_rows;
pub mod join_task;
pub mod processing_log;
pub mod record_cache;
pub mod repartition_task;
pub mod repartition_writer;
pub mod scalar_columns;
pub mod select_task;
pub mod sink;
pub mod source;
pub mod source_reader;
pub mod suppress;
pub mod table_function;
pub mod task_commit;

pub use aggregate_task::AggregateTask;
pub use change::{ChangeBatch, RowKind};
pub use error::{ExecError, Result};
pub use join_task::JoinTask;
pub use processing_log::ProcessingError;
pub use repartition_task::RepartitionTask;
pub use select_task::{SelectTask, TaskMetrics};
pub use source_reader::SourceReader;

//! TaskCommitter: commits a task's batch — output, state and source position — through
//! its changelog, so a restarted task neither loses nor repeats output.
//!
//! The protocol (intent, output, changes + checkpoint) and why it is enough are described
//! in [`crate::state::changelog`]. Every task commits through it: sinks of SELECT,
//! aggregate and join tasks, and the repartition writer of a re-keyed query's router.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::Result;
use super::sink::SinkExec;
use crate::log::{Partition, Topic};
use crate::state::{Checkpoint, DurableStore, Intent, TaskChangelog};

/// Where a task's batch output goes before the commit appends it: a sink, or a
/// repartition topic's writer.
pub trait CommitOutput {
    /// The topic the output is appended to.
    fn topic(&self) -> &Arc<Topic>;
    /// Records buffered and not yet appended.
    fn pending_records(&self) -> usize;
    /// Appends the buffered records.
    fn flush(&mut self) -> Result<()>;
    /// Per partition, how many of the next records a crashed run already appended (so
    /// they must not be appended again).
    fn skip_already_written(&mut self, counts: BTreeMap<u32, u64>);
}

impl CommitOutput for SinkExec {
    fn topic(&self) -> &Arc<Topic> {
        SinkExec::topic(self)
    }
    fn pending_records(&self) -> usize {
        SinkExec::pending_records(self)
    }
    fn flush(&mut self) -> Result<()> {
        SinkExec::flush(self)
    }
    fn skip_already_written(&mut self, counts: BTreeMap<u32, u64>) {
        SinkExec::skip_already_written(self, counts);
    }
}

/// Where a restored task resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    pub source_offset: u64,
    pub stream_time: i64,
}

/// Commits a task's batches to its partition of the query's changelog.
#[derive(Debug, Clone)]
pub struct TaskCommitter {
    changelog: TaskChangelog,
}

/// Each partition's end offset: what an intent or checkpoint records of an output topic.
pub(super) fn sink_ends(topic: &Topic) -> BTreeMap<u32, u64> {
    topic
        .partitions()
        .iter()
        .map(|p| (p.id(), p.end_offset()))
        .collect()
}

impl TaskCommitter {
    pub fn new(changelog: Arc<Partition>) -> Self {
        TaskCommitter {
            changelog: TaskChangelog::new(changelog),
        }
    }

    /// Restores `stores` from the changelog and tells `sink` which records a crashed run
    /// already appended. Returns where to resume; without any checkpoint (a new task)
    /// it commits one at `start` first, so the start position survives a restart even
    /// when `auto.offset.reset` is `latest`.
    pub fn restore(
        &self,
        stores: &mut [&mut dyn DurableStore],
        sink: &mut dyn CommitOutput,
        start: u64,
    ) -> Result<Resume> {
        let restored = self.changelog.restore(stores)?;
        if let Some(intent) = restored.unfinished {
            let mut written = BTreeMap::new();
            for (partition, before) in intent.sink_ends {
                let end = sink.topic().partition(partition)?.end_offset();
                written.insert(partition, end.saturating_sub(before));
            }
            sink.skip_already_written(written);
        }
        match restored.checkpoint {
            Some(checkpoint) => Ok(Resume {
                source_offset: checkpoint.source_offset,
                stream_time: checkpoint.stream_time,
            }),
            None => {
                let checkpoint = Checkpoint {
                    source_offset: start,
                    stream_time: i64::MIN,
                    sink_ends: sink_ends(sink.topic()),
                };
                self.changelog.commit(stores, &checkpoint)?;
                Ok(Resume {
                    source_offset: start,
                    stream_time: i64::MIN,
                })
            }
        }
    }

    /// Appends the output `sink` has buffered and commits the stores' changes with the
    /// position after the batch: intent, output, then changes and checkpoint.
    pub fn commit_batch(
        &self,
        sink: &mut dyn CommitOutput,
        stores: &mut [&mut dyn DurableStore],
        source_offset: u64,
        stream_time: i64,
    ) -> Result<()> {
        if sink.pending_records() > 0 {
            self.changelog.write_intent(&Intent {
                sink_ends: sink_ends(sink.topic()),
            })?;
            sink.flush()?;
        }
        let checkpoint = Checkpoint {
            source_offset,
            stream_time,
            sink_ends: sink_ends(sink.topic()),
        };
        self.changelog.commit(stores, &checkpoint)?;
        Ok(())
    }
}

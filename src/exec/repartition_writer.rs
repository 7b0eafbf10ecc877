//! RepartitionWriter: appends re-keyed records to explicit partitions of an internal
//! repartition topic, exactly once across restarts.
//!
//! It follows the protocol of [`crate::state::changelog`] that sinks use through
//! [`super::task_commit::TaskCommitter`] (intent, output, then store changes with a
//! checkpoint in one append), but places each record on the partition its *new* key
//! hashes to rather than on the partition of the bytes it carries.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::Result;
use super::task_commit::{CommitOutput, TaskCommitter};
use crate::log::{Partition, Producer, Record, Topic};
use crate::state::DurableStore;

/// The re-keyed records of a batch, buffered per target partition.
struct RepartitionOutput {
    producer: Producer,
    /// Per partition, how many of the next records a crashed run already appended.
    already_written: BTreeMap<u32, u64>,
}

impl CommitOutput for RepartitionOutput {
    fn topic(&self) -> &Arc<Topic> {
        self.producer.topic()
    }
    fn pending_records(&self) -> usize {
        self.producer.pending_records()
    }
    fn flush(&mut self) -> Result<()> {
        self.producer.flush()?;
        Ok(())
    }
    fn skip_already_written(&mut self, mut counts: BTreeMap<u32, u64>) {
        counts.retain(|_, count| *count > 0);
        self.already_written = counts;
    }
}

/// Writes one repartition task's records and commits its position and state.
pub struct RepartitionWriter {
    output: RepartitionOutput,
    committer: TaskCommitter,
}

impl RepartitionWriter {
    /// A writer to `topic` committing to `changelog` (the task's own partition of its
    /// query's changelog topic).
    pub fn new(topic: Arc<Topic>, changelog: Arc<Partition>) -> Self {
        RepartitionWriter {
            output: RepartitionOutput {
                producer: Producer::new(topic),
                already_written: BTreeMap::new(),
            },
            committer: TaskCommitter::new(changelog),
        }
    }

    /// The repartition topic's partition count.
    pub fn partition_count(&self) -> u32 {
        self.output.producer.topic().partition_count()
    }

    /// Restores `stores` and returns the source offset to resume from. A batch whose
    /// records were appended without their checkpoint will be replayed: its records are
    /// counted so that [`RepartitionWriter::send`] skips them. A new task commits a first
    /// checkpoint at `start`, so its start survives a restart.
    pub fn restore(&mut self, stores: &mut [&mut dyn DurableStore], start: u64) -> Result<u64> {
        let resume = self.committer.restore(stores, &mut self.output, start)?;
        Ok(resume.source_offset)
    }

    /// Buffers `record` for `partition`, unless a crashed run already appended it.
    pub fn send(&mut self, record: Record, partition: u32) -> Result<()> {
        if let Some(count) = self.output.already_written.get_mut(&partition) {
            *count -= 1;
            if *count == 0 {
                self.output.already_written.remove(&partition);
            }
            return Ok(());
        }
        self.output.producer.send(record, Some(partition))?;
        Ok(())
    }

    /// Appends the buffered records, then the stores' changes and the position after the
    /// batch: intent, records, changes + checkpoint. A router has no stream time.
    pub fn commit(
        &mut self,
        stores: &mut [&mut dyn DurableStore],
        source_offset: u64,
    ) -> Result<()> {
        self.committer
            .commit_batch(&mut self.output, stores, source_offset, i64::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::task_commit::sink_ends;
    use crate::log::{Log, LogOptions, ReadLimits, TopicConfig};
    use crate::state::{Intent, TaskChangelog};

    fn values(topic: &Topic, partition: u32) -> Vec<Vec<u8>> {
        topic
            .partition(partition)
            .expect("partition")
            .read(0, ReadLimits::records(100))
            .expect("read")
            .into_iter()
            .filter_map(|r| r.value.map(|v| v.to_vec()))
            .collect()
    }

    fn record(value: &str) -> Record {
        Record::new(None::<Vec<u8>>, Some(value.as_bytes().to_vec()))
    }

    #[test]
    fn a_batch_appended_without_its_checkpoint_is_not_appended_twice() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
        let config = |partitions| TopicConfig {
            partitions,
            ..TopicConfig::default()
        };
        let topic = log.create_topic("rp", config(2)).expect("topic");
        let changelog = log.create_topic("cl", config(1)).expect("changelog");
        let changelog = Arc::clone(&changelog.partitions()[0]);

        let mut first = RepartitionWriter::new(Arc::clone(&topic), Arc::clone(&changelog));
        assert_eq!(first.restore(&mut [], 5).expect("restore"), 5);
        first.send(record("a"), 0).expect("send");
        first.commit(&mut [], 6).expect("commit");
        // The next batch crashes after its records, before its checkpoint.
        first.send(record("b"), 0).expect("send");
        first.send(record("c"), 1).expect("send");
        TaskChangelog::new(Arc::clone(&changelog))
            .write_intent(&Intent {
                sink_ends: sink_ends(&topic),
            })
            .expect("intent");
        first.output.producer.flush().expect("flush");
        drop(first);

        let mut second = RepartitionWriter::new(Arc::clone(&topic), changelog);
        assert_eq!(second.restore(&mut [], 0).expect("restore"), 6);
        // The replayed batch, longer now: only what is new is appended.
        for (value, partition) in [("b", 0), ("c", 1), ("d", 1), ("e", 0)] {
            second.send(record(value), partition).expect("send");
        }
        second.commit(&mut [], 10).expect("commit");
        assert_eq!(
            values(&topic, 0),
            [b"a".to_vec(), b"b".to_vec(), b"e".to_vec()]
        );
        assert_eq!(values(&topic, 1), [b"c".to_vec(), b"d".to_vec()]);
    }
}

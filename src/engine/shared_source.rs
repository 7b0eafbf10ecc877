//! SharedSources: one read and decode of a source's new records, fanned out to every
//! push query that follows it, instead of each query replaying the log itself.
//!
//! A [`SharedFeed`] is the shared tail of one source (one topic decoded one way). It has
//! no thread of its own: whichever subscriber finds its queue empty advances the feed,
//! which reads each partition once, decodes the records once and hands the batch to every
//! subscriber's bounded queue. A subscriber whose queue is full is dropped from the feed
//! and falls back to reading privately from its own offsets, so a slow client never
//! stalls the others and loses nothing. The feed goes away with its last subscriber.
//!
//! Hand-over is exact because positions are per-partition offsets: a subscriber joins
//! under the feed's lock, first reading privately any records between its position and
//! the feed's, and then ignores the part of any shared batch below its own position.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Weak};

use arrow::array::{BooleanArray, Int64Array};
use arrow::datatypes::SchemaRef;
use parking_lot::Mutex;

use super::{EngineError, Result};
use crate::catalog::Source;
use crate::exec::ChangeBatch;
use crate::exec::source::SourceExec;
use crate::log::{ConsumedRecord, Log, Partition, ReadLimits};
use crate::plan::SourceInput;
use crate::plan::select::ROWOFFSET;

/// How many records one read takes from each partition at most.
pub const READ_BATCH: usize = 1_000;
/// Batches queued for one subscriber before it is judged too slow and dropped from the
/// feed (it then reads privately until it has caught up again).
pub const SUBSCRIBER_QUEUE_DEPTH: usize = 64;

/// A partition of a source and the offset of the next record to read from it.
pub type Position = (Arc<Partition>, u64);

/// The shared feeds of the engine, one per source being followed by push queries.
#[derive(Default)]
pub struct SharedSources {
    feeds: Mutex<Vec<Weak<SharedFeed>>>,
}

/// What one shared feed has done, for `DESCRIBE`-style reports and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFeedStats {
    pub source: String,
    pub topic: String,
    pub subscribers: usize,
    /// Records read and decoded by the feed (each once, whatever the subscriber count).
    pub records_decoded: u64,
    /// Subscribers dropped from the feed because their queue was full.
    pub evictions: u64,
}

impl SharedSources {
    /// The feed of `input`'s source, created (positioned at the end of each partition)
    /// when no push query follows it yet.
    pub fn feed_for(&self, log: &Log, input: &SourceInput) -> Result<Arc<SharedFeed>> {
        let decoder = SourceExec::try_new(input)?;
        let schema = decoder.schema();
        let mut feeds = self.feeds.lock();
        feeds.retain(|feed| feed.strong_count() > 0);
        let existing = feeds
            .iter()
            .filter_map(Weak::upgrade)
            .find(|feed| decodes_alike(&feed.source, &input.source) && feed.schema == schema);
        if let Some(feed) = existing {
            return Ok(feed);
        }
        let topic = log.existing_topic(&input.source.topic)?;
        let positions = topic
            .partitions()
            .iter()
            .map(|p| (Arc::clone(p), p.end_offset()))
            .collect();
        let feed = Arc::new(SharedFeed {
            source: Arc::clone(&input.source),
            schema,
            decoded: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            state: Mutex::new(FeedState {
                decoder,
                positions,
                subscribers: Vec::new(),
                next_subscriber: 0,
            }),
        });
        feeds.push(Arc::downgrade(&feed));
        Ok(feed)
    }

    /// The feeds that have subscribers now.
    pub fn stats(&self) -> Vec<SharedFeedStats> {
        self.feeds
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
            .map(|feed| feed.stats())
            .collect()
    }
}

/// Whether two sources decode their topic into the same batches (two names over one
/// topic with one schema share a feed; a re-created source with a new schema does not).
fn decodes_alike(a: &Source, b: &Source) -> bool {
    a.topic == b.topic
        && a.kind == b.kind
        && a.schema == b.schema
        && a.key_format == b.key_format
        && a.value_format == b.value_format
        && a.timestamp == b.timestamp
        && a.window == b.window
}

/// One partition's decoded records, shared by every subscriber of a feed.
pub struct FeedBatch {
    pub partition: u32,
    /// The offset after the last record read: where the next batch starts.
    pub next_offset: u64,
    /// The offset the read started from (records below it were read before).
    pub from_offset: u64,
    pub rows: ChangeBatch,
}

/// The shared tail of one source.
pub struct SharedFeed {
    source: Arc<Source>,
    schema: SchemaRef,
    decoded: AtomicU64,
    evictions: AtomicU64,
    state: Mutex<FeedState>,
}

struct FeedState {
    decoder: SourceExec,
    positions: Vec<Position>,
    subscribers: Vec<(u64, SyncSender<Arc<FeedBatch>>)>,
    next_subscriber: u64,
}

impl SharedFeed {
    pub fn stats(&self) -> SharedFeedStats {
        let subscribers = self.state.lock().subscribers.len();
        SharedFeedStats {
            source: self.source.name.clone(),
            topic: self.source.topic.clone(),
            subscribers,
            records_decoded: self.decoded.load(Ordering::SeqCst),
            evictions: self.evictions.load(Ordering::SeqCst),
        }
    }

    /// Subscribes a reader at `positions`. Records between a position and the feed's
    /// (when the feed is ahead) are read here, under the feed's lock so it cannot move,
    /// and handed to `catch_up`; `positions` end at or past the feed's, and every batch
    /// the subscription receives continues them without a gap.
    pub fn subscribe(
        self: &Arc<Self>,
        positions: &mut [Position],
        mut catch_up: impl FnMut(u32, &[ConsumedRecord]) -> Result<()>,
    ) -> Result<Subscription> {
        let mut state = self.state.lock();
        for (partition, offset) in positions.iter_mut() {
            let feed_offset = state
                .positions
                .iter()
                .find(|(p, _)| p.id() == partition.id())
                .map(|(_, o)| *o)
                .ok_or_else(|| {
                    EngineError::Statement(format!(
                        "partition {} of topic {} appeared after the push query started",
                        partition.id(),
                        partition.topic()
                    ))
                })?;
            *offset = (*offset).max(partition.log_start_offset());
            while *offset < feed_offset {
                let wanted = usize::try_from(feed_offset - *offset).unwrap_or(READ_BATCH);
                let mut records =
                    partition.read(*offset, ReadLimits::records(wanted.min(READ_BATCH)))?;
                records.retain(|r| r.offset < feed_offset);
                match records.last() {
                    Some(last) => *offset = last.offset + 1,
                    // Nothing left below the feed (compacted or deleted): skip to it.
                    None => *offset = feed_offset,
                }
                catch_up(partition.id(), &records)?;
            }
        }
        let (sender, receiver) = sync_channel(SUBSCRIBER_QUEUE_DEPTH);
        let id = state.next_subscriber;
        state.next_subscriber += 1;
        state.subscribers.push((id, sender));
        Ok(Subscription {
            feed: Arc::clone(self),
            id,
            receiver,
        })
    }

    /// Reads and decodes what each partition has beyond the feed's position (one read
    /// per partition) and queues it for every subscriber; returns how many records it
    /// read. A subscriber whose queue is full is dropped from the feed.
    pub fn advance(&self) -> Result<usize> {
        let mut state = self.state.lock();
        let FeedState {
            decoder,
            positions,
            subscribers,
            ..
        } = &mut *state;
        let mut read = 0;
        for (partition, offset) in positions.iter_mut() {
            let from_offset = (*offset).max(partition.log_start_offset());
            let records = partition.read(from_offset, ReadLimits::records(READ_BATCH))?;
            let Some(last) = records.last() else {
                continue;
            };
            let next_offset = last.offset + 1;
            let (rows, _errors) = decoder.decode(partition.id(), &records)?;
            self.decoded
                .fetch_add(records.len() as u64, Ordering::SeqCst);
            read += records.len();
            *offset = next_offset;
            let batch = Arc::new(FeedBatch {
                partition: partition.id(),
                next_offset,
                from_offset,
                rows,
            });
            subscribers.retain(|(_, sender)| match sender.try_send(Arc::clone(&batch)) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    self.evictions.fetch_add(1, Ordering::SeqCst);
                    false
                }
                Err(TrySendError::Disconnected(_)) => false,
            });
        }
        Ok(read)
    }

    fn unsubscribe(&self, id: u64) {
        self.state.lock().subscribers.retain(|(s, _)| *s != id);
    }
}

/// A push query's place in a feed; dropping it leaves the feed.
pub struct Subscription {
    feed: Arc<SharedFeed>,
    id: u64,
    receiver: Receiver<Arc<FeedBatch>>,
}

/// What a subscription has for its reader now.
pub enum Received {
    Batch(Arc<FeedBatch>),
    /// Nothing queued: the feed must be advanced.
    Empty,
    /// The feed dropped this subscriber (its queue overflowed): read privately.
    Dropped,
}

impl Subscription {
    pub fn feed(&self) -> &Arc<SharedFeed> {
        &self.feed
    }

    pub fn next(&self) -> Received {
        match self.receiver.try_recv() {
            Ok(batch) => Received::Batch(batch),
            Err(TryRecvError::Empty) => Received::Empty,
            Err(TryRecvError::Disconnected) => Received::Dropped,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.feed.unsubscribe(self.id);
    }
}

impl FeedBatch {
    /// The rows at or after `offset` (a subscriber that joined ahead of the feed has
    /// already delivered the ones before); `None` when none are left.
    pub fn rows_from(&self, offset: u64) -> Result<Option<ChangeBatch>> {
        if offset <= self.from_offset {
            return Ok(Some(self.rows.clone()));
        }
        if offset >= self.next_offset {
            return Ok(None);
        }
        let index = self
            .rows
            .schema()
            .index_of(ROWOFFSET)
            .map_err(|_| internal("a decoded batch has no ROWOFFSET column"))?;
        let offsets = self
            .rows
            .column(index)
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| internal("ROWOFFSET is not BIGINT"))?;
        let keep: BooleanArray = offsets
            .iter()
            .map(|o| Some(o.is_some_and(|o| o >= offset as i64)))
            .collect();
        let rows = self
            .rows
            .filter(&keep)
            .map_err(|e| EngineError::Exec(e.into()))?;
        Ok((!rows.is_empty()).then_some(rows))
    }
}

fn internal(what: &str) -> EngineError {
    EngineError::Exec(crate::exec::ExecError::Internal(format!(
        "shared source read: {what} (a bug)"
    )))
}

//! RecordCache: an aggregate task's latest result per (group, window) between commits,
//! as Kafka Streams' record cache (`cache.max.bytes.buffering`) keeps it.
//!
//! A group updated six times between two commits is published once, with its latest
//! result: the output is a table's changelog, and a reader of it only needs the latest
//! value per key. The cache is flushed — its rows emitted, then the output, the state
//! and the source position committed together — when it holds more than its bound, when
//! the task is caught up with its source, or when the commit interval has passed
//! ([`CommitPolicy`]). With a bound of 0 nothing is cached: every change is published,
//! as ksqlDB's own test harness runs.
//!
//! Time windows and plain groups keep no row here: the aggregate marks them pending and
//! computes their results at the flush (`AggregateExec::take_deferred`). This cache
//! keeps the rows of sessions, EMIT FINAL and RETENTION, whose tombstones must stay in
//! order with their results.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use datafusion::common::ScalarValue;

use super::aggregate_exec::AggregateRow;
use super::change::RowKind;
use crate::state::fast_hash::fast_hash;
use crate::state::store::Prehashed;

/// The session property bounding the cache, in bytes.
pub const CACHE_MAX_BYTES: &str = "cache.max.bytes.buffering";
/// The session property giving the longest time between two commits, in milliseconds.
pub const COMMIT_INTERVAL_MS: &str = "commit.interval.ms";

/// ksqlDB's default for `cache.max.bytes.buffering`: 10 MB for a query, shared by its
/// tasks ([`CommitPolicy::per_task`]), as Kafka Streams shares it among its threads.
pub const DEFAULT_CACHE_MAX_BYTES: usize = 10_000_000;
/// ksqlDB's default for `ksql.streams.commit.interval.ms`.
pub const DEFAULT_COMMIT_INTERVAL_MS: u64 = 2_000;

/// What a cached row costs besides its scalars: the map entry, the key and its vectors.
const ENTRY_OVERHEAD_BYTES: usize = 96;

/// When a task with a cache emits and commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitPolicy {
    /// The cache's bound in bytes; 0 disables it.
    pub max_bytes: usize,
    /// The longest time between two commits.
    pub interval_ms: u64,
}

impl Default for CommitPolicy {
    fn default() -> Self {
        CommitPolicy {
            max_bytes: DEFAULT_CACHE_MAX_BYTES,
            interval_ms: DEFAULT_COMMIT_INTERVAL_MS,
        }
    }
}

impl CommitPolicy {
    /// The policy the session properties ask for (a property read by `property`);
    /// a value that is not a non-negative integer is an error naming the property.
    pub fn from_properties<'a>(property: impl Fn(&str) -> Option<&'a str>) -> Result<Self, String> {
        let mut policy = CommitPolicy::default();
        if let Some(raw) = property(CACHE_MAX_BYTES) {
            policy.max_bytes = parse_count(CACHE_MAX_BYTES, raw)?;
        }
        if let Some(raw) = property(COMMIT_INTERVAL_MS) {
            policy.interval_ms = parse_count(COMMIT_INTERVAL_MS, raw)? as u64;
        }
        Ok(policy)
    }

    /// The policy of one of a query's `tasks`: each gets an equal share of the
    /// query's cache bound (at least a byte, so a cache stays a cache).
    pub fn per_task(self, tasks: usize) -> Self {
        let max_bytes = match self.max_bytes {
            0 => 0,
            total => (total / tasks.max(1)).max(1),
        };
        CommitPolicy { max_bytes, ..self }
    }

    /// Whether nothing is cached: every change is emitted at the end of its read.
    pub fn is_uncached(&self) -> bool {
        self.max_bytes == 0
    }

    /// Whether a task whose cache holds `cached_bytes`, `caught_up` with its source,
    /// `elapsed_ms` after its last commit, must emit and commit now.
    pub fn is_due(&self, cached_bytes: usize, caught_up: bool, elapsed_ms: u64) -> bool {
        self.is_uncached()
            || caught_up
            || cached_bytes > self.max_bytes
            || elapsed_ms >= self.interval_ms
    }
}

fn parse_count(name: &str, raw: &str) -> Result<usize, String> {
    raw.trim().trim_matches('\'').parse::<usize>().map_err(|_| {
        format!("Invalid value {raw} for property {name}: expected a non-negative integer")
    })
}

/// A cached row's identity: its group and window, hashed once.
#[derive(Debug)]
struct CacheKey {
    group: Vec<ScalarValue>,
    window: Option<(i64, i64)>,
    hash: u64,
}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for CacheKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.window == other.window && self.group == other.group
    }
}

impl Eq for CacheKey {}

/// A cached row's latest change, and when its key first entered the cache.
#[derive(Debug)]
struct CachedChange {
    sequence: u64,
    kind: RowKind,
    results: Vec<ScalarValue>,
    rowtime: i64,
    bytes: usize,
}

/// The latest change per (group, window) since the last flush.
#[derive(Debug, Default)]
pub struct RecordCache {
    entries: HashMap<CacheKey, CachedChange, Prehashed>,
    next_sequence: u64,
    bytes: usize,
}

impl RecordCache {
    /// Keeps `row` as the latest change of its group-window, replacing an earlier one
    /// (which keeps its place in the emission order).
    pub fn put(&mut self, row: AggregateRow) {
        let bytes = ENTRY_OVERHEAD_BYTES
            + row.group.iter().map(ScalarValue::size).sum::<usize>()
            + row.results.iter().map(ScalarValue::size).sum::<usize>();
        let key = CacheKey {
            hash: fast_hash(&(&row.group, row.window)),
            group: row.group,
            window: row.window,
        };
        let sequence = self.next_sequence;
        let change = CachedChange {
            sequence,
            kind: row.kind,
            results: row.results,
            rowtime: row.rowtime,
            bytes,
        };
        self.bytes += bytes;
        match self.entries.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut occupied) => {
                let old = occupied.get_mut();
                self.bytes -= old.bytes;
                let first_seen = old.sequence;
                *old = CachedChange {
                    sequence: first_seen,
                    ..change
                };
            }
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert(change);
                self.next_sequence += 1;
            }
        }
    }

    /// The estimated bytes the cached rows take.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes every cached row, in the order their group-windows first changed since the
    /// last flush (as Kafka Streams' cache flushes its dirty keys).
    pub fn drain(&mut self) -> Vec<AggregateRow> {
        let mut rows: Vec<(u64, AggregateRow)> = self
            .entries
            .drain()
            .map(|(key, change)| {
                let row = AggregateRow {
                    kind: change.kind,
                    group: key.group,
                    results: change.results,
                    rowtime: change.rowtime,
                    window: key.window,
                };
                (change.sequence, row)
            })
            .collect();
        rows.sort_unstable_by_key(|(sequence, _)| *sequence);
        self.bytes = 0;
        self.next_sequence = 0;
        rows.into_iter().map(|(_, row)| row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: i64, window: i64, result: i64, rowtime: i64) -> AggregateRow {
        AggregateRow {
            kind: RowKind::Insert,
            group: vec![ScalarValue::Int64(Some(group))],
            results: vec![ScalarValue::Int64(Some(result))],
            rowtime,
            window: Some((window, window + 10)),
        }
    }

    #[test]
    fn keeps_the_latest_change_per_group_window_in_first_change_order() {
        let mut cache = RecordCache::default();
        cache.put(row(1, 0, 1, 1));
        cache.put(row(2, 0, 1, 2));
        cache.put(row(1, 0, 2, 3));
        cache.put(row(1, 10, 1, 11));
        cache.put(row(2, 0, 5, 4));
        assert_eq!(cache.len(), 3);
        let drained = cache.drain();
        assert_eq!(
            drained,
            vec![row(1, 0, 2, 3), row(2, 0, 5, 4), row(1, 10, 1, 11)]
        );
        assert!(cache.is_empty());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_tombstone_replaces_the_result_it_follows() {
        let mut cache = RecordCache::default();
        cache.put(row(1, 0, 1, 1));
        let tombstone = AggregateRow {
            kind: RowKind::Delete,
            results: Vec::new(),
            ..row(1, 0, 0, 2)
        };
        cache.put(tombstone.clone());
        assert_eq!(cache.drain(), vec![tombstone]);
    }

    #[test]
    fn the_byte_estimate_follows_replacements() {
        let mut cache = RecordCache::default();
        cache.put(row(1, 0, 1, 1));
        let one = cache.bytes();
        assert!(one > ENTRY_OVERHEAD_BYTES);
        cache.put(row(1, 0, 2, 2));
        assert_eq!(cache.bytes(), one, "a replacement costs nothing more");
        cache.put(row(2, 0, 2, 2));
        assert_eq!(cache.bytes(), 2 * one);
    }

    #[test]
    fn the_policy_commits_on_bound_catch_up_or_interval_and_always_without_cache() {
        let policy = CommitPolicy {
            max_bytes: 100,
            interval_ms: 1_000,
        };
        assert!(!policy.is_due(100, false, 999));
        assert!(policy.is_due(101, false, 0), "over the bound");
        assert!(policy.is_due(0, true, 0), "caught up");
        assert!(policy.is_due(0, false, 1_000), "interval passed");
        let uncached = CommitPolicy {
            max_bytes: 0,
            ..policy
        };
        assert!(uncached.is_due(0, false, 0));
    }

    #[test]
    fn a_query_shares_its_cache_bound_among_its_tasks() {
        let policy = CommitPolicy {
            max_bytes: 10_000,
            interval_ms: 5,
        };
        assert_eq!(policy.per_task(4).max_bytes, 2_500);
        assert_eq!(policy.per_task(4).interval_ms, 5);
        assert_eq!(policy.per_task(0).max_bytes, 10_000);
        assert_eq!(policy.per_task(20_000).max_bytes, 1, "still a cache");
        let uncached = CommitPolicy {
            max_bytes: 0,
            ..policy
        };
        assert!(uncached.per_task(4).is_uncached());
    }

    #[test]
    fn properties_set_the_policy_and_bad_values_are_refused() {
        let policy = CommitPolicy::from_properties(|name| match name {
            CACHE_MAX_BYTES => Some("0"),
            COMMIT_INTERVAL_MS => Some("50"),
            _ => None,
        })
        .expect("valid");
        assert_eq!(
            policy,
            CommitPolicy {
                max_bytes: 0,
                interval_ms: 50
            }
        );
        assert_eq!(
            CommitPolicy::from_properties(|_| None).expect("defaults"),
            CommitPolicy::default()
        );
        let error = CommitPolicy::from_properties(|name| {
            (name == CACHE_MAX_BYTES).then_some("ten megabytes")
        })
        .expect_err("not a number");
        assert!(error.contains(CACHE_MAX_BYTES), "{error}");
    }
}

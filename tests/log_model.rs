//! Model tests: random sequences of append / read / retention / compaction / reopen
//! against a plain in-memory model of the log.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;
use runnel::log::{
    ConsumedRecord, Log, LogError, LogOptions, ManualClock, ReadLimits, Record, TopicConfig,
};

#[derive(Debug, Clone)]
enum Op {
    /// Records as (key, value) with small key space; value None is a tombstone.
    Append(Vec<(Option<u8>, Option<u16>)>),
    Read {
        from: u64,
        max: usize,
    },
    Advance(i64),
    Clean,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::collection::vec((prop::option::weighted(0.9, 0u8..6), prop::option::weighted(0.85, any::<u16>())), 1..6).prop_map(Op::Append),
        3 => (0u64..80, 1usize..20).prop_map(|(from, max)| Op::Read { from, max }),
        1 => (0i64..5_000).prop_map(Op::Advance),
        2 => Just(Op::Clean),
        1 => Just(Op::Reopen),
    ]
}

fn to_record(key: Option<u8>, value: Option<u16>, ts: i64) -> Record {
    Record {
        key: key.map(|k| Bytes::from(vec![b'k', k])),
        value: value.map(|v| Bytes::from(v.to_be_bytes().to_vec())),
        timestamp: Some(ts),
        headers: Vec::new(),
    }
}

struct Harness {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    log: Option<Arc<Log>>,
    config: TopicConfig,
}

impl Harness {
    fn new(config: TopicConfig) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::new(10_000));
        let mut harness = Harness {
            dir,
            clock,
            log: None,
            config,
        };
        harness.reopen();
        let config = harness.config.clone();
        harness.log().create_topic("t", config).expect("create");
        harness
    }

    fn reopen(&mut self) {
        self.log = None;
        let options = LogOptions::ephemeral().with_clock(Arc::clone(&self.clock) as _);
        self.log = Some(Log::open(self.dir.path(), options).expect("open"));
    }

    fn log(&self) -> &Arc<Log> {
        self.log.as_ref().expect("log is open")
    }

    fn all(&self) -> Vec<ConsumedRecord> {
        let partition = self.log().partition("t", 0).expect("partition");
        partition
            .read(
                partition.log_start_offset(),
                ReadLimits::records(usize::MAX / 2),
            )
            .expect("read all")
    }
}

fn same(record: &ConsumedRecord, model: &(u64, Record)) -> bool {
    record.offset == model.0
        && record.key == model.1.key
        && record.value == model.1.value
        && Some(record.timestamp) == model.1.timestamp
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Delete policy: the log is always exactly the model's suffix from the log start.
    #[test]
    fn delete_policy_matches_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let config = TopicConfig::from_pairs(&["segment.bytes=200", "retention.bytes=600", "retention.ms=20000"]).expect("config");
        let mut h = Harness::new(config);
        let mut model: Vec<(u64, Record)> = Vec::new();
        for op in ops {
            let partition = h.log().partition("t", 0).expect("partition");
            match op {
                Op::Append(records) => {
                    let ts = h.clock.now_ms_for_test();
                    let batch: Vec<Record> = records.iter().map(|(k, v)| to_record(*k, *v, ts)).collect();
                    let range = partition.append(&batch).expect("append");
                    prop_assert_eq!(range.first, model.len() as u64);
                    for r in batch { let offset = model.len() as u64; model.push((offset, r)); }
                }
                Op::Read { from, max } => {
                    let start = partition.log_start_offset();
                    match partition.read(from, ReadLimits::records(max)) {
                        Ok(records) => {
                            prop_assert!(from >= start && from <= model.len() as u64);
                            let expected = &model[from as usize..(from as usize + max).min(model.len())];
                            prop_assert_eq!(records.len(), expected.len());
                            for (r, m) in records.iter().zip(expected) { prop_assert!(same(r, m)); }
                        }
                        Err(LogError::OffsetOutOfRange { .. }) => prop_assert!(from < start || from > model.len() as u64),
                        Err(e) => prop_assert!(false, "read failed: {}", e),
                    }
                }
                Op::Advance(ms) => h.clock.advance(ms),
                Op::Clean => { h.log().run_cleaner_once().expect("cleaner"); }
                Op::Reopen => h.reopen(),
            }
            let partition = h.log().partition("t", 0).expect("partition");
            let start = partition.log_start_offset() as usize;
            prop_assert_eq!(partition.end_offset(), model.len() as u64);
            let all = h.all();
            prop_assert_eq!(all.len(), model.len() - start);
            for (r, m) in all.iter().zip(&model[start..]) { prop_assert!(same(r, m)); }
        }
    }

    /// Compact policy: every surviving record is the model's record at its offset, the
    /// latest record of every key survives, and the active segment is untouched.
    #[test]
    fn compaction_keeps_the_latest_per_key(ops in prop::collection::vec(op(), 1..60)) {
        let config = TopicConfig::from_pairs(&["segment.bytes=150", "cleanup.policy=compact", "delete.retention.ms=100000000"]).expect("config");
        let mut h = Harness::new(config);
        let mut model: Vec<(u64, Record)> = Vec::new();
        for op in ops {
            let partition = h.log().partition("t", 0).expect("partition");
            match op {
                Op::Append(records) => {
                    let ts = h.clock.now_ms_for_test();
                    let batch: Vec<Record> = records.iter().map(|(k, v)| to_record(*k, *v, ts)).collect();
                    partition.append(&batch).expect("append");
                    for r in batch { let offset = model.len() as u64; model.push((offset, r)); }
                }
                Op::Read { from, max } => {
                    if from <= model.len() as u64 {
                        let records = partition.read(from, ReadLimits::records(max)).expect("read");
                        prop_assert!(records.len() <= max);
                        prop_assert!(records.windows(2).all(|w| w[0].offset < w[1].offset));
                        prop_assert!(records.iter().all(|r| r.offset >= from));
                    }
                }
                Op::Advance(ms) => h.clock.advance(ms),
                Op::Clean => { h.log().run_cleaner_once().expect("cleaner"); }
                Op::Reopen => h.reopen(),
            }
            let all = h.all();
            prop_assert!(all.windows(2).all(|w| w[0].offset < w[1].offset));
            for r in &all { prop_assert!(same(r, &model[r.offset as usize]), "offset {} differs", r.offset); }
            let mut latest: HashMap<Option<Bytes>, u64> = HashMap::new();
            for (offset, r) in &model { latest.insert(r.key.clone(), *offset); }
            let present: std::collections::HashSet<u64> = all.iter().map(|r| r.offset).collect();
            for (key, offset) in latest {
                if key.is_some() { prop_assert!(present.contains(&offset), "latest offset {} of a key is gone", offset); }
            }
            for (offset, r) in &model { if r.key.is_none() { prop_assert!(present.contains(offset)); } }
            let active_base = h.log().partition("t", 0).expect("partition").info();
            prop_assert_eq!(active_base.end_offset, model.len() as u64);
        }
    }
}

/// Lets the model tests read the manual clock without importing the trait everywhere.
trait NowForTest {
    fn now_ms_for_test(&self) -> i64;
}

impl NowForTest for ManualClock {
    fn now_ms_for_test(&self) -> i64 {
        use runnel::log::Clock;
        self.now_ms()
    }
}

#[test]
fn tombstones_go_after_delete_retention_and_lag_protects_new_records() {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(
        dir.path(),
        LogOptions::ephemeral().with_clock(Arc::clone(&clock) as _),
    )
    .expect("open");
    let config = TopicConfig::from_pairs(&[
        "cleanup.policy=compact",
        "segment.bytes=100",
        "delete.retention.ms=1000",
        "min.compaction.lag.ms=500",
    ])
    .expect("config");
    let partition = Arc::clone(
        log.create_topic("t", config)
            .expect("create")
            .partition(0)
            .expect("p"),
    );
    partition
        .append(&[Record::new(Some("a"), Some("1")).with_timestamp(1_000_000)])
        .expect("append");
    partition
        .append(&[Record::new(Some("a"), Some("2")).with_timestamp(1_000_000)])
        .expect("append");
    partition
        .append(&[Record::new(Some("a"), None::<&str>).with_timestamp(1_000_000)])
        .expect("append");
    partition
        .append(&[Record::new(Some("b"), Some("3")).with_timestamp(1_000_000)])
        .expect("append");
    partition
        .append(&[Record::new(Some("c"), Some("4")).with_timestamp(1_000_000)])
        .expect("append");
    let offsets = |p: &runnel::log::Partition| {
        p.read(0, ReadLimits::default())
            .expect("read")
            .iter()
            .map(|r| r.offset)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        partition.compact().expect("compact").segments_rewritten,
        0,
        "within min.compaction.lag.ms"
    );
    clock.advance(600);
    partition.compact().expect("compact");
    assert_eq!(
        offsets(&partition),
        vec![2, 3, 4],
        "older values of a are gone, tombstone kept"
    );
    clock.advance(1_000);
    partition.compact().expect("compact");
    assert_eq!(
        offsets(&partition),
        vec![3, 4],
        "the tombstone is gone after delete.retention.ms"
    );
}

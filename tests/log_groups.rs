//! Consumer groups: rebalances on join, leave and session timeout (controlled clock),
//! durable committed offsets, lag and `auto.offset.reset`.

use std::collections::BTreeMap;
use std::sync::Arc;

use runnel::log::{
    AssignmentStrategy, JoinRequest, Log, LogOptions, ManualClock, OffsetReset, Record,
    TopicConfig, TopicPartition,
};

fn open(dir: &std::path::Path, clock: &Arc<ManualClock>) -> Arc<Log> {
    Log::open(
        dir,
        LogOptions::ephemeral().with_clock(Arc::clone(clock) as _),
    )
    .expect("open")
}

/// Every partition of the topics has exactly one owner among the group's members.
fn assert_exactly_one_owner(log: &Log, group: &str, topics: &[(&str, u32)]) -> u32 {
    let description = log.describe_group(group).expect("group exists");
    let mut owners: BTreeMap<TopicPartition, usize> = BTreeMap::new();
    for member in &description.members {
        for tp in &member.partitions {
            *owners.entry(tp.clone()).or_default() += 1;
        }
    }
    for (topic, partitions) in topics {
        for p in 0..*partitions {
            assert_eq!(
                owners.get(&TopicPartition::new(*topic, p)),
                Some(&1),
                "{topic}-{p} in {description:?}"
            );
        }
    }
    assert_eq!(
        owners.len() as u32,
        topics.iter().map(|(_, n)| n).sum::<u32>()
    );
    description.generation
}

fn join(log: &Log, group: &str, strategy: AssignmentStrategy, timeout: i64) -> String {
    let request = JoinRequest {
        member_id: None,
        topics: vec!["a".into(), "b".into()],
        session_timeout_ms: timeout,
        strategy,
    };
    log.join_group(group, request).expect("join").member_id
}

#[test]
fn rebalances_on_join_leave_and_timeout() {
    for strategy in [AssignmentStrategy::Range, AssignmentStrategy::RoundRobin] {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::new(0));
        let log = open(dir.path(), &clock);
        log.create_topic(
            "a",
            TopicConfig::from_pairs(&["partitions=5"]).expect("cfg"),
        )
        .expect("a");
        log.create_topic(
            "b",
            TopicConfig::from_pairs(&["partitions=3"]).expect("cfg"),
        )
        .expect("b");
        let topics = [("a", 5), ("b", 3)];
        let m1 = join(&log, "g", strategy, 1_000);
        let g1 = assert_exactly_one_owner(&log, "g", &topics);
        let m2 = join(&log, "g", strategy, 1_000);
        let g2 = assert_exactly_one_owner(&log, "g", &topics);
        assert!(g2 > g1, "a join is a new generation");
        let m3 = join(&log, "g", strategy, 5_000);
        let g3 = assert_exactly_one_owner(&log, "g", &topics);
        assert!(g3 > g2);
        assert_eq!(log.heartbeat("g", &m1).expect("m1 alive").generation, g3);
        for member in [&m1, &m2, &m3] {
            assert!(
                !log.heartbeat("g", member)
                    .expect("alive")
                    .partitions
                    .is_empty()
            );
        }

        log.leave_group("g", &m2).expect("leave");
        let g4 = assert_exactly_one_owner(&log, "g", &topics);
        assert!(g4 > g3);
        assert!(
            log.heartbeat("g", &m2).is_err(),
            "a member that left is unknown"
        );

        // m1 stops heartbeating; m3 keeps its session alive.
        clock.advance(800);
        log.heartbeat("g", &m3).expect("m3 alive");
        clock.advance(800);
        log.expire_group_members();
        let g5 = assert_exactly_one_owner(&log, "g", &topics);
        assert!(g5 > g4, "a timed-out member triggers a rebalance");
        let description = log.describe_group("g").expect("group");
        assert_eq!(description.members.len(), 1);
        assert_eq!(description.members[0].member_id, m3);
        let err = log.heartbeat("g", &m1).expect_err("m1 expired");
        assert!(err.to_string().contains("'g'"), "{err}");

        log.leave_group("g", &m3).expect("leave");
        assert!(log.describe_group("g").is_none());
    }
}

#[test]
fn committed_offsets_survive_reopen_and_drive_lag_and_reset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(0));
    let tp0 = TopicPartition::new("t", 0);
    let tp1 = TopicPartition::new("t", 1);
    {
        let log = open(dir.path(), &clock);
        let topic = log
            .create_topic(
                "t",
                TopicConfig::from_pairs(&["partitions=2"]).expect("cfg"),
            )
            .expect("t");
        for p in 0..2 {
            let records: Vec<Record> = (0..10)
                .map(|i| Record::new(None::<&str>, Some(format!("v{i}"))))
                .collect();
            topic
                .partition(p)
                .expect("p")
                .append(&records)
                .expect("append");
        }
        log.commit_offsets("g", &[(tp0.clone(), 4)])
            .expect("commit");
        log.commit_offsets("g", &[(tp0.clone(), 7), (tp1.clone(), 2)])
            .expect("commit");
        log.commit_offsets("other", &[(tp1.clone(), 9)])
            .expect("commit");
    }
    let log = open(dir.path(), &clock);
    assert_eq!(log.committed_offset("g", &tp0), Some(7));
    assert_eq!(log.committed_offset("g", &tp1), Some(2));
    assert_eq!(
        log.group_names(),
        vec!["g".to_string(), "other".to_string()]
    );
    let lag = log.lag("g", Some("t")).expect("lag");
    let lags: Vec<(u32, Option<u64>, u64, u64)> = lag
        .iter()
        .map(|l| {
            (
                l.topic_partition.partition,
                l.committed,
                l.end_offset,
                l.lag,
            )
        })
        .collect();
    assert_eq!(lags, vec![(0, Some(7), 10, 3), (1, Some(2), 10, 8)]);
    assert_eq!(
        log.start_offset(Some("g"), &tp0, OffsetReset::Latest)
            .expect("start"),
        7
    );
    assert_eq!(
        log.start_offset(Some("new"), &tp0, OffsetReset::Earliest)
            .expect("start"),
        0
    );
    assert_eq!(
        log.start_offset(Some("new"), &tp0, OffsetReset::Latest)
            .expect("start"),
        10
    );
    log.delete_group_offsets("other").expect("delete");
    drop(log);
    let log = open(dir.path(), &clock);
    assert_eq!(log.group_names(), vec!["g".to_string()]);
    assert!(
        log.topics()
            .iter()
            .any(|t| t.name() == runnel::log::OFFSETS_TOPIC && t.is_internal())
    );
}

//! Readers: concurrent reads during appends, bounded reads, seek by timestamp, and a
//! parked reader waking promptly on append.

use std::sync::Arc;
use std::time::{Duration, Instant};

use runnel::log::{Log, LogError, LogOptions, ReadLimits, Record, TopicConfig};

#[test]
fn readers_run_concurrently_with_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("open");
    let config = TopicConfig::from_pairs(&["segment.bytes=4096"]).expect("cfg");
    let partition = Arc::clone(
        log.create_topic("t", config)
            .expect("t")
            .partition(0)
            .expect("p"),
    );
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let partition = Arc::clone(&partition);
            std::thread::spawn(move || {
                let mut next = 0u64;
                while next < 5_000 {
                    for r in partition.read(next, ReadLimits::records(97)).expect("read") {
                        assert_eq!(r.offset, next);
                        assert_eq!(r.value.as_deref(), Some(format!("{next}").as_bytes()));
                        next += 1;
                    }
                }
            })
        })
        .collect();
    for chunk in (0..5_000u64).collect::<Vec<_>>().chunks(50) {
        let batch: Vec<Record> = chunk
            .iter()
            .map(|i| Record::new(None::<&str>, Some(i.to_string())))
            .collect();
        partition.append(&batch).expect("append");
    }
    for reader in readers {
        reader.join().expect("reader thread");
    }
}

#[test]
fn reads_respect_limits_and_seek_by_timestamp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("open");
    let config = TopicConfig::from_pairs(&["segment.bytes=500"]).expect("cfg");
    let partition = Arc::clone(
        log.create_topic("t", config)
            .expect("t")
            .partition(0)
            .expect("p"),
    );
    for i in 0..100i64 {
        partition
            .append(&[Record::new(None::<&str>, Some("0123456789")).with_timestamp(i * 10)])
            .expect("append");
    }
    assert_eq!(
        partition
            .read(0, ReadLimits::records(7))
            .expect("read")
            .len(),
        7
    );
    let by_bytes = partition
        .read(
            0,
            ReadLimits {
                max_records: 1000,
                max_bytes: 35,
            },
        )
        .expect("read");
    assert_eq!(by_bytes.len(), 4, "stops once 35 bytes of values were read");
    let one = partition
        .read(
            5,
            ReadLimits {
                max_records: 10,
                max_bytes: 1,
            },
        )
        .expect("read");
    assert_eq!(
        one.len(),
        1,
        "at least one record even if it exceeds max_bytes"
    );
    assert_eq!(partition.offset_for_timestamp(455).expect("seek"), Some(46));
    assert_eq!(partition.offset_for_timestamp(0).expect("seek"), Some(0));
    assert_eq!(partition.offset_for_timestamp(10_000).expect("seek"), None);
    assert!(
        partition
            .read(100, ReadLimits::default())
            .expect("read at end")
            .is_empty()
    );
    let err = partition
        .read(101, ReadLimits::default())
        .expect_err("beyond the end");
    assert!(matches!(err, LogError::OffsetOutOfRange { .. }), "{err}");
}

#[test]
fn retention_moves_the_log_start_and_old_reads_are_out_of_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("open");
    let config =
        TopicConfig::from_pairs(&["segment.bytes=200", "retention.bytes=400"]).expect("cfg");
    let partition = Arc::clone(
        log.create_topic("t", config)
            .expect("t")
            .partition(0)
            .expect("p"),
    );
    for _ in 0..30 {
        partition
            .append(&[Record::new(None::<&str>, Some("0123456789"))])
            .expect("append");
    }
    let deleted = partition.apply_retention().expect("retention");
    assert!(deleted > 0);
    let start = partition.log_start_offset();
    assert!(start > 0);
    let err = partition
        .read(0, ReadLimits::default())
        .expect_err("below the log start");
    assert!(
        err.to_string().contains("t-0") && err.to_string().contains("out of range"),
        "{err}"
    );
    assert_eq!(
        partition.read(start, ReadLimits::default()).expect("read")[0].offset,
        start
    );
    assert!(partition.info().size_bytes < 400 + 200);
}

#[test]
fn a_parked_reader_wakes_promptly_on_append() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("open");
    let partition = Arc::clone(
        log.create_topic("t", TopicConfig::default())
            .expect("t")
            .partition(0)
            .expect("p"),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut worst = Duration::ZERO;
    for round in 0..20u64 {
        let (parked_tx, parked_rx) = std::sync::mpsc::channel();
        let waiter = {
            let partition = Arc::clone(&partition);
            runtime.spawn(async move {
                let _ = parked_tx.send(());
                partition.wait_for_data(round).await;
                Instant::now()
            })
        };
        parked_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("waiter parked");
        let appended_at = Instant::now();
        partition
            .append(&[Record::new(None::<&str>, Some("x"))])
            .expect("append");
        let woke_at = runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), waiter).await })
            .expect("woke within the timeout")
            .expect("task");
        worst = worst.max(woke_at.saturating_duration_since(appended_at));
    }
    eprintln!("worst wake-up latency: {worst:?}");
    assert!(worst < Duration::from_millis(50), "wake-up took {worst:?}");
}

//! Crash consistency of the log: torn and garbled segment tails, corrupt sealed
//! segments, and the refuse-writes-after-a-failed-fsync rule.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use runnel::log::{
    ConsumedRecord, FaultyStorage, FlushPolicy, FsStorage, Log, LogError, LogOptions, ReadLimits,
    Record, TopicConfig,
};

fn record(i: usize) -> Record {
    Record::new(
        Some(format!("key-{i}")),
        Some(format!("value-{i}-{}", "x".repeat(i % 7))),
    )
    .with_timestamp(1_000 + i as i64)
}

fn read_all(log: &Log, topic: &str) -> Result<Vec<ConsumedRecord>, LogError> {
    let partition = log.partition(topic, 0)?;
    partition.read(
        partition.log_start_offset(),
        ReadLimits::records(usize::MAX / 2),
    )
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("topics/t/0"))
        .expect("partition dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files
}

/// Writes three batches (2, 3 and 4 records) and returns the byte where the last starts.
fn write_three_batches(dir: &Path) -> (u64, Vec<ConsumedRecord>) {
    let log = Log::open(dir, LogOptions::ephemeral()).expect("open");
    let topic = log
        .create_topic("t", TopicConfig::default())
        .expect("create");
    let partition = topic.partition(0).expect("partition 0");
    partition.append(&[record(0), record(1)]).expect("append");
    partition
        .append(&[record(2), record(3), record(4)])
        .expect("append");
    let last_start = partition.info().size_bytes;
    partition
        .append(&[record(5), record(6), record(7), record(8)])
        .expect("append");
    let all = read_all(&log, "t").expect("read");
    (last_start, all)
}

fn reopen_and_check(dir: &Path, expected: &[ConsumedRecord], full: &[ConsumedRecord]) {
    let log = Log::open(dir, LogOptions::ephemeral()).expect("reopen after damage");
    let records = read_all(&log, "t").expect("read after recovery");
    assert!(
        records == expected || records == full,
        "after recovery got {} records, expected {} (or all {})",
        records.len(),
        expected.len(),
        full.len()
    );
    let partition = log.partition("t", 0).expect("partition");
    let next = partition.end_offset();
    let range = partition
        .append(&[record(100)])
        .expect("append after recovery");
    assert_eq!(range.first, next);
    let tail = partition
        .read(next, ReadLimits::default())
        .expect("read new record");
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].value, record(100).value);
}

#[test]
fn truncating_the_last_batch_at_every_byte_keeps_exactly_the_complete_batches() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let (last_start, full) = write_three_batches(scratch.path());
    let segment = segment_files(scratch.path()).remove(0);
    let original = std::fs::read(&segment).expect("read segment");
    let expected: Vec<ConsumedRecord> = full[..5].to_vec();
    for cut in last_start as usize..original.len() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_three_batches(dir.path());
        let segment = segment_files(dir.path()).remove(0);
        std::fs::write(&segment, &original[..cut]).expect("truncate");
        {
            let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("reopen");
            let notes = log.recovery_notes();
            if cut > last_start as usize {
                assert_eq!(notes.len(), 1, "cut at {cut}: a torn tail is reported");
                assert_eq!(notes[0].dropped_bytes, (cut as u64) - last_start);
            }
        }
        reopen_and_check(dir.path(), &expected, &expected);
    }
}

#[test]
fn garbling_any_byte_of_the_last_batch_drops_it_or_leaves_it_intact() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let (last_start, full) = write_three_batches(scratch.path());
    let segment = segment_files(scratch.path()).remove(0);
    let original = std::fs::read(&segment).expect("read segment");
    let expected: Vec<ConsumedRecord> = full[..5].to_vec();
    for position in last_start as usize..original.len() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_three_batches(dir.path());
        let segment = segment_files(dir.path()).remove(0);
        let mut garbled = original.clone();
        garbled[position] ^= 0xA5;
        std::fs::write(&segment, &garbled).expect("garble");
        reopen_and_check(dir.path(), &expected, &full);
    }
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn write_many_segments(dir: &Path) -> Vec<ConsumedRecord> {
    let log = Log::open(dir, LogOptions::ephemeral()).expect("open");
    let config = TopicConfig::from_pairs(&["segment.bytes=300"]).expect("config");
    let topic = log.create_topic("t", config).expect("create");
    let partition = topic.partition(0).expect("partition");
    for i in 0..40 {
        partition
            .append(&[record(2 * i), record(2 * i + 1)])
            .expect("append");
    }
    assert!(
        partition.info().segments > 4,
        "the test needs several sealed segments"
    );
    read_all(&log, "t").expect("read")
}

#[test]
fn garbled_sealed_segments_are_errors_naming_the_file_never_silent() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..60 {
        let dir = tempfile::tempdir().expect("tempdir");
        let original = write_many_segments(dir.path());
        let segments = segment_files(dir.path());
        let victim = &segments[(rng.next() as usize) % (segments.len() - 1)];
        let mut bytes = std::fs::read(victim).expect("read sealed");
        let position = (rng.next() as usize) % bytes.len();
        bytes[position] ^= 1 << (rng.next() % 8);
        std::fs::write(victim, &bytes).expect("garble sealed");
        if round % 2 == 1 {
            // Without index files the segment is rebuilt (and checked) at open.
            std::fs::remove_file(victim.with_extension("index")).expect("remove index");
        }
        let outcome =
            Log::open(dir.path(), LogOptions::ephemeral()).and_then(|log| read_all(&log, "t"));
        match outcome {
            Ok(records) => assert_eq!(
                records,
                original,
                "round {round}: garbling byte {position} of {} changed data silently",
                victim.display()
            ),
            Err(LogError::Corrupted { path, .. }) => assert_eq!(&path, victim, "round {round}"),
            Err(other) => panic!("round {round}: unexpected error {other}"),
        }
    }
}

#[test]
fn missing_index_files_are_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = write_many_segments(dir.path());
    for file in segment_files(dir.path()) {
        let _ = std::fs::remove_file(file.with_extension("index"));
        let _ = std::fs::remove_file(file.with_extension("timeindex"));
    }
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("reopen");
    assert_eq!(read_all(&log, "t").expect("read"), original);
    let partition = log.partition("t", 0).expect("partition");
    assert_eq!(
        partition.offset_for_timestamp(1_050).expect("seek"),
        Some(50)
    );
    assert!(
        segment_files(dir.path())[0]
            .with_extension("index")
            .exists()
    );
}

#[test]
fn a_failed_fsync_makes_the_partition_refuse_writes_until_reopened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (storage, faults) = FaultyStorage::new(Arc::new(FsStorage));
    let options = LogOptions::ephemeral()
        .with_flush(FlushPolicy::EveryBatch)
        .with_storage(Arc::new(storage));
    {
        let log = Log::open(dir.path(), options.clone()).expect("open");
        let topic = log
            .create_topic("t", TopicConfig::default())
            .expect("create");
        let partition = Arc::clone(topic.partition(0).expect("partition"));
        partition.append(&[record(0)]).expect("first append");
        assert!(
            faults.syncs.load(Ordering::SeqCst) >= 1,
            "every batch is synced"
        );
        faults.fail_sync.store(true, Ordering::SeqCst);
        let err = partition.append(&[record(1)]).expect_err("sync fails");
        assert!(matches!(err, LogError::Io { .. }), "{err}");
        faults.fail_sync.store(false, Ordering::SeqCst);
        let err = partition.append(&[record(2)]).expect_err("refused");
        assert!(matches!(err, LogError::WritesRefused { .. }), "{err}");
        assert!(err.to_string().contains("t-0"), "{err}");
        assert!(partition.is_refusing_writes());
    }
    let log = Log::open(dir.path(), options).expect("reopen");
    let partition = log.partition("t", 0).expect("partition");
    assert!(!partition.is_refusing_writes());
    let range = partition.append(&[record(3)]).expect("append after reopen");
    let records = read_all(&log, "t").expect("read");
    assert_eq!(records[0].value, record(0).value);
    assert_eq!(records.last().map(|r| r.offset), Some(range.first));
}

#[test]
fn a_failed_write_also_refuses_and_recovery_drops_the_partial_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (storage, faults) = FaultyStorage::new(Arc::new(FsStorage));
    let options = LogOptions::ephemeral().with_storage(Arc::new(storage));
    {
        let log = Log::open(dir.path(), options.clone()).expect("open");
        let topic = log
            .create_topic("t", TopicConfig::default())
            .expect("create");
        let partition = topic.partition(0).expect("partition");
        partition.append(&[record(0), record(1)]).expect("append");
        faults.fail_write.store(true, Ordering::SeqCst);
        partition.append(&[record(2)]).expect_err("write fails");
        faults.fail_write.store(false, Ordering::SeqCst);
        let err = partition.append(&[record(3)]).expect_err("refused");
        assert!(matches!(err, LogError::WritesRefused { .. }), "{err}");
    }
    let log = Log::open(dir.path(), options).expect("reopen");
    assert_eq!(read_all(&log, "t").expect("read").len(), 2);
}

#[test]
fn interval_flush_syncs_only_when_due_and_never_policy_never_syncs() {
    use runnel::log::ManualClock;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(0));
    let (storage, faults) = FaultyStorage::new(Arc::new(FsStorage));
    let options = LogOptions::ephemeral()
        .with_flush(FlushPolicy::Interval(std::time::Duration::from_millis(100)))
        .with_clock(Arc::clone(&clock) as _)
        .with_storage(Arc::new(storage));
    let log = Log::open(dir.path(), options).expect("open");
    let topic = log
        .create_topic("t", TopicConfig::default())
        .expect("create");
    let partition = topic.partition(0).expect("partition");
    let syncs = || faults.syncs.load(Ordering::SeqCst);
    let before = syncs();
    partition.append(&[record(0)]).expect("append");
    assert_eq!(syncs(), before, "not due yet");
    clock.advance(150);
    log.run_cleaner_once().expect("cleaner");
    assert_eq!(
        syncs(),
        before + 1,
        "the cleaner flushes once the interval passed"
    );
    log.run_cleaner_once().expect("cleaner");
    assert_eq!(syncs(), before + 1, "nothing unsynced, nothing to do");
    partition.append(&[record(1)]).expect("append");
    clock.advance(150);
    partition.append(&[record(2)]).expect("append");
    assert_eq!(syncs(), before + 2, "an append past the interval syncs");

    let dir = tempfile::tempdir().expect("tempdir");
    let (storage, faults) = FaultyStorage::new(Arc::new(FsStorage));
    let log = Log::open(
        dir.path(),
        LogOptions::ephemeral().with_storage(Arc::new(storage)),
    )
    .expect("open");
    let topic = log
        .create_topic("t", TopicConfig::default())
        .expect("create");
    for i in 0..10 {
        topic
            .partition(0)
            .expect("p")
            .append(&[record(i)])
            .expect("append");
    }
    drop(log);
    assert_eq!(
        faults.syncs.load(Ordering::SeqCst),
        0,
        "FlushPolicy::Never never fsyncs"
    );
}

#[test]
fn space_reserved_ahead_of_the_active_segment_is_never_data_and_is_released_when_sealed() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let allocated = |path: &Path| std::fs::metadata(path).expect("metadata").blocks() * 512;
    let size = |path: &Path| std::fs::metadata(path).expect("metadata").len();
    // Blocks a file of this size takes without anything reserved beyond its end.
    let plain_blocks = |path: &Path| size(path).next_multiple_of(4096) + 4096;
    let expected = {
        let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("open");
        let config = TopicConfig::from_pairs(&["segment.bytes=100000"]).expect("config");
        let topic = log.create_topic("t", config).expect("create");
        let partition = topic.partition(0).expect("partition");
        for i in 0..60 {
            let batch: Vec<Record> = (0..100).map(|j| record(100 * i + j)).collect();
            partition.append(&batch).expect("append");
        }
        let files = segment_files(dir.path());
        assert!(files.len() >= 2, "the test needs a sealed segment");
        let (active, sealed) = files.split_last().expect("segments");
        let active_bytes =
            partition.info().size_bytes - sealed.iter().map(|f| size(f)).sum::<u64>();
        assert_eq!(
            size(active),
            active_bytes,
            "reserved space is not part of the file"
        );
        // Where the file system can reserve (ext4, xfs, tmpfs), the active segment has.
        let reserves = allocated(active) > plain_blocks(active);
        eprintln!(
            "file system reserves space ahead: {reserves} ({} allocated for {} bytes)",
            allocated(active),
            size(active)
        );
        for file in sealed {
            assert!(
                allocated(file) <= plain_blocks(file),
                "{} keeps {} bytes allocated for {} bytes",
                file.display(),
                allocated(file),
                size(file)
            );
        }
        read_all(&log, "t").expect("read")
    };
    assert_eq!(expected.len(), 6000);
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("reopen");
    assert_eq!(read_all(&log, "t").expect("read after reopen"), expected);
    let partition = log.partition("t", 0).expect("partition");
    partition
        .append(&[record(6000)])
        .expect("append after reopen");
}

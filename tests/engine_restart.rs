//! Restarting an engine mid-stream — cleanly, or by a crash at any changelog write
//! (before a batch's output, or between the output and its checkpoint) — leaves the
//! sinks exactly as an uninterrupted run does: nothing lost, nothing repeated.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use runnel::engine::Engine;
use runnel::log::{FsStorage, Log, LogOptions, ReadLimits, Storage, StorageFile};

/// A file system whose changelog segment writes fail once a countdown runs out.
#[derive(Debug)]
struct CrashingStorage {
    inner: FsStorage,
    /// Changelog segment writes still allowed; negative = unlimited.
    writes_left: Arc<AtomicI64>,
}

#[derive(Debug)]
struct CrashingFile {
    inner: Arc<dyn StorageFile>,
    writes_left: Option<Arc<AtomicI64>>,
}

impl StorageFile for CrashingFile {
    fn read_at(&self, buf: &mut [u8], position: u64) -> io::Result<usize> {
        self.inner.read_at(buf, position)
    }
    fn write_all_at(&self, buf: &[u8], position: u64) -> io::Result<()> {
        if let Some(left) = &self.writes_left {
            if left.load(Ordering::SeqCst) == 0 {
                return Err(io::Error::other("simulated crash"));
            }
            if left.load(Ordering::SeqCst) > 0 {
                left.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.inner.write_all_at(buf, position)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.inner.sync_data()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn size(&self) -> io::Result<u64> {
        self.inner.size()
    }
}

impl Storage for CrashingStorage {
    fn open(&self, path: &Path, create: bool) -> io::Result<Arc<dyn StorageFile>> {
        let text = path.to_string_lossy();
        let is_changelog_segment = text.contains("-changelog") && text.ends_with(".log");
        Ok(Arc::new(CrashingFile {
            inner: self.inner.open(path, create)?,
            writes_left: is_changelog_segment.then(|| Arc::clone(&self.writes_left)),
        }))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        self.inner.list_dir(path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.inner.exists(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
}

fn open(dir: &Path, writes_left: &Arc<AtomicI64>) -> Engine {
    let storage = CrashingStorage {
        inner: FsStorage,
        writes_left: Arc::clone(writes_left),
    };
    let log =
        Log::open(dir, LogOptions::ephemeral().with_storage(Arc::new(storage))).expect("log opens");
    let engine = Engine::new(log).expect("engine opens");
    assert!(
        engine.replay_failures().is_empty(),
        "{:?}",
        engine.replay_failures()
    );
    engine
}

const SETUP: &str = "
    SET 'auto.offset.reset' = 'earliest';
    CREATE STREAM S (ID INT KEY, V INT) WITH (KAFKA_TOPIC='s', PARTITIONS=2, VALUE_FORMAT='JSON');
    CREATE TABLE TOTALS AS SELECT ID, COUNT(*) AS C, SUM(V) AS TOTAL FROM S GROUP BY ID;
    CREATE TABLE WINDOWED AS SELECT ID, MAX(V) AS M FROM S
        WINDOW TUMBLING (SIZE 50 MILLISECONDS, GRACE PERIOD 20 MILLISECONDS) GROUP BY ID;
    CREATE STREAM EVENS AS SELECT ID, V FROM S WHERE V % 2 = 0;
";

const CHUNKS: u64 = 6;

/// The INSERTs of chunk `n`: keys 0..5, out-of-order times.
fn chunk(n: u64) -> String {
    (0..12)
        .map(|i| {
            let id = (n * 7 + i * 3) % 5;
            let v = (n * 13 + i * 5) % 17;
            let ts = n * 40 + (i * 29) % 60;
            format!("INSERT INTO S (ID, V, ROWTIME) VALUES ({id}, {v}, {ts});")
        })
        .collect()
}

/// Every record of the sinks, per topic and partition, in log order.
fn sink_contents(log: &Log) -> Vec<(String, u32, Vec<(Option<Vec<u8>>, Option<Vec<u8>>, i64)>)> {
    let mut out = Vec::new();
    for topic in ["TOTALS", "WINDOWED", "EVENS"] {
        let topic = log.existing_topic(topic).expect("sink topic");
        for partition in topic.partitions() {
            let records = partition
                .read(0, ReadLimits::records(100_000))
                .expect("read");
            let records = records
                .into_iter()
                .map(|r| {
                    (
                        r.key.map(|k| k.to_vec()),
                        r.value.map(|v| v.to_vec()),
                        r.timestamp,
                    )
                })
                .collect();
            out.push((topic.name().to_string(), partition.id(), records));
        }
    }
    out
}

/// Runs the scenario; `crash_at` fails that changelog write (counted after setup), and
/// every failure is followed by a reopen on the same directory. `clean_restart_after`
/// drops and reopens the engine after that chunk without a crash.
fn run(
    crash_at: Option<i64>,
    clean_restart_after: Option<u64>,
) -> (Vec<impl PartialEq + std::fmt::Debug>, bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let writes_left = Arc::new(AtomicI64::new(-1));
    let mut engine = open(dir.path(), &writes_left);
    engine.execute(SETUP).expect("setup runs");
    engine.run_until_idle().expect("idle");
    if let Some(at) = crash_at {
        writes_left.store(at, Ordering::SeqCst);
    }
    let mut crashed = false;
    for n in 0..CHUNKS {
        engine.execute(&chunk(n)).expect("inserts");
        if engine.run_until_idle().is_err() {
            crashed = true;
            drop(engine);
            writes_left.store(-1, Ordering::SeqCst);
            engine = open(dir.path(), &writes_left);
            engine.run_until_idle().expect("the restarted engine runs");
        }
        if clean_restart_after == Some(n) {
            drop(engine);
            engine = open(dir.path(), &writes_left);
            assert_eq!(engine.queries().count(), 3, "every query restarted");
        }
    }
    engine.run_until_idle().expect("idle");
    (sink_contents(engine.log()), crashed)
}

#[test]
fn a_clean_restart_continues_where_the_engine_stopped() {
    let (expected, _) = run(None, None);
    for after in [0, 3] {
        let (restarted, _) = run(None, Some(after));
        assert_eq!(restarted, expected, "restart after chunk {after}");
    }
}

#[test]
fn a_crash_at_any_changelog_write_neither_loses_nor_repeats_output() {
    let (expected, _) = run(None, None);
    // Each task writes an intent before a batch's output and a checkpoint after it:
    // consecutive counts hit both sides of the output, in different tasks and chunks.
    for crash_at in [0, 1, 2, 3, 5, 8, 13, 21] {
        let (after_crash, crashed) = run(Some(crash_at), None);
        assert!(crashed, "the crash at write {crash_at} happened");
        assert_eq!(after_crash, expected, "crash at changelog write {crash_at}");
    }
}

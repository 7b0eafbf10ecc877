//! The [`Log`]: a directory of topics, opened with recovery, shared by the whole engine.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::cleaner::CleanerHandle;
use super::config::TopicConfig;
use super::error::{LogError, Result};
use super::group::GroupCoordinator;
use super::offsets::CommittedOffsets;
use super::options::{FlushPolicy, LogOptions};
use super::partition::Partition;
use super::segment::RecoveryNote;
use super::storage;
use super::topic::{Topic, validate_topic_name};

/// Where the log lives inside a Runnel data directory (`--data-dir`).
pub const LOG_SUBDIR: &str = "log";
const TOPICS_DIR: &str = "topics";
const TOPIC_CONFIG_FILE: &str = "config.json";
const DELETED_PREFIX: &str = ".deleted-";

/// The embedded partitioned log.
#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    pub(crate) options: Arc<LogOptions>,
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    /// Serializes topic creation and deletion (directory changes).
    admin: Mutex<()>,
    recovery_notes: Vec<RecoveryNote>,
    pub(crate) committed: CommittedOffsets,
    pub(crate) groups: GroupCoordinator,
    pub(crate) cleaner: Mutex<Option<CleanerHandle>>,
    _lock: File,
}

impl Log {
    /// Opens (creating if needed) the log in `dir`, recovering every partition.
    pub fn open(dir: impl AsRef<Path>, options: LogOptions) -> Result<Arc<Log>> {
        let dir = dir.as_ref().to_path_buf();
        let options = Arc::new(options);
        let storage = options.storage.as_ref();
        let topics_dir = dir.join(TOPICS_DIR);
        storage
            .create_dir_all(&topics_dir)
            .map_err(|e| LogError::io("creating log directory", &topics_dir, e))?;
        let lock = acquire_lock(&dir)?;
        let mut notes = Vec::new();
        let mut topics = BTreeMap::new();
        let names = storage
            .list_dir(&topics_dir)
            .map_err(|e| LogError::io("listing topics in", &topics_dir, e))?;
        for name in names {
            let topic_dir = topics_dir.join(&name);
            let config_path = topic_dir.join(TOPIC_CONFIG_FILE);
            if name.starts_with(DELETED_PREFIX) || !storage.exists(&config_path) {
                // A deletion or a creation that did not finish: the topic never existed.
                storage
                    .remove_dir_all(&topic_dir)
                    .map_err(|e| LogError::io("removing unfinished topic", &topic_dir, e))?;
                continue;
            }
            let topic = open_topic(&name, topic_dir, &config_path, &options, &mut notes)?;
            topics.insert(name, Arc::new(topic));
        }
        let committed = match topics.get(super::offsets::OFFSETS_TOPIC) {
            Some(topic) => CommittedOffsets::replay(topic)?,
            None => CommittedOffsets::default(),
        };
        let log = Arc::new(Log {
            dir,
            groups: GroupCoordinator::new(Arc::clone(&options.clock)),
            options: Arc::clone(&options),
            topics: RwLock::new(topics),
            admin: Mutex::new(()),
            recovery_notes: notes,
            committed,
            cleaner: Mutex::new(None),
            _lock: lock,
        });
        if options.background_cleaner {
            CleanerHandle::start(&log)?;
        }
        Ok(log)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What recovery truncated from torn segment tails when the log was opened.
    pub fn recovery_notes(&self) -> &[RecoveryNote] {
        &self.recovery_notes
    }

    /// Creates a topic; refuses a bad name, an existing topic, or internal names.
    pub fn create_topic(&self, name: &str, config: TopicConfig) -> Result<Arc<Topic>> {
        validate_topic_name(name)?;
        if name.starts_with(super::topic::INTERNAL_PREFIX) {
            return Err(LogError::InvalidTopicName {
                name: name.to_string(),
                reason: "names starting with '__' are reserved for the log's own topics".into(),
            });
        }
        self.create_topic_unchecked(name, config)
    }

    /// Creates a topic, internal names allowed.
    pub(crate) fn create_topic_unchecked(
        &self,
        name: &str,
        config: TopicConfig,
    ) -> Result<Arc<Topic>> {
        let _admin = self.admin.lock();
        if self.topics.read().contains_key(name) {
            return Err(LogError::TopicExists(name.to_string()));
        }
        let storage = self.options.storage.as_ref();
        let topic_dir = self.dir.join(TOPICS_DIR).join(name);
        let config = Arc::new(config);
        let mut partitions = Vec::with_capacity(config.partitions as usize);
        for id in 0..config.partitions {
            partitions.push(Arc::new(Partition::create(
                name,
                id,
                topic_dir.join(id.to_string()),
                Arc::clone(&self.options),
                Arc::clone(&config),
            )?));
        }
        let json = serde_json::to_vec_pretty(config.as_ref())
            .map_err(|e| LogError::Internal(format!("encoding topic config: {e}")))?;
        let durable = self.options.flush != FlushPolicy::Never;
        // The config file is written last: it marks the topic as complete.
        let config_path = topic_dir.join(TOPIC_CONFIG_FILE);
        storage::write_whole_atomic(storage, &config_path, &json, durable)
            .map_err(|e| LogError::io("writing topic config", &config_path, e))?;
        let topic = Arc::new(Topic {
            name: name.to_string(),
            dir: topic_dir,
            config,
            partitions,
        });
        self.topics
            .write()
            .insert(name.to_string(), Arc::clone(&topic));
        Ok(topic)
    }

    /// Deletes a topic and its data; readers waiting on it wake up.
    pub fn delete_topic(&self, name: &str) -> Result<()> {
        let _admin = self.admin.lock();
        let topic = self
            .topics
            .write()
            .remove(name)
            .ok_or_else(|| LogError::UnknownTopic(name.to_string()))?;
        for partition in &topic.partitions {
            partition.close();
        }
        let storage = self.options.storage.as_ref();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let doomed = self
            .dir
            .join(TOPICS_DIR)
            .join(format!("{DELETED_PREFIX}{name}-{nanos}"));
        // Rename first so that a crash mid-delete cannot leave a half topic behind.
        storage
            .rename(&topic.dir, &doomed)
            .map_err(|e| LogError::io("deleting topic directory", &topic.dir, e))?;
        storage
            .remove_dir_all(&doomed)
            .map_err(|e| LogError::io("deleting topic directory", &doomed, e))?;
        Ok(())
    }

    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.topics.read().get(name).map(Arc::clone)
    }

    /// The topic, or an error naming it.
    pub fn existing_topic(&self, name: &str) -> Result<Arc<Topic>> {
        self.topic(name)
            .ok_or_else(|| LogError::UnknownTopic(name.to_string()))
    }

    /// Every topic, internal ones included, by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        self.topics.read().values().map(Arc::clone).collect()
    }

    /// The topic's partition, or an error naming what is missing.
    pub fn partition(&self, topic: &str, partition: u32) -> Result<Arc<Partition>> {
        Ok(Arc::clone(
            self.existing_topic(topic)?.partition(partition)?,
        ))
    }

    /// Forces all appended data of every partition to disk.
    pub fn flush(&self) -> Result<()> {
        for topic in self.topics() {
            for partition in &topic.partitions {
                partition.flush()?;
            }
        }
        Ok(())
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        if let Some(cleaner) = self.cleaner.get_mut().take() {
            cleaner.stop();
        }
        if self.options.flush != FlushPolicy::Never {
            // Best effort: a failure here was already reported by the append that refused.
            let _ = self.flush();
        }
    }
}

fn open_topic(
    name: &str,
    topic_dir: PathBuf,
    config_path: &Path,
    options: &Arc<LogOptions>,
    notes: &mut Vec<RecoveryNote>,
) -> Result<Topic> {
    let bytes = storage::read_whole(options.storage.as_ref(), config_path)
        .map_err(|e| LogError::io("reading topic config", config_path, e))?;
    let config: TopicConfig = serde_json::from_slice(&bytes).map_err(|e| LogError::Corrupted {
        path: config_path.to_path_buf(),
        position: e.column() as u64,
        offset: 0,
        reason: format!("topic config is not valid JSON: {e}"),
    })?;
    let config = Arc::new(config);
    let mut partitions = Vec::with_capacity(config.partitions as usize);
    for id in 0..config.partitions {
        partitions.push(Arc::new(Partition::open(
            name,
            id,
            topic_dir.join(id.to_string()),
            Arc::clone(options),
            Arc::clone(&config),
            notes,
        )?));
    }
    Ok(Topic {
        name: name.to_string(),
        dir: topic_dir,
        config,
        partitions,
    })
}

/// Takes an exclusive advisory lock on `dir/LOCK`, held while the log is open.
fn acquire_lock(dir: &Path) -> Result<File> {
    let path = dir.join("LOCK");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LogError::io("opening lock file", &path, e))?;
    // A previous `Log` of this process may still be finishing its drop on the cleaner
    // thread; give it a moment before declaring the directory taken.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LogError::Locked(dir.to_path_buf()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(LogError::io("locking", &path, e)),
        }
    }
}

//! `runnel topic create|list|describe|delete|produce|consume`: the log's own tools.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Subcommand;
use serde_json::{Map, Value};

use crate::log::{
    FlushPolicy, JoinRequest, LOG_SUBDIR, Log, LogError, LogOptions, OffsetReset, Partition,
    Producer, ReadLimits, Record, Result, TopicConfig, TopicPartition,
};

#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic.
    Create {
        name: String,
        #[arg(long, default_value_t = 1)]
        partitions: u32,
        /// A topic setting as key=value (repeatable), e.g. cleanup.policy=compact.
        #[arg(long = "config", value_name = "KEY=VALUE")]
        config: Vec<String>,
    },
    /// List topics.
    List,
    /// Show a topic's partitions (offsets, size, segments) and config.
    Describe { name: String },
    /// Delete a topic and its data.
    Delete { name: String },
    /// Append JSON lines from stdin:
    /// {"key":..,"value":..,"timestamp":..,"partition":..,"headers":{..}}.
    Produce {
        name: String,
        /// Treat each input line as the value (no key, no JSON parsing).
        #[arg(long)]
        value_only: bool,
        /// When appended data is fsynced: every-batch, never, or a number of ms.
        #[arg(long, default_value = "every-batch")]
        flush: String,
        /// Print {"line":..,"partition":..,"offset":..} once each line is appended.
        #[arg(long)]
        print_offsets: bool,
    },
    /// Print records as JSON lines.
    Consume {
        name: String,
        #[arg(long)]
        from_beginning: bool,
        #[arg(long, conflicts_with = "from_beginning")]
        offset: Option<u64>,
        #[arg(long)]
        partition: Option<u32>,
        /// Consume as this group: start at its committed offsets and commit progress.
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        max_messages: Option<u64>,
        /// Stop after this long without a new record.
        #[arg(long)]
        timeout_ms: Option<u64>,
    },
}

/// The log directory inside a data directory.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(LOG_SUBDIR)
}

/// Opens the log for a one-shot command and reports what recovery truncated.
pub fn open_log(data_dir: &Path, flush: FlushPolicy) -> Result<Arc<Log>> {
    let options = LogOptions::default()
        .with_flush(flush)
        .with_background_cleaner(false);
    let log = Log::open(log_dir(data_dir), options)?;
    for note in log.recovery_notes() {
        eprintln!(
            "recovery: truncated {} torn byte(s) from {} (kept {} bytes): {}",
            note.dropped_bytes,
            note.path.display(),
            note.kept_bytes,
            note.reason
        );
    }
    Ok(log)
}

pub fn run(data_dir: &Path, command: TopicCommand) -> Result<ExitCode> {
    match command {
        TopicCommand::Create {
            name,
            partitions,
            config,
        } => {
            let mut settings = vec![format!("partitions={partitions}")];
            settings.extend(config);
            let config = TopicConfig::from_pairs(&settings)?;
            let log = open_log(data_dir, FlushPolicy::EveryBatch)?;
            log.create_topic(&name, config)?;
            println!("Created topic {name} with {partitions} partition(s)");
        }
        TopicCommand::List => {
            let log = open_log(data_dir, FlushPolicy::Never)?;
            for topic in log.topics().iter().filter(|t| !t.is_internal()) {
                println!("{}", topic.name());
            }
        }
        TopicCommand::Describe { name } => describe(data_dir, &name)?,
        TopicCommand::Delete { name } => {
            let log = open_log(data_dir, FlushPolicy::EveryBatch)?;
            log.delete_topic(&name)?;
            println!("Deleted topic {name}");
        }
        TopicCommand::Produce {
            name,
            value_only,
            flush,
            print_offsets,
        } => {
            let flush = parse_flush(&flush)?;
            let log = open_log(data_dir, flush)?;
            let mut stdin = BufReader::new(std::io::stdin());
            return produce(&log, &name, value_only, print_offsets, &mut stdin);
        }
        TopicCommand::Consume {
            name,
            from_beginning,
            offset,
            partition,
            group,
            max_messages,
            timeout_ms,
        } => {
            let log = open_log(data_dir, FlushPolicy::Never)?;
            let request = ConsumeRequest {
                topic: name,
                from_beginning,
                offset,
                partition,
                group,
                max_messages,
                timeout: timeout_ms.map(Duration::from_millis),
            };
            consume(&log, &request, &mut std::io::stdout().lock())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_flush(text: &str) -> Result<FlushPolicy> {
    match text {
        "every-batch" => Ok(FlushPolicy::EveryBatch),
        "never" => Ok(FlushPolicy::Never),
        ms => ms
            .parse::<u64>()
            .map(|ms| FlushPolicy::Interval(Duration::from_millis(ms)))
            .map_err(|_| {
                LogError::InvalidConfig(format!(
                    "--flush {text}: expected every-batch, never or a number of milliseconds"
                ))
            }),
    }
}

fn describe(data_dir: &Path, name: &str) -> Result<()> {
    let log = open_log(data_dir, FlushPolicy::Never)?;
    let topic = log.existing_topic(name)?;
    println!(
        "Topic: {}  Partitions: {}",
        topic.name(),
        topic.partition_count()
    );
    let config: Vec<String> = topic
        .config()
        .to_pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!("Config: {}", config.join(", "));
    let mut table = comfy_table::Table::new();
    table.set_header([
        "Partition",
        "Log start",
        "End offset",
        "Size (bytes)",
        "Segments",
    ]);
    for partition in topic.partitions() {
        let info = partition.info();
        table.add_row([
            info.partition.to_string(),
            info.log_start_offset.to_string(),
            info.end_offset.to_string(),
            info.size_bytes.to_string(),
            info.segments.to_string(),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// One parsed input line of `topic produce`.
struct InputLine {
    record: Record,
    partition: Option<u32>,
}

fn json_bytes(value: &Value) -> Option<Bytes> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Bytes::from(text.clone().into_bytes())),
        other => Some(Bytes::from(other.to_string().into_bytes())),
    }
}

fn parse_line(line: &str, value_only: bool) -> std::result::Result<InputLine, String> {
    if value_only {
        return Ok(InputLine {
            record: Record {
                value: Some(Bytes::from(line.as_bytes().to_vec())),
                ..Record::default()
            },
            partition: None,
        });
    }
    let parsed: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(fields) = parsed else {
        return Err("expected a JSON object like {\"key\":..,\"value\":..}".into());
    };
    let mut input = InputLine {
        record: Record::default(),
        partition: None,
    };
    for (name, value) in fields {
        match name.as_str() {
            "key" => input.record.key = json_bytes(&value),
            "value" => input.record.value = json_bytes(&value),
            "timestamp" => {
                input.record.timestamp = match value {
                    Value::Null => None,
                    other => Some(other.as_i64().ok_or_else(|| {
                        format!("\"timestamp\" must be an integer of milliseconds, got {other}")
                    })?),
                }
            }
            "partition" => {
                input.partition = match value {
                    Value::Null => None,
                    other => Some(
                        other
                            .as_u64()
                            .and_then(|p| u32::try_from(p).ok())
                            .ok_or_else(|| {
                                format!("\"partition\" must be a partition number, got {other}")
                            })?,
                    ),
                }
            }
            "headers" => match value {
                Value::Null => {}
                Value::Object(headers) => {
                    input.record.headers = headers
                        .iter()
                        .map(|(k, v)| (k.clone(), json_bytes(v)))
                        .collect();
                }
                other => return Err(format!("\"headers\" must be an object, got {other}")),
            },
            other => {
                return Err(format!(
                    "unknown field \"{other}\" (expected key, value, timestamp, partition, headers)"
                ));
            }
        }
    }
    Ok(input)
}

/// Appends stdin lines; a bad line stops the command (lines before it stay appended).
pub fn produce<R: Read>(
    log: &Log,
    topic: &str,
    value_only: bool,
    print_offsets: bool,
    input: &mut BufReader<R>,
) -> Result<ExitCode> {
    let topic = log.existing_topic(topic)?;
    let mut producer = Producer::new(topic);
    let mut pending_lines: Vec<(usize, u32)> = Vec::new();
    let mut line = String::new();
    let mut number = 0usize;
    let mut out = std::io::stdout().lock();
    let stdout_error = |e| LogError::io("writing to", "<stdout>", e);
    loop {
        line.clear();
        let read = input
            .read_line(&mut line)
            .map_err(|e| LogError::io("reading", "<stdin>", e))?;
        if read == 0 {
            break;
        }
        number += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if !value_only && text.trim().is_empty() {
            continue;
        }
        let parsed = parse_line(text, value_only).and_then(|p| {
            producer
                .send(p.record, p.partition)
                .map_err(|e| e.to_string())
        });
        match parsed {
            Ok(partition) => pending_lines.push((number, partition)),
            Err(reason) => {
                flush_producer(&mut producer, &mut pending_lines, print_offsets, &mut out)?;
                eprintln!(
                    "error: line {number}: {reason}; the {} line(s) before it were appended",
                    number - 1
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        // Append when stdin has nothing more buffered: batches under load, prompt
        // acknowledgement when interactive.
        if input.buffer().is_empty() || producer.pending_records() >= 1000 {
            flush_producer(&mut producer, &mut pending_lines, print_offsets, &mut out)?;
        }
    }
    flush_producer(&mut producer, &mut pending_lines, print_offsets, &mut out)?;
    out.flush().map_err(stdout_error)?;
    Ok(ExitCode::SUCCESS)
}

fn flush_producer(
    producer: &mut Producer,
    lines: &mut Vec<(usize, u32)>,
    print_offsets: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let appended = producer.flush()?;
    if print_offsets {
        let mut next: BTreeMap<u32, u64> = appended.iter().map(|(p, r)| (*p, r.first)).collect();
        for (line, partition) in lines.iter() {
            let offset = next.get_mut(partition).map_or(0, |o| {
                *o += 1;
                *o - 1
            });
            writeln!(
                out,
                "{{\"line\":{line},\"partition\":{partition},\"offset\":{offset}}}"
            )
            .map_err(|e| LogError::io("writing to", "<stdout>", e))?;
        }
        out.flush()
            .map_err(|e| LogError::io("writing to", "<stdout>", e))?;
    }
    lines.clear();
    Ok(())
}

/// What `topic consume` was asked for.
#[derive(Debug, Clone, Default)]
pub struct ConsumeRequest {
    pub topic: String,
    pub from_beginning: bool,
    pub offset: Option<u64>,
    pub partition: Option<u32>,
    pub group: Option<String>,
    pub max_messages: Option<u64>,
    pub timeout: Option<Duration>,
}

fn bytes_json(bytes: &Option<Bytes>) -> Value {
    match bytes {
        None => Value::Null,
        Some(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
    }
}

/// Prints records as JSON lines; returns how many were printed.
pub fn consume(log: &Log, request: &ConsumeRequest, out: &mut dyn Write) -> Result<u64> {
    let topic = log.existing_topic(&request.topic)?;
    let mut member = None;
    let tps: Vec<TopicPartition> = match (request.partition, &request.group) {
        (Some(p), _) => {
            topic.partition(p)?;
            vec![TopicPartition::new(topic.name(), p)]
        }
        (None, Some(group)) => {
            let assignment =
                log.join_group(group, JoinRequest::new(vec![topic.name().to_string()]))?;
            member = Some(assignment.member_id.clone());
            assignment.partitions
        }
        (None, None) => (0..topic.partition_count())
            .map(|p| TopicPartition::new(topic.name(), p))
            .collect(),
    };
    let reset = if request.from_beginning {
        OffsetReset::Earliest
    } else {
        OffsetReset::Latest
    };
    let mut cursors: Vec<(Arc<Partition>, u64)> = Vec::with_capacity(tps.len());
    for tp in &tps {
        let partition = Arc::clone(topic.partition(tp.partition)?);
        let position = match request.offset {
            Some(offset) => offset,
            None => log.start_offset(request.group.as_deref(), tp, reset)?,
        };
        cursors.push((partition, position));
    }
    let limit = request.max_messages.unwrap_or(u64::MAX);
    let mut printed = 0u64;
    let mut last_record = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| LogError::io("starting the async runtime for", "consume", e))?;
    'outer: loop {
        let mut progressed = false;
        for (partition, position) in cursors.iter_mut() {
            let remaining = (limit - printed).min(10_000) as usize;
            let records = partition.read(*position, ReadLimits::records(remaining))?;
            for record in records {
                let mut line = Map::new();
                line.insert("partition".into(), partition.id().into());
                line.insert("offset".into(), record.offset.into());
                line.insert("timestamp".into(), record.timestamp.into());
                line.insert("key".into(), bytes_json(&record.key));
                line.insert("value".into(), bytes_json(&record.value));
                let headers: Map<String, Value> = record
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), bytes_json(v)))
                    .collect();
                line.insert("headers".into(), Value::Object(headers));
                writeln!(out, "{}", Value::Object(line))
                    .map_err(|e| LogError::io("writing to", "<stdout>", e))?;
                *position = record.offset + 1;
                printed += 1;
                progressed = true;
            }
            if printed >= limit {
                break 'outer;
            }
        }
        if progressed {
            last_record = Instant::now();
            continue;
        }
        let wait = match request.timeout {
            Some(timeout) => match timeout.checked_sub(last_record.elapsed()) {
                Some(left) if !left.is_zero() => left,
                _ => break,
            },
            None => Duration::from_secs(3600),
        };
        let watched: Vec<(Arc<Partition>, u64)> = cursors
            .iter()
            .map(|(p, pos)| (Arc::clone(p), *pos))
            .collect();
        runtime.block_on(async move {
            let notify = Arc::new(tokio::sync::Notify::new());
            let mut tasks = Vec::new();
            for (partition, position) in watched {
                let notify = Arc::clone(&notify);
                tasks.push(tokio::spawn(async move {
                    partition.wait_for_data(position).await;
                    notify.notify_one();
                }));
            }
            let _ = tokio::time::timeout(wait, notify.notified()).await;
            for task in tasks {
                task.abort();
            }
        });
    }
    out.flush()
        .map_err(|e| LogError::io("writing to", "<stdout>", e))?;
    if let Some(group) = &request.group {
        let offsets: Vec<(TopicPartition, u64)> = cursors
            .iter()
            .map(|(p, pos)| (TopicPartition::new(topic.name(), p.id()), *pos))
            .collect();
        log.commit_offsets(group, &offsets)?;
        if let Some(member) = member {
            log.leave_group(group, &member)?;
        }
    }
    Ok(printed)
}

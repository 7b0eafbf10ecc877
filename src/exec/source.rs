//! SourceExec: log records to change batches, with ROWTIME, ROWPARTITION and ROWOFFSET.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow::compute::filter;
use arrow::datatypes::{Field, Schema, SchemaRef};
use chrono::NaiveDateTime;
use chrono::format::Parsed;
use chrono::format::{Fixed, Item};

use super::change::{ChangeBatch, RowKind};
use super::error::{ExecError, Result};
use super::processing_log::ProcessingError;
use crate::catalog::{Namespace, Source, TimestampColumn, WindowType};
use crate::format::{self, RecordDecoder, SerdePart};
use crate::functions::scalar::java_format::JavaFormat;
use crate::log::ConsumedRecord;
use crate::plan::SourceInput;

/// Decodes the records of one source into batches laid out as its [`SourceInput`] scope.
pub struct SourceExec {
    source: Arc<Source>,
    key: RecordDecoder,
    value: RecordDecoder,
    schema: SchemaRef,
    /// For each scope column that is the source's own, where it comes from.
    layout: Vec<(Namespace, usize)>,
    /// The column `WITH (TIMESTAMP=...)` names, read as ROWTIME instead of the record's.
    event_time: Option<EventTimeColumn>,
    /// `ksql.timestamp.throw.on.invalid`: an invalid event time stops the query instead
    /// of skipping the record.
    throw_on_invalid_timestamp: bool,
}

/// Where a source's event time is read from, and how.
struct EventTimeColumn {
    namespace: Namespace,
    index: usize,
    reader: EventTimeReader,
}

/// Reads event times (epoch milliseconds) out of a BIGINT, TIMESTAMP or formatted
/// STRING column: `WITH (TIMESTAMP=...)` on a source or on a query's sink.
pub struct EventTimeReader {
    column: String,
    format: Option<JavaFormat>,
}

impl EventTimeReader {
    pub fn try_new(timestamp: &TimestampColumn) -> Result<Self> {
        let format = timestamp
            .format
            .as_deref()
            .map(compile_for_parsing)
            .transpose()
            .map_err(|e| {
                ExecError::Unsupported(format!(
                    "TIMESTAMP_FORMAT of column {}: {e}",
                    timestamp.column
                ))
            })?;
        Ok(EventTimeReader {
            column: timestamp.column.clone(),
            format,
        })
    }

    /// The event time of `row`; an error says why it is not a valid (non-negative) time.
    pub fn read(&self, array: &dyn Array, row: usize) -> std::result::Result<i64, String> {
        if array.is_null(row) {
            return Err(format!("timestamp column {} is null", self.column));
        }
        let any = array.as_any();
        let millis = if let Some(values) = any.downcast_ref::<Int64Array>() {
            values.value(row)
        } else if let Some(values) = any.downcast_ref::<TimestampMillisecondArray>() {
            values.value(row)
        } else if let Some(values) = any.downcast_ref::<StringArray>() {
            let format = self.format.as_ref().ok_or_else(|| {
                format!(
                    "timestamp column {} is a STRING without a TIMESTAMP_FORMAT",
                    self.column
                )
            })?;
            let text = values.value(row);
            parse_event_time(text, format).map_err(|e| {
                format!(
                    "cannot parse timestamp '{text}' with pattern '{}': {e}",
                    format.pattern
                )
            })?
        } else {
            return Err(format!(
                "timestamp column {} has type {}, not BIGINT, TIMESTAMP or STRING",
                self.column,
                array.data_type()
            ));
        };
        if millis < 0 {
            return Err(format!(
                "timestamp column {} holds a negative timestamp: {millis}",
                self.column
            ));
        }
        Ok(millis)
    }
}

/// Compiles a Java pattern for parsing only. Java's `X` accepts `Z` for a zero offset
/// where chrono's `%z` does not, so offsets also accept `Z`.
fn compile_for_parsing(pattern: &str) -> std::result::Result<JavaFormat, String> {
    let mut format = JavaFormat::compile(pattern)?;
    for item in &mut format.items {
        match item {
            Item::Fixed(Fixed::TimezoneOffset) => *item = Item::Fixed(Fixed::TimezoneOffsetZ),
            Item::Fixed(Fixed::TimezoneOffsetColon) => {
                *item = Item::Fixed(Fixed::TimezoneOffsetColonZ)
            }
            _ => {}
        }
    }
    Ok(format)
}

/// Parses `text` into epoch milliseconds, as UTC unless it carries an offset. Fields the
/// pattern lacks default to 1970-01-01T00:00:00, as Java's parser does.
fn parse_event_time(
    text: &str,
    format: &JavaFormat,
) -> std::result::Result<i64, chrono::format::ParseError> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, format.items.iter())?;
    // A two-digit year (`yy`) fills only the year within the century.
    if parsed.year().is_none() && parsed.year_mod_100().is_none() {
        parsed.set_year(1970)?;
    }
    if parsed.month().is_none() && parsed.ordinal().is_none() {
        parsed.set_month(1)?;
    }
    if parsed.day().is_none() && parsed.ordinal().is_none() {
        parsed.set_day(1)?;
    }
    if parsed.hour_mod_12().is_none() {
        parsed.set_hour(0)?;
    } else if parsed.hour_div_12().is_none() {
        parsed.set_ampm(false)?;
    }
    if parsed.minute().is_none() {
        parsed.set_minute(0)?;
    }
    if parsed.second().is_none() {
        parsed.set_second(0)?;
    }
    let local = NaiveDateTime::new(parsed.to_naive_date()?, parsed.to_naive_time()?);
    let offset_ms = i64::from(parsed.offset().unwrap_or(0)) * 1000;
    Ok(local.and_utc().timestamp_millis() - offset_ms)
}

impl SourceExec {
    pub fn try_new(input: &SourceInput) -> Result<Self> {
        let source = Arc::clone(&input.source);
        let key_columns: Vec<format::Column> = source
            .schema
            .key_columns()
            .map(|c| format::Column::new(&c.name, c.ty.clone()))
            .collect();
        let value_columns: Vec<format::Column> = source
            .schema
            .value_columns()
            .map(|c| format::Column::new(&c.name, c.ty.clone()))
            .collect();
        let key = RecordDecoder::try_new(&source.key_format, SerdePart::Key, &key_columns)?;
        let value = RecordDecoder::try_new(&source.value_format, SerdePart::Value, &value_columns)?;
        let mut layout = Vec::new();
        for column in input.scope.columns.iter().take(input.own_columns()) {
            let found = source
                .schema
                .columns
                .iter()
                .find(|c| c.name == column.name)
                .ok_or_else(|| {
                    ExecError::Internal(format!("scope column {} not in source", column.name))
                })?;
            let index = match &found.namespace {
                Namespace::Key => key_columns.iter().position(|c| c.name == found.name),
                Namespace::Value => value_columns.iter().position(|c| c.name == found.name),
                Namespace::Headers(_) => Some(0),
            }
            .ok_or_else(|| ExecError::Internal(format!("column {} not decoded", found.name)))?;
            layout.push((found.namespace.clone(), index));
        }
        let fields = input
            .scope
            .columns
            .iter()
            .map(|c| {
                let dt = c.ty.to_arrow().ok_or_else(|| {
                    ExecError::Internal(format!("unresolved type {} at execution", c.ty))
                })?;
                Ok(Field::new(&c.name, dt, true))
            })
            .collect::<Result<Vec<_>>>()?;
        let event_time = match &source.timestamp {
            Some(timestamp) => {
                let found = source
                    .schema
                    .columns
                    .iter()
                    .find(|c| c.name == timestamp.column)
                    .ok_or_else(|| {
                        ExecError::Internal(format!(
                            "timestamp column {} not in source",
                            timestamp.column
                        ))
                    })?;
                let index = match &found.namespace {
                    Namespace::Key => key_columns.iter().position(|c| c.name == found.name),
                    Namespace::Value => value_columns.iter().position(|c| c.name == found.name),
                    Namespace::Headers(_) => None,
                }
                .ok_or_else(|| {
                    ExecError::Unsupported(format!(
                        "timestamp column {} must be a key or value column",
                        found.name
                    ))
                })?;
                Some(EventTimeColumn {
                    namespace: found.namespace.clone(),
                    index,
                    reader: EventTimeReader::try_new(timestamp)?,
                })
            }
            None => None,
        };
        Ok(SourceExec {
            source,
            key,
            value,
            schema: Arc::new(Schema::new(fields)),
            layout,
            event_time,
            throw_on_invalid_timestamp: false,
        })
    }

    /// With `throw`, a record whose event time is invalid fails the query (as
    /// `ksql.timestamp.throw.on.invalid` does) instead of being logged and skipped.
    pub fn with_throw_on_invalid_timestamp(mut self, throw: bool) -> Self {
        self.throw_on_invalid_timestamp = throw;
        self
    }

    /// Builds only the value columns that the scope columns marked in `used` (one flag
    /// per scope column) read, and the event-time column: a query that reads few of a
    /// source's columns does not build arrays for the others, which come out all NULL.
    pub fn with_used_columns(mut self, used: &[bool]) -> Self {
        let mut values_used = vec![false; self.value.columns().len()];
        for ((namespace, index), used) in self.layout.iter().zip(used) {
            if *used
                && *namespace == Namespace::Value
                && let Some(slot) = values_used.get_mut(*index)
            {
                *slot = true;
            }
        }
        if let Some(event_time) = &self.event_time
            && event_time.namespace == Namespace::Value
            && let Some(slot) = values_used.get_mut(event_time.index)
        {
            *slot = true;
        }
        self.value = self.value.with_used_columns(&values_used);
        self
    }

    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// Decodes `records` read from `partition`. Records that fail to decode are returned
    /// as processing errors, never dropped silently. A record without a value is a
    /// `Delete` row.
    pub fn decode(
        &self,
        partition: u32,
        records: &[ConsumedRecord],
    ) -> Result<(ChangeBatch, Vec<ProcessingError>)> {
        let window = self.source.window;
        let mut errors = Vec::new();
        let mut window_bounds: Vec<Option<(i64, i64)>> = Vec::with_capacity(records.len());
        let mut keys: Vec<Option<&[u8]>> = Vec::with_capacity(records.len());
        for record in records {
            let key = record.key.as_deref();
            match (window, key) {
                (Some(info), Some(bytes)) => {
                    match split_windowed_key(bytes, info.kind, info.size_ms) {
                        Some((inner, start, end)) => {
                            keys.push(Some(inner));
                            window_bounds.push(Some((start, end)));
                        }
                        None => {
                            keys.push(Some(bytes));
                            window_bounds.push(None);
                        }
                    }
                }
                _ => {
                    keys.push(key);
                    window_bounds.push(None);
                }
            }
        }
        let values: Vec<Option<&[u8]>> = records.iter().map(|r| r.value.as_deref()).collect();
        let decoded_keys = self.key.decode(&keys)?;
        let decoded_values = self.value.decode(&values)?;

        let mut keep = vec![true; records.len()];
        let mut kinds = Vec::with_capacity(records.len());
        for error in decoded_keys.errors.iter().chain(&decoded_values.errors) {
            if keep[error.row] {
                keep[error.row] = false;
                let record = &records[error.row];
                errors.push(ProcessingError {
                    topic: self.source.topic.clone(),
                    partition,
                    offset: record.offset,
                    message: format!("Failed to deserialise record: {}", error.message),
                });
            }
        }
        let mut rowtimes: Vec<i64> = records.iter().map(|r| r.timestamp).collect();
        if let Some(event_time) = &self.event_time {
            let array = match event_time.namespace {
                Namespace::Key => &decoded_keys.arrays[event_time.index],
                _ => &decoded_values.arrays[event_time.index],
            };
            for (row, record) in records.iter().enumerate() {
                // A record without a value has no value column to take its time from.
                let no_value =
                    event_time.namespace != Namespace::Key && decoded_values.null_records[row];
                if !keep[row] || no_value {
                    continue;
                }
                match event_time.reader.read(array.as_ref(), row) {
                    Ok(millis) => rowtimes[row] = millis,
                    Err(message) if self.throw_on_invalid_timestamp => {
                        return Err(ExecError::InvalidTimestamp {
                            topic: self.source.topic.clone(),
                            partition,
                            offset: record.offset,
                            message,
                        });
                    }
                    Err(message) => {
                        keep[row] = false;
                        errors.push(ProcessingError {
                            topic: self.source.topic.clone(),
                            partition,
                            offset: record.offset,
                            message: format!("Invalid event time, record skipped: {message}"),
                        });
                    }
                }
            }
        }
        let keyed_table =
            self.source.is_table() && self.source.schema.key_columns().next().is_some();
        for (row, record) in records.iter().enumerate() {
            if keyed_table && record.key.is_none() && keep[row] {
                // A table row is identified by its key: without one it cannot be upserted.
                keep[row] = false;
                errors.push(ProcessingError {
                    topic: self.source.topic.clone(),
                    partition,
                    offset: record.offset,
                    message: "Table record with a null key skipped".into(),
                });
                continue;
            }
            if window.is_some() && record.key.is_some() && window_bounds[row].is_none() {
                // A windowed key too short to hold its window.
                if keep[row] {
                    keep[row] = false;
                    errors.push(ProcessingError {
                        topic: self.source.topic.clone(),
                        partition,
                        offset: record.offset,
                        message: "Failed to deserialise windowed key: too short for its window"
                            .into(),
                    });
                }
            }
            if !keep[row] {
                continue;
            }
            // A record without a value: a table's delete; on a stream ksqlDB passes the
            // null value through projections (filters drop it).
            let null_value = decoded_values.null_records[row] && !self.value.columns().is_empty();
            kinds.push(if null_value {
                RowKind::Delete
            } else {
                RowKind::Insert
            });
        }

        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for (namespace, index) in &self.layout {
            columns.push(match namespace {
                Namespace::Key => Arc::clone(&decoded_keys.arrays[*index]),
                Namespace::Value => Arc::clone(&decoded_values.arrays[*index]),
                Namespace::Headers(_) => {
                    return Err(ExecError::Unsupported(
                        "HEADER columns are not read yet".into(),
                    ));
                }
            });
        }
        columns.push(Arc::new(Int64Array::from(rowtimes)));
        columns.push(Arc::new(Int32Array::from_iter_values(
            records.iter().map(|_| partition as i32),
        )));
        columns.push(Arc::new(Int64Array::from_iter_values(
            records.iter().map(|r| r.offset as i64),
        )));
        if window.is_some() {
            columns.push(Arc::new(Int64Array::from_iter_values(
                window_bounds.iter().map(|w| w.map_or(0, |w| w.0)),
            )));
            columns.push(Arc::new(Int64Array::from_iter_values(
                window_bounds.iter().map(|w| w.map_or(0, |w| w.1)),
            )));
        }
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns)?;
        let batch = if keep.iter().all(|k| *k) {
            batch
        } else {
            let mask = arrow::array::BooleanArray::from(keep);
            let columns = batch
                .columns()
                .iter()
                .map(|c| filter(c.as_ref(), &mask))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            RecordBatch::try_new(Arc::clone(&self.schema), columns)?
        };
        Ok((ChangeBatch::try_new(batch, kinds)?, errors))
    }
}

/// Splits a windowed key into the inner key and its window `[start, end)`: time windows
/// append the 8-byte big-endian start, session windows the start and the end.
pub fn split_windowed_key(
    bytes: &[u8],
    kind: WindowType,
    size_ms: Option<u64>,
) -> Option<(&[u8], i64, i64)> {
    let suffix = if kind == WindowType::Session { 16 } else { 8 };
    let inner_len = bytes.len().checked_sub(suffix)?;
    let (inner, tail) = bytes.split_at(inner_len);
    let start = i64::from_be_bytes(tail.get(0..8)?.try_into().ok()?);
    let end = if kind == WindowType::Session {
        i64::from_be_bytes(tail.get(8..16)?.try_into().ok()?)
    } else {
        start.saturating_add(size_ms.unwrap_or(0) as i64)
    };
    Some((inner, start, end))
}

/// The bytes of a windowed key: the inner key then the window, as Kafka Streams writes it.
pub fn windowed_key(inner: &[u8], kind: WindowType, start: i64, end: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(inner.len() + 16);
    out.extend_from_slice(inner);
    out.extend_from_slice(&start.to_be_bytes());
    if kind == WindowType::Session {
        out.extend_from_slice(&end.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(format: Option<&str>) -> EventTimeReader {
        EventTimeReader::try_new(&TimestampColumn {
            column: "TS".into(),
            format: format.map(str::to_string),
        })
        .expect("valid pattern")
    }

    #[test]
    fn event_times_are_read_from_formatted_strings_and_numbers() {
        let strings = StringArray::from(vec![Some("10-04-19 12:00:17Z"), Some("!!!"), None]);
        let formatted = reader(Some("yy-MM-dd HH:mm:ssX"));
        assert_eq!(formatted.read(&strings, 0), Ok(1271678417000));
        assert!(formatted.read(&strings, 1).is_err());
        assert!(formatted.read(&strings, 2).is_err());
        let numbers = Int64Array::from(vec![1526075913000, -1]);
        assert_eq!(reader(None).read(&numbers, 0), Ok(1526075913000));
        assert!(reader(None).read(&numbers, 1).is_err());
    }

    #[test]
    fn windowed_keys_round_trip_and_short_keys_are_refused() {
        let time = windowed_key(b"k", WindowType::Tumbling, 1000, 2000);
        assert_eq!(
            split_windowed_key(&time, WindowType::Tumbling, Some(1000)),
            Some((&b"k"[..], 1000, 2000))
        );
        let session = windowed_key(b"k", WindowType::Session, 5, 9);
        assert_eq!(
            split_windowed_key(&session, WindowType::Session, None),
            Some((&b"k"[..], 5, 9))
        );
        assert_eq!(
            split_windowed_key(b"short", WindowType::Hopping, Some(1)),
            None
        );
    }
}

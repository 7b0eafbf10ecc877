//! SourceExec: log records to change batches, with ROWTIME, ROWPARTITION and ROWOFFSET.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch};
use arrow::compute::filter;
use arrow::datatypes::{Field, Schema, SchemaRef};

use super::change::{ChangeBatch, RowKind};
use super::error::{ExecError, Result};
use super::processing_log::ProcessingError;
use crate::catalog::{Namespace, Source, WindowType};
use crate::format::{self, RecordDecoder, SerdePart};
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
        Ok(SourceExec {
            source,
            key,
            value,
            schema: Arc::new(Schema::new(fields)),
            layout,
        })
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
        for (row, record) in records.iter().enumerate() {
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
        columns.push(Arc::new(Int64Array::from_iter_values(
            records.iter().map(|r| r.timestamp),
        )));
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

//! The columnar path of a stream-table join: a stream partition's decoded batch looked up
//! in runs, its results assembled with Arrow's `take` and `interleave` instead of row by row.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::SchemaRef;

use super::super::change::{ChangeBatch, RowKind};
use super::super::error::{ExecError, Result};
use super::super::join_exec::StreamTableJoinExec;
use super::super::join_rows::conform;

/// One stream partition's rows waiting for their turn, kept as the decoded batch.
pub(super) struct StreamRun {
    pub batch: ChangeBatch,
    /// The first step's join key of each row.
    pub join_keys: Vec<ArrayRef>,
    pub rowtimes: Int64Array,
    pub offsets: Int64Array,
    /// The first row not yet processed.
    pub next: usize,
}

impl StreamRun {
    pub fn front_time(&self) -> Option<i64> {
        (self.next < self.rowtimes.len()).then(|| self.rowtimes.value(self.next))
    }

    pub fn front_offset(&self) -> Option<u64> {
        (self.next < self.offsets.len()).then(|| self.offsets.value(self.next) as u64)
    }

    pub fn max_time(&self) -> Option<i64> {
        (self.next..self.rowtimes.len())
            .map(|row| self.rowtimes.value(row))
            .max()
    }

    /// Joins rows `next..end` with the table; returns the result batch (of
    /// `result_schema`: stream columns, table columns, join key) and its row times.
    pub fn join(
        &mut self,
        end: usize,
        exec: &mut StreamTableJoinExec,
        result_schema: &SchemaRef,
    ) -> Result<Option<(RecordBatch, Int64Array)>> {
        let rows = self.next..end;
        self.next = end;
        let batch = &self.batch;
        let (from, found) = exec.lookup_run(&self.join_keys, rows, |row| {
            batch.kind(row) == RowKind::Delete
        })?;
        if from.is_empty() {
            return Ok(None);
        }
        let indices = UInt32Array::from(from);
        let stream_columns = batch.rows.columns();
        let table_columns = exec.gather(&found)?;
        let fields = result_schema.fields();
        let expected = stream_columns.len() + table_columns.len() + self.join_keys.len();
        if fields.len() != expected {
            return Err(ExecError::Internal(format!(
                "stream-table result has {} columns, expected {expected}",
                fields.len()
            )));
        }
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
        for (column, field) in stream_columns.iter().zip(fields.iter()) {
            columns.push(conform(take(column, &indices, None)?, field.data_type())?);
        }
        let table_fields = &fields[stream_columns.len()..][..table_columns.len()];
        for (column, field) in table_columns.into_iter().zip(table_fields.iter()) {
            columns.push(conform(column, field.data_type())?);
        }
        let key_fields = &fields[fields.len() - self.join_keys.len()..];
        for (key, field) in self.join_keys.iter().zip(key_fields.iter()) {
            columns.push(conform(take(key, &indices, None)?, field.data_type())?);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(indices.len()));
        let result =
            RecordBatch::try_new_with_options(Arc::clone(result_schema), columns, &options)?;
        let rowtimes = take(&self.rowtimes, &indices, None)?;
        let rowtimes = rowtimes
            .as_any()
            .downcast_ref::<Int64Array>()
            .cloned()
            .ok_or_else(|| ExecError::Internal("row times are not BIGINT".into()))?;
        Ok(Some((result, rowtimes)))
    }
}

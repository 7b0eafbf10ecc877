//! Change batches: the unit of data between operators.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int8Array, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;

/// What a row of a change batch means, in Flink's terms.
///
/// A stream carries only `Insert`. A table update is an `UpdateBefore` (the old row)
/// followed by an `UpdateAfter` (the new row) for the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i8)]
pub enum RowKind {
    Insert = 0,
    UpdateBefore = 1,
    UpdateAfter = 2,
    Delete = 3,
}

impl RowKind {
    fn from_i8(v: i8) -> Option<RowKind> {
        Some(match v {
            0 => RowKind::Insert,
            1 => RowKind::UpdateBefore,
            2 => RowKind::UpdateAfter,
            3 => RowKind::Delete,
            _ => return None,
        })
    }

    /// Whether the row adds to a result (as opposed to retracting an earlier one).
    pub fn is_addition(self) -> bool {
        matches!(self, RowKind::Insert | RowKind::UpdateAfter)
    }
}

/// A batch of rows with one [`RowKind`] each.
#[derive(Debug, Clone)]
pub struct ChangeBatch {
    pub rows: RecordBatch,
    /// `None` when every row is an `Insert`, the common case of a stream.
    kinds: Option<Arc<Int8Array>>,
}

impl ChangeBatch {
    /// A batch of inserts.
    pub fn inserts(rows: RecordBatch) -> Self {
        Self { rows, kinds: None }
    }

    pub fn try_new(rows: RecordBatch, kinds: Vec<RowKind>) -> Result<Self, ArrowError> {
        if kinds.len() != rows.num_rows() {
            return Err(ArrowError::InvalidArgumentError(format!(
                "{} row kinds for {} rows",
                kinds.len(),
                rows.num_rows()
            )));
        }
        let all_inserts = kinds.iter().all(|k| *k == RowKind::Insert);
        let kinds = (!all_inserts).then(|| {
            Arc::new(Int8Array::from_iter_values(
                kinds.into_iter().map(|k| k as i8),
            ))
        });
        Ok(Self { rows, kinds })
    }

    pub fn empty(schema: SchemaRef) -> Self {
        Self::inserts(RecordBatch::new_empty(schema))
    }

    pub fn num_rows(&self) -> usize {
        self.rows.num_rows()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.num_rows() == 0
    }

    pub fn schema(&self) -> SchemaRef {
        self.rows.schema()
    }

    pub fn column(&self, i: usize) -> &ArrayRef {
        self.rows.column(i)
    }

    /// The kind of row `i`.
    pub fn kind(&self, i: usize) -> RowKind {
        match &self.kinds {
            None => RowKind::Insert,
            // The array only ever holds values written by `try_new`.
            Some(kinds) => RowKind::from_i8(kinds.value(i)).unwrap_or(RowKind::Insert),
        }
    }

    pub fn kinds(&self) -> impl Iterator<Item = RowKind> + '_ {
        (0..self.num_rows()).map(|i| self.kind(i))
    }

    /// Keeps the rows where `keep` is true.
    pub fn filter(&self, keep: &arrow::array::BooleanArray) -> Result<Self, ArrowError> {
        let rows = filter_record_batch(&self.rows, keep)?;
        let kinds = match &self.kinds {
            None => None,
            Some(kinds) => {
                let filtered = arrow::compute::filter(kinds.as_ref(), keep)?;
                let filtered = filtered
                    .as_any()
                    .downcast_ref::<Int8Array>()
                    .cloned()
                    .ok_or_else(|| {
                        ArrowError::ComputeError("row kinds lost their type (a bug)".into())
                    })?;
                Some(Arc::new(filtered))
            }
        };
        Ok(Self { rows, kinds })
    }

    /// The same row kinds over other columns (after a projection).
    pub fn with_rows(&self, rows: RecordBatch) -> Result<Self, ArrowError> {
        if rows.num_rows() != self.num_rows() {
            return Err(ArrowError::InvalidArgumentError(format!(
                "projection produced {} rows from {}",
                rows.num_rows(),
                self.num_rows()
            )));
        }
        Ok(Self {
            rows,
            kinds: self.kinds.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{BooleanArray, Int32Array};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(values: &[i32]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("A", DataType::Int32, true)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int32Array::from(values.to_vec()))])
            .expect("valid batch")
    }

    #[test]
    fn filter_keeps_row_kinds_aligned_with_rows() {
        let change = ChangeBatch::try_new(
            batch(&[1, 2, 3, 4]),
            vec![
                RowKind::UpdateBefore,
                RowKind::UpdateAfter,
                RowKind::Insert,
                RowKind::Delete,
            ],
        )
        .expect("as many kinds as rows");
        let kept = change
            .filter(&BooleanArray::from(vec![false, true, false, true]))
            .expect("filter");
        assert_eq!(kept.num_rows(), 2);
        assert_eq!(
            kept.kinds().collect::<Vec<_>>(),
            [RowKind::UpdateAfter, RowKind::Delete]
        );
        let a = kept
            .column(0)
            .as_any()
            .downcast_ref::<Int32Array>()
            .expect("int column");
        assert_eq!(a.values(), &[2, 4]);
    }

    #[test]
    fn all_inserts_need_no_kind_column_and_mismatched_lengths_are_refused() {
        let change = ChangeBatch::try_new(batch(&[1, 2]), vec![RowKind::Insert; 2]).expect("ok");
        assert!(change.kinds.is_none());
        assert!(change.kinds().all(|k| k == RowKind::Insert));
        assert!(ChangeBatch::try_new(batch(&[1, 2]), vec![RowKind::Insert]).is_err());
    }
}

//! Rows of scalars for the join operators: from decoded batches, and back to batches.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::ScalarValue;

use super::error::{ExecError, Result};
use crate::plan::Scope;

/// One row of a join's input or result, column by column.
pub type Row = Vec<ScalarValue>;

/// The Arrow schema of a scope's batches (every column nullable).
pub fn scope_schema(scope: &Scope) -> Result<SchemaRef> {
    let fields = scope
        .columns
        .iter()
        .map(|c| {
            let dt = c.ty.to_arrow().ok_or_else(|| {
                ExecError::Internal(format!("unresolved type {} at execution", c.ty))
            })?;
            Ok(Field::new(&c.name, dt, true))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Arc::new(Schema::new(fields)))
}

/// A row of typed NULLs for `schema`: the missing side of an outer join result.
pub fn null_row(schema: &Schema) -> Result<Row> {
    Ok(schema
        .fields()
        .iter()
        .map(|f| ScalarValue::try_from(f.data_type()))
        .collect::<datafusion::error::Result<Vec<_>>>()?)
}

/// Row `row` of `columns`.
pub fn row_of(columns: &[ArrayRef], row: usize) -> Result<Row> {
    Ok(columns
        .iter()
        .map(|c| ScalarValue::try_from_array(c, row))
        .collect::<datafusion::error::Result<Vec<_>>>()?)
}

/// The rows as a batch of `schema`.
pub fn rows_to_batch(schema: &SchemaRef, rows: &[&Row]) -> Result<RecordBatch> {
    rows_into_batch(schema, rows.iter().map(|r| (*r).clone()).collect())
}

/// The rows as a batch of `schema`, their values moved rather than copied.
pub fn rows_into_batch(schema: &SchemaRef, rows: Vec<Row>) -> Result<RecordBatch> {
    let count = rows.len();
    let mut values: Vec<Vec<ScalarValue>> = (0..schema.fields().len())
        .map(|_| Vec::with_capacity(count))
        .collect();
    for row in rows {
        // A short row leaves its columns short: the batch below refuses it.
        for (column, value) in values.iter_mut().zip(row) {
            column.push(value);
        }
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(values.len());
    for (field, column) in schema.fields().iter().zip(values) {
        let array = if column.is_empty() {
            arrow::array::new_empty_array(field.data_type())
        } else {
            ScalarValue::iter_to_array(column)?
        };
        columns.push(conform(array, field.data_type())?);
    }
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(count));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

/// Values rebuilt from scalars may differ from the declared type in details (a list's
/// field name, a decimal's precision): cast them to what the scope says.
pub fn conform(array: ArrayRef, ty: &DataType) -> Result<ArrayRef> {
    if array.data_type() == ty {
        return Ok(array);
    }
    Ok(arrow::compute::cast(&array, ty)?)
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, Int32Array, StringArray};

    use super::*;

    #[test]
    fn rows_round_trip_through_a_batch_and_nulls_keep_their_type() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("A", DataType::Int32, true),
            Field::new("B", DataType::Utf8, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(vec![1, 2])),
            Arc::new(StringArray::from(vec!["x", "y"])),
        ];
        let second = row_of(&columns, 1).expect("row");
        assert_eq!(second[0], ScalarValue::Int32(Some(2)));
        let nulls = null_row(&schema).expect("nulls");
        let batch = rows_to_batch(&schema, &[&second, &nulls]).expect("batch");
        assert_eq!(batch.num_rows(), 2);
        assert!(batch.column(1).is_null(1));
        assert_eq!(batch.column(1).data_type(), &DataType::Utf8);
    }
}

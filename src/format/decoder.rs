//! Record bytes to Arrow columns, one decoder per (format, key or value columns).

use arrow::array::{ArrayRef, BooleanArray, new_null_array};

use super::cell::Cell;
use super::column_builder::ColumnBuilder;
use super::delimited::decode_delimited;
use super::error::{FormatError, Result, RowError};
use super::json_decode::{decode_json, decode_json_row_into};
use super::json_scan::{JsonRowScanner, Scan};
use super::kafka::decode_kafka;
use super::scalar::Scalar;
use super::schema::Column;
use super::shape::{Shape, shape_of};
use super::spec::{FormatKind, FormatSpec, SerdePart};
use crate::sql::SqlType;

/// The columns decoded from a batch of payloads.
///
/// Arrays have one row per payload handed to [`RecordDecoder::decode`], so that key and
/// value columns of the same records stay aligned; a row that failed is null in every
/// column and listed in `errors`. Filter with [`DecodedColumns::decoded_mask`].
#[derive(Debug, Clone)]
pub struct DecodedColumns {
    /// One array per column, of the column type's Arrow type.
    pub arrays: Vec<ArrayRef>,
    /// Per row: the payload was null (or the JSON literal `null`), a tombstone for a
    /// table's value. Such a row decodes to nulls without an error.
    pub null_records: Vec<bool>,
    /// The rows that failed, in row order, each with what failed.
    pub errors: Vec<RowError>,
}

impl DecodedColumns {
    pub fn num_rows(&self) -> usize {
        self.null_records.len()
    }

    /// True for the rows that decoded (null records included), false for failed ones.
    pub fn decoded_mask(&self) -> BooleanArray {
        let mut mask = vec![true; self.num_rows()];
        for error in &self.errors {
            if let Some(slot) = mask.get_mut(error.row) {
                *slot = false;
            }
        }
        BooleanArray::from(mask)
    }
}

/// Decodes payloads of one format into the Arrow arrays of a fixed list of columns.
#[derive(Debug, Clone)]
pub struct RecordDecoder {
    kind: FormatKind,
    part: SerdePart,
    columns: Vec<Column>,
    shape: Shape,
    /// For a JSON object shape: the fast path for flat records.
    scanner: Option<JsonRowScanner>,
    /// The columns a JSON object's scanned values are appended to; the others come out
    /// as all-NULL arrays (see [`RecordDecoder::with_used_columns`]).
    used: Vec<usize>,
}

impl RecordDecoder {
    /// Validates that `spec` can carry `columns` as the `part` of records.
    pub fn try_new(spec: &FormatSpec, part: SerdePart, columns: &[Column]) -> Result<Self> {
        let shape = shape_of(spec, part, columns)?;
        let scanner = match &shape {
            Shape::JsonObject(SqlType::Struct(fields)) => Some(JsonRowScanner::new(fields)),
            _ => None,
        };
        Ok(RecordDecoder {
            kind: spec.kind,
            part,
            columns: columns.to_vec(),
            shape,
            scanner,
            used: (0..columns.len()).collect(),
        })
    }

    /// Builds only the columns marked in `used` (one flag per column; a missing flag is
    /// used): the others are still decoded, so a bad value still fails its record, but
    /// come out as all-NULL arrays, which cost next to nothing to build or to filter.
    pub fn with_used_columns(mut self, used: &[bool]) -> Self {
        self.used = (0..self.columns.len())
            .filter(|i| used.get(*i).copied().unwrap_or(true))
            .collect();
        self
    }

    fn is_used(&self, column: usize) -> bool {
        self.used.binary_search(&column).is_ok()
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Decodes the payload of a single-column shape; `Ok(None)` for a null record.
    fn decode_single<'a>(&self, bytes: &'a [u8], ty: &SqlType) -> Result<Option<Cell<'a>>, String> {
        let cell = match self.kind {
            FormatKind::Kafka => decode_kafka(bytes, ty)?,
            _ => decode_json(bytes, ty)?,
        };
        // A bare JSON `null` is how ksqlDB writes a null single value: no record.
        if cell.is_null() && self.kind == FormatKind::Json {
            return Ok(None);
        }
        Ok(Some(cell))
    }

    /// Decodes one payload to a cell per column; `Ok(None)` for a null record.
    pub fn decode_record<'a>(
        &self,
        payload: Option<&'a [u8]>,
    ) -> Result<Option<Vec<Cell<'a>>>, String> {
        let Some(bytes) = payload else {
            return Ok(None);
        };
        let row = match &self.shape {
            Shape::Empty => return Ok(Some(Vec::new())),
            Shape::Delimited(delimiter) => decode_delimited(bytes, *delimiter, &self.columns)?,
            Shape::Single(ty) => match self.decode_single(bytes, ty)? {
                Some(cell) => vec![cell],
                None => return Ok(None),
            },
            Shape::JsonObject(ty) => match decode_json(bytes, ty)? {
                Cell::Struct(values) => values,
                Cell::Null => return Ok(None),
                _ => return Err("JSON object decoded to a non-struct value: this is a bug".into()),
            },
        };
        Ok(Some(row))
    }

    /// Decodes a batch; never fails on bad input (that becomes a [`RowError`]).
    ///
    /// Errors only when the arrays cannot be built, which is a bug.
    pub fn decode(&self, payloads: &[Option<&[u8]>]) -> Result<DecodedColumns> {
        let mut builders: Vec<ColumnBuilder<'_>> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let capacity = if self.is_used(i) { payloads.len() } else { 0 };
                ColumnBuilder::new(&c.ty, capacity)
            })
            .collect();
        let mut null_records = Vec::with_capacity(payloads.len());
        let mut errors = Vec::new();
        // A JSON object decodes into one scratch row, whole, before it is appended: a
        // record that fails half-way leaves nothing behind. The scanner's row owns
        // nothing; the serde path's row of cells is used only when the scanner gives up.
        let mut scanned_row: Vec<Scalar<'_>> = vec![Scalar::Null; self.columns.len()];
        let mut serde_row: Vec<Cell<'_>> = Vec::new();
        for (row, payload) in payloads.iter().enumerate() {
            if let (Shape::JsonObject(row_type), Some(bytes)) = (&self.shape, payload) {
                scanned_row.fill(Scalar::Null);
                let scanned = match &self.scanner {
                    Some(scanner) => scanner.scan_into(bytes, &mut scanned_row),
                    None => Scan::Fallback,
                };
                let decoded = match scanned {
                    Scan::Object => {
                        for column in &self.used {
                            if let (Some(builder), Some(value)) =
                                (builders.get_mut(*column), scanned_row.get(*column))
                            {
                                builder.append_scalar(*value);
                            }
                        }
                        null_records.push(false);
                        continue;
                    }
                    Scan::Null => Ok(false),
                    Scan::Fallback => {
                        serde_row.clear();
                        serde_row.resize(self.columns.len(), Cell::Null);
                        decode_json_row_into(bytes, row_type, &mut serde_row)
                    }
                };
                null_records.push(matches!(decoded, Ok(false)));
                match decoded {
                    Ok(true) => {
                        for (builder, cell) in builders.iter_mut().zip(serde_row.drain(..)) {
                            builder.append(cell);
                        }
                    }
                    Ok(false) => builders.iter_mut().for_each(ColumnBuilder::append_null),
                    Err(message) => {
                        errors.push(RowError { row, message });
                        builders.iter_mut().for_each(ColumnBuilder::append_null);
                    }
                }
                continue;
            }
            if let (Shape::Single(ty), Some(bytes), [builder]) =
                (&self.shape, payload, builders.as_mut_slice())
            {
                // One column: no vector per record.
                let decoded = self.decode_single(bytes, ty);
                null_records.push(matches!(decoded, Ok(None)));
                match decoded {
                    Ok(Some(cell)) => builder.append(cell),
                    Ok(None) => builder.append_null(),
                    Err(message) => {
                        errors.push(RowError { row, message });
                        builder.append_null();
                    }
                }
                continue;
            }
            let decoded = self.decode_record(*payload);
            null_records.push(matches!(decoded, Ok(None)));
            match decoded {
                Ok(Some(cells)) if cells.len() == builders.len() => {
                    for (builder, cell) in builders.iter_mut().zip(cells) {
                        builder.append(cell);
                    }
                }
                Ok(Some(cells)) => {
                    errors.push(RowError {
                        row,
                        message: format!(
                            "decoded {} values for {} columns: this is a bug",
                            cells.len(),
                            builders.len()
                        ),
                    });
                    builders.iter_mut().for_each(ColumnBuilder::append_null);
                }
                Ok(None) => builders.iter_mut().for_each(ColumnBuilder::append_null),
                Err(message) => {
                    errors.push(RowError { row, message });
                    builders.iter_mut().for_each(ColumnBuilder::append_null);
                }
            }
        }
        let num_rows = null_records.len();
        let arrays = builders
            .into_iter()
            .zip(&self.columns)
            .enumerate()
            .map(|(i, (builder, column))| {
                if !self.is_used(i) {
                    let data_type = column.ty.to_arrow().ok_or_else(|| FormatError::Internal {
                        part: self.part,
                        message: format!("column `{}` has no Arrow type", column.name),
                    })?;
                    return Ok(new_null_array(&data_type, num_rows));
                }
                builder
                    .finish(&column.ty)
                    .map_err(|message| FormatError::Internal {
                        part: self.part,
                        message: format!("column `{}`: {message}", column.name),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DecodedColumns {
            arrays,
            null_records,
            errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::Array;

    use super::*;

    #[test]
    fn unused_columns_come_out_null_but_still_fail_their_record() {
        let columns = vec![
            Column::new("A", SqlType::BigInt),
            Column::new("B", SqlType::String),
            Column::new("C", SqlType::Int),
        ];
        let spec = FormatSpec::new(FormatKind::Json);
        let all = RecordDecoder::try_new(&spec, SerdePart::Value, &columns).expect("valid");
        let some = all.clone().with_used_columns(&[true, false, false]);
        let payloads: Vec<Option<&[u8]>> = vec![
            Some(br#"{"A":1,"B":"x","C":3}"#),
            Some(br#"{"A":2,"B":"z","C":"not a number"}"#),
            None,
            Some(br#"{"a":5,"b":"y"}"#),
        ];
        let full = all.decode(&payloads).expect("decodes");
        let pruned = some.decode(&payloads).expect("decodes");
        assert_eq!(pruned.null_records, full.null_records);
        let failed = |d: &DecodedColumns| d.errors.iter().map(|e| e.row).collect::<Vec<_>>();
        assert_eq!(failed(&pruned), failed(&full));
        assert_eq!(
            failed(&full),
            vec![1],
            "a bad unused value still fails its record"
        );
        assert_eq!(pruned.arrays[0].as_ref(), full.arrays[0].as_ref());
        for unused in [1, 2] {
            assert_eq!(pruned.arrays[unused].len(), payloads.len());
            assert_eq!(pruned.arrays[unused].null_count(), payloads.len());
            assert_eq!(
                pruned.arrays[unused].data_type(),
                full.arrays[unused].data_type()
            );
            assert!(full.arrays[unused].null_count() < payloads.len());
        }
    }
}

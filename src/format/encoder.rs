//! Arrow columns to record bytes, one encoder per (format, key or value columns).

use arrow::array::ArrayRef;
use bytes::Bytes;

use super::cell::{Cell, cell_at};
use super::delimited::encode_delimited;
use super::error::{FormatError, Result};
use super::json_encode::{write_json, write_json_string};
use super::kafka::encode_kafka;
use super::schema::Column;
use super::shape::{Shape, shape_of};
use super::spec::{FormatKind, FormatSpec, SerdePart};

/// Encodes rows of a fixed list of columns into payloads of one format.
#[derive(Debug, Clone)]
pub struct RecordEncoder {
    kind: FormatKind,
    part: SerdePart,
    columns: Vec<Column>,
    shape: Shape,
}

impl RecordEncoder {
    /// Validates that `spec` can carry `columns` as the `part` of records.
    pub fn try_new(spec: &FormatSpec, part: SerdePart, columns: &[Column]) -> Result<Self> {
        Ok(RecordEncoder {
            kind: spec.kind,
            part,
            columns: columns.to_vec(),
            shape: shape_of(spec, part, columns)?,
        })
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Encodes one record given a cell per column; `None` is a null payload.
    pub fn encode_record(&self, cells: &[Cell<'_>]) -> Result<Option<Vec<u8>>, String> {
        if cells.len() != self.columns.len() {
            return Err(format!(
                "got {} values for {} columns",
                cells.len(),
                self.columns.len()
            ));
        }
        Ok(match &self.shape {
            Shape::Empty => None,
            Shape::Delimited(delimiter) => {
                if let [Cell::Null] = cells {
                    None
                } else {
                    Some(encode_delimited(cells, &self.columns, *delimiter)?.into_bytes())
                }
            }
            Shape::Single(ty) => match self.kind {
                FormatKind::Kafka => encode_kafka(&cells[0], ty)?,
                _ if cells[0].is_null() => None,
                _ => {
                    let mut out = String::new();
                    write_json(&cells[0], ty, &mut out);
                    Some(out.into_bytes())
                }
            },
            Shape::JsonObject(_) => {
                let mut out = String::with_capacity(16 * cells.len());
                out.push('{');
                for (i, (cell, column)) in cells.iter().zip(&self.columns).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(&column.name, &mut out);
                    out.push(':');
                    write_json(cell, &column.ty, &mut out);
                }
                out.push('}');
                Some(out.into_bytes())
            }
        })
    }

    /// Encodes `num_rows` rows of `arrays` (one per column, of the column type's Arrow type).
    /// A row marked in `null_records` becomes a null payload (a tombstone).
    pub fn encode(
        &self,
        arrays: &[ArrayRef],
        num_rows: usize,
        null_records: Option<&[bool]>,
    ) -> Result<Vec<Option<Bytes>>> {
        let error = |message: String| FormatError::Serialize {
            part: self.part,
            message,
        };
        if arrays.len() != self.columns.len() {
            return Err(error(format!(
                "got {} arrays for {} columns",
                arrays.len(),
                self.columns.len()
            )));
        }
        let mut out = Vec::with_capacity(num_rows);
        let mut cells = Vec::with_capacity(self.columns.len());
        for row in 0..num_rows {
            if null_records.is_some_and(|nulls| nulls.get(row).copied().unwrap_or(false)) {
                out.push(None);
                continue;
            }
            cells.clear();
            for (array, column) in arrays.iter().zip(&self.columns) {
                let cell = cell_at(array.as_ref(), &column.ty, row)
                    .map_err(|e| error(format!("column `{}`: {e}", column.name)))?;
                cells.push(cell);
            }
            out.push(self.encode_record(&cells).map_err(error)?.map(Bytes::from));
        }
        Ok(out)
    }
}

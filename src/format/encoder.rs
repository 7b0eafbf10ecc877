//! Arrow columns to record bytes, one encoder per (format, key or value columns).

use std::ops::Range;

use arrow::array::ArrayRef;
use bytes::Bytes;

use super::cell::Cell;
use super::column_reader::ColumnReader;
use super::delimited::encode_delimited;
use super::error::{FormatError, Result};
use super::flat_encode::FlatColumn;
use super::json_encode::{write_json, write_json_string};
use super::kafka::encode_kafka_into;
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
    /// For a JSON object: what precedes each column's value (`{"A":`, `,"B":`, ...),
    /// escaped once here rather than for every record.
    field_prefixes: Vec<String>,
}

impl RecordEncoder {
    /// Validates that `spec` can carry `columns` as the `part` of records.
    pub fn try_new(spec: &FormatSpec, part: SerdePart, columns: &[Column]) -> Result<Self> {
        let field_prefixes = columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let mut prefix = String::from(if i == 0 { "{" } else { "," });
                write_json_string(&column.name, &mut prefix);
                prefix.push(':');
                prefix
            })
            .collect();
        Ok(RecordEncoder {
            kind: spec.kind,
            part,
            columns: columns.to_vec(),
            shape: shape_of(spec, part, columns)?,
            field_prefixes,
        })
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Encodes one record given a cell per column; `None` is a null payload.
    pub fn encode_record(&self, cells: &[Cell<'_>]) -> Result<Option<Vec<u8>>, String> {
        let mut out = Vec::new();
        let mut text = String::new();
        Ok(self.encode_into(cells, &mut out, &mut text)?.then_some(out))
    }

    /// Appends one record's payload to `out` (`text` is scratch space for text formats,
    /// kept between calls so that it is allocated once); false for a null payload, of
    /// which nothing is appended.
    fn encode_into(
        &self,
        cells: &[Cell<'_>],
        out: &mut Vec<u8>,
        text: &mut String,
    ) -> Result<bool, String> {
        if cells.len() != self.columns.len() {
            return Err(format!(
                "got {} values for {} columns",
                cells.len(),
                self.columns.len()
            ));
        }
        text.clear();
        match &self.shape {
            Shape::Empty => return Ok(false),
            Shape::Delimited(delimiter) => {
                if let [Cell::Null] = cells {
                    return Ok(false);
                }
                out.extend_from_slice(
                    encode_delimited(cells, &self.columns, *delimiter)?.as_bytes(),
                );
                return Ok(true);
            }
            Shape::Single(ty) => match self.kind {
                FormatKind::Kafka => return encode_kafka_into(&cells[0], ty, out),
                _ if cells[0].is_null() => return Ok(false),
                _ => write_json(&cells[0], ty, text),
            },
            Shape::JsonObject(_) => {
                for ((cell, column), prefix) in
                    cells.iter().zip(&self.columns).zip(&self.field_prefixes)
                {
                    text.push_str(prefix);
                    write_json(cell, &column.ty, text);
                }
                text.push('}');
            }
        }
        out.extend_from_slice(text.as_bytes());
        Ok(true)
    }

    /// Encodes `num_rows` rows of `arrays` (one per column, of the column type's Arrow type).
    /// A row marked in `null_records` becomes a null payload (a tombstone).
    ///
    /// Every payload is a slice of one buffer: a record costs no allocation of its own.
    pub fn encode(
        &self,
        arrays: &[ArrayRef],
        num_rows: usize,
        null_records: Option<&[bool]>,
    ) -> Result<Vec<Option<Bytes>>> {
        let mut batch = EncodedBatch::default();
        self.encode_batch(arrays, num_rows, null_records, &mut batch)?;
        let buffer = Bytes::from(batch.buffer);
        Ok(batch
            .ranges
            .into_iter()
            .map(|range| range.map(|r| buffer.slice(r)))
            .collect())
    }

    /// [`RecordEncoder::encode`] into `batch`, whose buffers are reused: after the first
    /// batches, encoding allocates nothing.
    pub fn encode_batch(
        &self,
        arrays: &[ArrayRef],
        num_rows: usize,
        null_records: Option<&[bool]>,
        batch: &mut EncodedBatch,
    ) -> Result<()> {
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
        batch.buffer.clear();
        batch.ranges.clear();
        batch.ranges.reserve(num_rows);
        match self.flat_columns(arrays, num_rows) {
            Some(columns) => {
                self.encode_flat(&columns, num_rows, null_records, batch);
                Ok(())
            }
            None => self.encode_cells(arrays, num_rows, null_records, batch),
        }
    }

    /// The columns typed for the fast path when this encoder's layout and every column's
    /// type allow it; `None` sends the batch through cells.
    fn flat_columns<'a>(
        &self,
        arrays: &'a [ArrayRef],
        num_rows: usize,
    ) -> Option<Vec<FlatColumn<'a>>> {
        let single_kafka = match (&self.shape, self.kind) {
            (Shape::JsonObject(_), _) | (Shape::Single(_), FormatKind::Json) => false,
            (Shape::Single(_), FormatKind::Kafka) => true,
            _ => return None,
        };
        let columns = arrays
            .iter()
            .zip(&self.columns)
            .map(|(array, column)| {
                FlatColumn::new(array.as_ref(), &column.ty).filter(|flat| flat.len() >= num_rows)
            })
            .collect::<Option<Vec<_>>>()?;
        if single_kafka && !columns.iter().all(FlatColumn::is_kafka_type) {
            return None;
        }
        Some(columns)
    }

    /// Encodes rows of flat columns straight from their arrays, as the cell path would.
    fn encode_flat(
        &self,
        columns: &[FlatColumn<'_>],
        num_rows: usize,
        null_records: Option<&[bool]>,
        batch: &mut EncodedBatch,
    ) {
        let EncodedBatch {
            buffer,
            ranges,
            text,
        } = batch;
        let single_kafka = self.kind == FormatKind::Kafka;
        for row in 0..num_rows {
            if null_records.is_some_and(|nulls| nulls.get(row).copied().unwrap_or(false)) {
                ranges.push(None);
                continue;
            }
            if row == 1 {
                // The first record's size is a fair guess for the rest of the batch.
                buffer.reserve(buffer.len() * num_rows);
            }
            let start = buffer.len();
            let present = match &self.shape {
                Shape::JsonObject(_) => {
                    for (column, prefix) in columns.iter().zip(&self.field_prefixes) {
                        buffer.extend_from_slice(prefix.as_bytes());
                        if column.is_null(row) {
                            buffer.extend_from_slice(b"null");
                        } else {
                            column.write_json(row, buffer, text);
                        }
                    }
                    buffer.push(b'}');
                    true
                }
                _ => match columns.first() {
                    Some(column) if !column.is_null(row) => {
                        if single_kafka {
                            column.write_kafka(row, buffer);
                        } else {
                            column.write_json(row, buffer, text);
                        }
                        true
                    }
                    _ => false,
                },
            };
            ranges.push(present.then(|| start..buffer.len()));
        }
    }

    /// Encodes rows through a [`Cell`] per value: every format and type.
    fn encode_cells(
        &self,
        arrays: &[ArrayRef],
        num_rows: usize,
        null_records: Option<&[bool]>,
        batch: &mut EncodedBatch,
    ) -> Result<()> {
        let error = |message: String| FormatError::Serialize {
            part: self.part,
            message,
        };
        let EncodedBatch {
            buffer,
            ranges,
            text,
        } = batch;
        let readers = arrays
            .iter()
            .zip(&self.columns)
            .map(|(array, column)| {
                ColumnReader::try_new(array.as_ref(), &column.ty)
                    .map_err(|e| error(format!("column `{}`: {e}", column.name)))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut cells = Vec::with_capacity(self.columns.len());
        for row in 0..num_rows {
            if null_records.is_some_and(|nulls| nulls.get(row).copied().unwrap_or(false)) {
                ranges.push(None);
                continue;
            }
            cells.clear();
            for (reader, column) in readers.iter().zip(&self.columns) {
                let cell = reader
                    .cell(row)
                    .map_err(|e| error(format!("column `{}`: {e}", column.name)))?;
                cells.push(cell);
            }
            if row == 1 {
                // The first record's size is a fair guess for the rest of the batch.
                buffer.reserve(buffer.len() * num_rows);
            }
            let start = buffer.len();
            let present = self.encode_into(&cells, buffer, text).map_err(error)?;
            ranges.push(present.then(|| start..buffer.len()));
        }
        Ok(())
    }
}

/// The payloads of one batch of rows: one buffer and each row's range in it.
#[derive(Debug, Default)]
pub struct EncodedBatch {
    buffer: Vec<u8>,
    /// Per row, where its payload is in `buffer`; `None` for a null payload.
    ranges: Vec<Option<Range<usize>>>,
    /// Scratch text for the text formats, kept to be allocated once.
    text: String,
}

impl EncodedBatch {
    /// How many rows were encoded.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The payload of `row`; `None` for a null payload or a row past the end.
    pub fn payload(&self, row: usize) -> Option<&[u8]> {
        let range = self.ranges.get(row)?.clone()?;
        self.buffer.get(range)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int64Array, StringArray};

    use super::*;
    use crate::format::cell_at;
    use crate::sql::SqlType;

    fn columns() -> (Vec<Column>, Vec<ArrayRef>) {
        let columns = vec![
            Column::new("ID", SqlType::BigInt),
            Column::new("Na\"me", SqlType::String),
            Column::new("X", SqlType::Double),
        ];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![Some(1), None, Some(-30)])),
            Arc::new(StringArray::from(vec![Some("a"), Some("b"), None])),
            Arc::new(Float64Array::from(vec![Some(1.5), Some(2.0), Some(3.25)])),
        ];
        (columns, arrays)
    }

    #[test]
    fn a_batch_encodes_each_row_as_encode_record_does() {
        let (columns, arrays) = columns();
        for kind in [FormatKind::Json, FormatKind::Delimited] {
            let encoder =
                RecordEncoder::try_new(&FormatSpec::new(kind), SerdePart::Value, &columns)
                    .expect("valid columns");
            let payloads = encoder
                .encode(&arrays, 3, Some(&[false, true, false]))
                .expect("encodes");
            assert_eq!(payloads[1], None, "a null record stays null");
            let mut batch = EncodedBatch::default();
            // Encoding twice into one batch leaves only the second batch's payloads.
            for _ in 0..2 {
                encoder
                    .encode_batch(&arrays, 3, Some(&[false, true, false]), &mut batch)
                    .expect("encodes");
            }
            assert_eq!(batch.len(), 3);
            for (row, payload) in payloads.iter().enumerate() {
                assert_eq!(batch.payload(row), payload.as_deref(), "{kind:?} row {row}");
            }
            for row in [0, 2] {
                let cells: Vec<Cell<'_>> = arrays
                    .iter()
                    .zip(&columns)
                    .map(|(a, c)| cell_at(a.as_ref(), &c.ty, row).expect("cell"))
                    .collect();
                let alone = encoder.encode_record(&cells).expect("encodes");
                assert_eq!(
                    payloads[row].as_deref(),
                    alone.as_deref(),
                    "{kind:?} row {row}"
                );
            }
        }
    }

    #[test]
    fn json_objects_carry_escaped_names_in_column_order() {
        let (columns, arrays) = columns();
        let encoder = RecordEncoder::try_new(
            &FormatSpec::new(FormatKind::Json),
            SerdePart::Value,
            &columns,
        )
        .expect("valid columns");
        let payloads = encoder.encode(&arrays, 3, None).expect("encodes");
        let texts: Vec<&[u8]> = payloads.iter().flatten().map(|b| b.as_ref()).collect();
        assert_eq!(
            texts,
            vec![
                br#"{"ID":1,"Na\"me":"a","X":1.5}"#.as_slice(),
                br#"{"ID":null,"Na\"me":"b","X":2.0}"#.as_slice(),
                br#"{"ID":-30,"Na\"me":null,"X":3.25}"#.as_slice(),
            ]
        );
    }

    /// Every flat type, in the order [`flat_row`] yields their values.
    fn flat_types() -> Vec<SqlType> {
        vec![
            SqlType::Boolean,
            SqlType::Int,
            SqlType::BigInt,
            SqlType::Double,
            SqlType::decimal(6, 2),
            SqlType::String,
            SqlType::Bytes,
            SqlType::Date,
            SqlType::Time,
            SqlType::Timestamp,
        ]
    }

    type FlatRow = (
        Option<bool>,
        Option<i32>,
        Option<i64>,
        Option<u64>,
        Option<i32>,
        Option<String>,
        Option<Vec<u8>>,
        Option<i32>,
        Option<i64>,
        bool,
    );

    /// A row of random values of [`flat_types`], any of them null, and whether the
    /// record is null as a whole.
    fn flat_row() -> impl proptest::strategy::Strategy<Value = FlatRow> {
        use proptest::option::of;
        use proptest::prelude::*;
        (
            of(any::<bool>()),
            of(any::<i32>()),
            of(any::<i64>()),
            of(prop_oneof![
                any::<u64>(),
                (-1e8f64..1e8).prop_map(f64::to_bits)
            ]),
            of(-999_999i32..999_999),
            of("[a-z\"\\\n\u{1}é ]{0,8}"),
            of(proptest::collection::vec(any::<u8>(), 0..6)),
            of(any::<i32>()),
            of(any::<i64>()),
            proptest::bool::weighted(0.1),
        )
    }

    fn flat_cells(row: &FlatRow) -> Vec<Cell<'static>> {
        use std::borrow::Cow;
        let (b, i, l, d, dec, s, bytes, date, ts, _) = row.clone();
        vec![
            b.map_or(Cell::Null, Cell::Bool),
            i.map_or(Cell::Null, Cell::Int),
            l.map_or(Cell::Null, Cell::BigInt),
            d.map_or(Cell::Null, |bits| Cell::Double(f64::from_bits(bits))),
            dec.map_or(Cell::Null, |v| Cell::Decimal(i128::from(v))),
            s.map_or(Cell::Null, |s| Cell::Str(Cow::Owned(s))),
            bytes.map_or(Cell::Null, |b| Cell::Bytes(Cow::Owned(b))),
            date.map_or(Cell::Null, Cell::Date),
            i.map_or(Cell::Null, |t| Cell::Time(t.rem_euclid(86_400_000))),
            ts.map_or(Cell::Null, Cell::Timestamp),
        ]
    }

    /// The bytes of every payload of `batch`, `None` for null ones.
    fn payloads(batch: &EncodedBatch) -> Vec<Option<Vec<u8>>> {
        (0..batch.len())
            .map(|row| batch.payload(row).map(<[u8]>::to_vec))
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        #[test]
        fn the_flat_path_writes_the_bytes_of_the_cell_path(
            rows in proptest::collection::vec(flat_row(), 0..12),
        ) {
            let types = flat_types();
            let cells: Vec<Vec<Cell<'static>>> = rows.iter().map(flat_cells).collect();
            let arrays: Vec<ArrayRef> = types
                .iter()
                .enumerate()
                .map(|(c, ty)| {
                    let column: Vec<&Cell<'_>> = cells.iter().map(|row| &row[c]).collect();
                    crate::format::build_array(ty, &column).expect("builds")
                })
                .collect();
            let null_records: Vec<bool> = rows.iter().map(|row| row.9).collect();
            let columns: Vec<Column> = types
                .iter()
                .enumerate()
                .map(|(i, ty)| Column::new(format!("C{i}"), ty.clone()))
                .collect();
            // Every column as one JSON object, then each alone unwrapped and in KAFKA.
            let mut cases = vec![(FormatSpec::new(FormatKind::Json), columns.clone(), arrays.clone())];
            for (column, array) in columns.iter().zip(&arrays) {
                let alone = vec![column.clone()];
                let unwrapped = FormatSpec::new(FormatKind::Json)
                    .with_wrap_single_value(false)
                    .expect("JSON unwraps");
                cases.push((unwrapped, alone.clone(), vec![Arc::clone(array)]));
                cases.push((FormatSpec::new(FormatKind::Kafka), alone, vec![Arc::clone(array)]));
            }
            for (spec, columns, arrays) in cases {
                let Ok(encoder) = RecordEncoder::try_new(&spec, SerdePart::Value, &columns) else {
                    continue;
                };
                let mut by_cells = EncodedBatch::default();
                let cells_result =
                    encoder.encode_cells(&arrays, rows.len(), Some(&null_records), &mut by_cells);
                let mut batch = EncodedBatch::default();
                let result =
                    encoder.encode_batch(&arrays, rows.len(), Some(&null_records), &mut batch);
                proptest::prop_assert_eq!(result.is_ok(), cells_result.is_ok());
                if result.is_ok() {
                    proptest::prop_assert_eq!(
                        payloads(&batch),
                        payloads(&by_cells),
                        "{:?} {:?}",
                        spec.kind,
                        columns
                    );
                }
            }
        }
    }

    #[test]
    fn the_flat_path_is_taken_only_for_flat_columns() {
        let (columns, arrays) = columns();
        let json = FormatSpec::new(FormatKind::Json);
        let encoder = RecordEncoder::try_new(&json, SerdePart::Value, &columns).expect("valid");
        assert!(encoder.flat_columns(&arrays, 3).is_some());
        assert!(encoder.flat_columns(&arrays, 4).is_none(), "too few rows");
        let nested = vec![Column::new("A", SqlType::Array(Box::new(SqlType::Int)))];
        let encoder = RecordEncoder::try_new(&json, SerdePart::Value, &nested).expect("valid");
        let lists: Vec<ArrayRef> = vec![
            crate::format::build_array(&nested[0].ty, &[&Cell::List(vec![Cell::Int(1)])])
                .expect("builds"),
        ];
        assert!(encoder.flat_columns(&lists, 1).is_none());
    }
}

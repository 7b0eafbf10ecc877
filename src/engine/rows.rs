//! QueryRows: a result as data (typed columns, JSON cells) for the REPL and a server.

use arrow::array::ArrayRef;
use serde_json::{Number, Value};

use super::{EngineError, Result};
use crate::format::{Cell, cell_at, ksql_type_name};
use crate::sql::SqlType;

/// One column of a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultColumn {
    pub name: String,
    pub ty: SqlType,
    /// A key column of the result (the table's key, or a window bound).
    pub is_key: bool,
}

impl ResultColumn {
    pub fn new(name: impl Into<String>, ty: SqlType, is_key: bool) -> Self {
        ResultColumn {
            name: name.into(),
            ty,
            is_key,
        }
    }

    /// A STRING value column: what listings (SHOW, DESCRIBE) are made of.
    pub fn text(name: impl Into<String>) -> Self {
        Self::new(name, SqlType::String, false)
    }
}

/// Rows with their columns; cells are JSON as ksqlDB's REST API writes them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryRows {
    pub columns: Vec<ResultColumn>,
    pub rows: Vec<Vec<Value>>,
}

impl QueryRows {
    pub fn new(columns: Vec<ResultColumn>) -> Self {
        QueryRows {
            columns,
            rows: Vec::new(),
        }
    }

    /// A listing whose cells are all text.
    pub fn text(columns: &[&str], rows: Vec<Vec<String>>) -> Self {
        QueryRows {
            columns: columns.iter().map(|c| ResultColumn::text(*c)).collect(),
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(Value::String).collect())
                .collect(),
        }
    }

    /// The schema as ksqlDB's query header writes it: "`ID` STRING KEY, `COUNT` BIGINT".
    pub fn schema_text(&self) -> String {
        self.columns
            .iter()
            .map(|c| {
                let key = if c.is_key { " KEY" } else { "" };
                format!("`{}` {}{key}", c.name, ksql_type_name(&c.ty))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Appends the rows of `arrays` (one array per column of `columns`) to `rows`.
pub fn append_rows(
    columns: &[ResultColumn],
    arrays: &[ArrayRef],
    rows: &mut Vec<Vec<Value>>,
) -> Result<()> {
    let count = arrays.first().map_or(0, |a| a.len());
    for row in 0..count {
        let mut cells = Vec::with_capacity(columns.len());
        for (column, array) in columns.iter().zip(arrays) {
            let cell = cell_at(array.as_ref(), &column.ty, row).map_err(|e| {
                EngineError::Statement(format!("reading result column {}: {e}", column.name))
            })?;
            cells.push(cell_to_json(&cell, &column.ty));
        }
        rows.push(cells);
    }
    Ok(())
}

/// A cell as JSON: numbers as numbers, structs as objects, maps as objects.
pub fn cell_to_json(cell: &Cell<'_>, ty: &SqlType) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Bool(b) => Value::Bool(*b),
        Cell::Int(i) => Value::from(*i),
        Cell::BigInt(i) | Cell::Timestamp(i) => Value::from(*i),
        Cell::Date(d) => Value::from(*d),
        Cell::Time(t) => Value::from(*t),
        Cell::Double(d) => Number::from_f64(*d).map_or(Value::Null, Value::Number),
        Cell::Decimal(unscaled) => {
            let scale = match ty {
                SqlType::Decimal { scale, .. } => i32::from(*scale),
                _ => 0,
            };
            let value = *unscaled as f64 / 10f64.powi(scale);
            Number::from_f64(value).map_or(Value::Null, Value::Number)
        }
        Cell::Str(s) => Value::String(s.to_string()),
        Cell::Bytes(b) => {
            let mut text = String::new();
            crate::format::base64_encode(b, &mut text);
            Value::String(text)
        }
        Cell::List(items) => {
            let inner = match ty {
                SqlType::Array(inner) => inner.as_ref(),
                other => other,
            };
            Value::Array(items.iter().map(|c| cell_to_json(c, inner)).collect())
        }
        Cell::Map(entries) => {
            let (key_ty, value_ty) = match ty {
                SqlType::Map(k, v) => (k.as_ref(), v.as_ref()),
                other => (other, other),
            };
            let mut object = serde_json::Map::new();
            for (k, v) in entries {
                let key = match cell_to_json(k, key_ty) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                object.insert(key, cell_to_json(v, value_ty));
            }
            Value::Object(object)
        }
        Cell::Struct(fields) => {
            let mut object = serde_json::Map::new();
            if let SqlType::Struct(declared) = ty {
                for (field, cell) in declared.iter().zip(fields) {
                    object.insert(field.name.clone(), cell_to_json(cell, &field.ty));
                }
            }
            Value::Object(object)
        }
    }
}

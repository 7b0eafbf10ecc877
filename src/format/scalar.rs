//! A flat decoded value that owns nothing: what the JSON scanner hands to column builders.
//!
//! Unlike [`Cell`], a scalar is `Copy` and has nothing to drop, so a scratch row of them
//! costs no allocation, no destructor and no reset beyond a fill.

use super::cell::Cell;
use std::borrow::Cow;

/// A value of a flat SQL type; strings borrow from the record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i32),
    BigInt(i64),
    Double(f64),
    /// The unscaled value; the scale is the column type's.
    Decimal(i128),
    Str(&'a str),
    /// Days since the epoch.
    Date(i32),
    /// Milliseconds since midnight.
    Time(i32),
    /// Milliseconds since the epoch.
    Timestamp(i64),
}

impl<'a> Scalar<'a> {
    /// The scalar of a cell that borrows or holds a flat value; `None` for an owned
    /// string, bytes or a nested value.
    pub fn from_cell(cell: Cell<'a>) -> Option<Self> {
        Some(match cell {
            Cell::Null => Scalar::Null,
            Cell::Bool(v) => Scalar::Bool(v),
            Cell::Int(v) => Scalar::Int(v),
            Cell::BigInt(v) => Scalar::BigInt(v),
            Cell::Double(v) => Scalar::Double(v),
            Cell::Decimal(v) => Scalar::Decimal(v),
            Cell::Str(Cow::Borrowed(v)) => Scalar::Str(v),
            Cell::Date(v) => Scalar::Date(v),
            Cell::Time(v) => Scalar::Time(v),
            Cell::Timestamp(v) => Scalar::Timestamp(v),
            Cell::Str(Cow::Owned(_))
            | Cell::Bytes(_)
            | Cell::List(_)
            | Cell::Map(_)
            | Cell::Struct(_) => return None,
        })
    }

    /// The same value as a cell.
    pub fn into_cell(self) -> Cell<'a> {
        match self {
            Scalar::Null => Cell::Null,
            Scalar::Bool(v) => Cell::Bool(v),
            Scalar::Int(v) => Cell::Int(v),
            Scalar::BigInt(v) => Cell::BigInt(v),
            Scalar::Double(v) => Cell::Double(v),
            Scalar::Decimal(v) => Cell::Decimal(v),
            Scalar::Str(v) => Cell::Str(Cow::Borrowed(v)),
            Scalar::Date(v) => Cell::Date(v),
            Scalar::Time(v) => Cell::Time(v),
            Scalar::Timestamp(v) => Cell::Timestamp(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_cells_convert_both_ways_and_owned_ones_do_not() {
        let flat = [
            Cell::Null,
            Cell::Bool(true),
            Cell::Int(-1),
            Cell::BigInt(1 << 40),
            Cell::Double(0.5),
            Cell::Decimal(-125),
            Cell::Str(Cow::Borrowed("x")),
            Cell::Date(3),
            Cell::Time(4),
            Cell::Timestamp(5),
        ];
        for cell in flat {
            let scalar = Scalar::from_cell(cell.clone());
            assert_eq!(scalar.map(Scalar::into_cell), Some(cell));
        }
        for owned in [
            Cell::Str(Cow::Owned("x".into())),
            Cell::Bytes(Cow::Borrowed(b"x")),
            Cell::List(vec![]),
            Cell::Struct(vec![]),
        ] {
            assert_eq!(Scalar::from_cell(owned), None);
        }
    }
}

//! What `SHOW FUNCTIONS` and `DESCRIBE FUNCTION` print, and the argument-type error text.

use crate::sql::SqlType;

use super::error::FunctionError;

/// The three kinds of function ksqlDB distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    Scalar,
    Aggregate,
    Table,
}

impl FunctionKind {
    /// The word `SHOW FUNCTIONS` prints in its TYPE column.
    pub fn label(self) -> &'static str {
        match self {
            FunctionKind::Scalar => "SCALAR",
            FunctionKind::Aggregate => "AGGREGATE",
            FunctionKind::Table => "TABLE",
        }
    }
}

/// The describing data of one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionMeta {
    /// The name as ksqlDB declares it (error messages quote it this way).
    pub name: &'static str,
    pub kind: FunctionKind,
    /// The family `SHOW FUNCTIONS` groups it under (MATHEMATICAL, STRING, ...).
    pub category: &'static str,
    pub description: &'static str,
    /// One line per overload, in ksqlDB's `name(TYPE param, ...)` form.
    pub signatures: &'static [&'static str],
}

impl FunctionMeta {
    /// The entry of a function of `kind`, listed under `category`.
    pub const fn new(
        kind: FunctionKind,
        category: &'static str,
        name: &'static str,
        description: &'static str,
        signatures: &'static [&'static str],
    ) -> Self {
        FunctionMeta {
            name,
            kind,
            category,
            description,
            signatures,
        }
    }

    /// A scalar function's entry, listed under `category`.
    pub const fn scalar(
        category: &'static str,
        name: &'static str,
        description: &'static str,
        signatures: &'static [&'static str],
    ) -> Self {
        Self::new(
            FunctionKind::Scalar,
            category,
            name,
            description,
            signatures,
        )
    }

    /// An aggregate function's entry (all are listed under AGGREGATE).
    pub const fn aggregate(
        name: &'static str,
        description: &'static str,
        signatures: &'static [&'static str],
    ) -> Self {
        Self::new(
            FunctionKind::Aggregate,
            "AGGREGATE",
            name,
            description,
            signatures,
        )
    }

    /// The error for argument types that fit none of the signatures.
    pub fn invalid_arguments(&self, args: &[SqlType]) -> FunctionError {
        let args = args
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let alternatives = if self.signatures.is_empty() {
            String::new()
        } else {
            format!("\nValid alternatives are:\n{}", self.signatures.join("\n"))
        };
        FunctionError::InvalidArguments {
            name: self.name.to_string(),
            args,
            alternatives,
        }
    }
}

/// Numeric types ordered by ksqlDB's implicit widening: INT < BIGINT < DECIMAL < DOUBLE.
pub(crate) fn numeric_rank(ty: &SqlType) -> Option<u8> {
    match ty {
        SqlType::Int => Some(0),
        SqlType::BigInt => Some(1),
        SqlType::Decimal { .. } => Some(2),
        SqlType::Double => Some(3),
        _ => None,
    }
}

/// The type both `a` and `b` widen to, if they are compatible.
pub(crate) fn common_type(a: &SqlType, b: &SqlType) -> Option<SqlType> {
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (
            SqlType::Decimal {
                precision: p1,
                scale: s1,
            },
            SqlType::Decimal {
                precision: p2,
                scale: s2,
            },
        ) => {
            let scale = (*s1).max(*s2);
            let integral = p1.saturating_sub(*s1).max(p2.saturating_sub(*s2));
            Some(SqlType::decimal((integral + scale).min(38), scale))
        }
        _ => {
            let (ra, rb) = (numeric_rank(a)?, numeric_rank(b)?);
            let wider = if ra >= rb { a } else { b };
            match wider {
                // INT or BIGINT joined with a DECIMAL: the decimal must hold the integer too.
                SqlType::Decimal { precision, scale } => {
                    let int_digits = if ra.min(rb) == 0 { 10 } else { 19 };
                    let integral = precision.saturating_sub(*scale).max(int_digits);
                    Some(SqlType::decimal((integral + scale).min(38), *scale))
                }
                other => Some(other.clone()),
            }
        }
    }
}

/// The common type of all `types`, if there is one.
pub(crate) fn common_type_of(types: &[SqlType]) -> Option<SqlType> {
    let (first, rest) = types.split_first()?;
    rest.iter()
        .try_fold(first.clone(), |acc, ty| common_type(&acc, ty))
}

pub(crate) fn is_integral(ty: &SqlType) -> bool {
    matches!(ty, SqlType::Int | SqlType::BigInt)
}

/// Types whose values have an order MIN, MAX, GREATEST and LEAST can use.
pub(crate) fn is_comparable(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::Int
            | SqlType::BigInt
            | SqlType::Double
            | SqlType::Decimal { .. }
            | SqlType::String
            | SqlType::Bytes
            | SqlType::Date
            | SqlType::Time
            | SqlType::Timestamp
    )
}

pub(crate) fn is_text(ty: &SqlType) -> bool {
    matches!(ty, SqlType::String)
}

pub(crate) fn is_text_or_bytes(ty: &SqlType) -> bool {
    matches!(ty, SqlType::String | SqlType::Bytes)
}

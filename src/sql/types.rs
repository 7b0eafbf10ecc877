//! The SQL type system of the dialect and its mapping to Arrow.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, TimeUnit};

/// A column type as ksqlDB knows it.
///
/// `Custom` is a name introduced by `CREATE TYPE`; the catalog resolves it before
/// planning, so every other layer may treat it as an error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SqlType {
    Boolean,
    /// 32-bit signed integer (`INT`, `INTEGER`).
    Int,
    /// 64-bit signed integer.
    BigInt,
    Double,
    /// Fixed-point decimal with `precision` digits, `scale` of them after the point.
    Decimal {
        precision: u8,
        scale: u8,
    },
    /// `STRING` and `VARCHAR`.
    String,
    Bytes,
    /// Days since the epoch.
    Date,
    /// Milliseconds since midnight.
    Time,
    /// Milliseconds since the epoch, UTC.
    Timestamp,
    Array(Box<SqlType>),
    Map(Box<SqlType>, Box<SqlType>),
    Struct(Vec<StructField>),
    Custom(String),
}

/// One field of a `STRUCT` type; names keep the case they were declared with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructField {
    pub name: String,
    pub ty: SqlType,
}

/// The largest decimal precision ksqlDB accepts.
pub const MAX_DECIMAL_PRECISION: u8 = 38;

impl SqlType {
    pub fn decimal(precision: u8, scale: u8) -> Self {
        SqlType::Decimal { precision, scale }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            SqlType::Int | SqlType::BigInt | SqlType::Double | SqlType::Decimal { .. }
        )
    }

    /// The Arrow type that carries values of this type in a `RecordBatch`.
    ///
    /// Returns `None` for an unresolved custom type.
    pub fn to_arrow(&self) -> Option<DataType> {
        Some(match self {
            SqlType::Boolean => DataType::Boolean,
            SqlType::Int => DataType::Int32,
            SqlType::BigInt => DataType::Int64,
            SqlType::Double => DataType::Float64,
            SqlType::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale as i8),
            SqlType::String => DataType::Utf8,
            SqlType::Bytes => DataType::Binary,
            SqlType::Date => DataType::Date32,
            SqlType::Time => DataType::Time32(TimeUnit::Millisecond),
            SqlType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, None),
            SqlType::Array(item) => {
                DataType::List(Arc::new(Field::new("item", item.to_arrow()?, true)))
            }
            SqlType::Map(k, v) => {
                let entries = Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![
                        Field::new("key", k.to_arrow()?, false),
                        Field::new("value", v.to_arrow()?, true),
                    ])),
                    false,
                );
                DataType::Map(Arc::new(entries), false)
            }
            SqlType::Struct(fields) => DataType::Struct(
                fields
                    .iter()
                    .map(|f| Some(Field::new(&f.name, f.ty.to_arrow()?, true)))
                    .collect::<Option<Fields>>()?,
            ),
            SqlType::Custom(_) => return None,
        })
    }

    /// The SQL type of an Arrow type produced by expression evaluation, where one exists.
    pub fn from_arrow(dt: &DataType) -> Option<SqlType> {
        Some(match dt {
            DataType::Boolean => SqlType::Boolean,
            DataType::Int8 | DataType::Int16 | DataType::Int32 => SqlType::Int,
            DataType::Int64 | DataType::UInt32 => SqlType::BigInt,
            DataType::Float32 | DataType::Float64 => SqlType::Double,
            DataType::Decimal128(p, s) if *s >= 0 => SqlType::decimal(*p, *s as u8),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => SqlType::String,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => SqlType::Bytes,
            DataType::Date32 => SqlType::Date,
            DataType::Time32(_) | DataType::Time64(_) => SqlType::Time,
            DataType::Timestamp(_, _) => SqlType::Timestamp,
            DataType::List(f) | DataType::LargeList(f) => {
                SqlType::Array(Box::new(Self::from_arrow(f.data_type())?))
            }
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => SqlType::Map(
                    Box::new(Self::from_arrow(kv[0].data_type())?),
                    Box::new(Self::from_arrow(kv[1].data_type())?),
                ),
                _ => return None,
            },
            DataType::Struct(fields) => SqlType::Struct(
                fields
                    .iter()
                    .map(|f| {
                        Some(StructField {
                            name: f.name().clone(),
                            ty: Self::from_arrow(f.data_type())?,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
            _ => return None,
        })
    }
}

/// Writes an identifier as ksqlDB prints it: bare when it is upper-case word
/// characters and not a reserved word, otherwise quoted with backticks (a backtick
/// inside is doubled).
pub fn write_ident(f: &mut impl fmt::Write, name: &str) -> fmt::Result {
    let bare = !name.is_empty()
        && !super::keywords::is_reserved(name)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if bare {
        f.write_str(name)
    } else {
        write!(f, "`{}`", name.replace('`', "``"))
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Boolean => f.write_str("BOOLEAN"),
            SqlType::Int => f.write_str("INTEGER"),
            SqlType::BigInt => f.write_str("BIGINT"),
            SqlType::Double => f.write_str("DOUBLE"),
            SqlType::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            SqlType::String => f.write_str("STRING"),
            SqlType::Bytes => f.write_str("BYTES"),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Time => f.write_str("TIME"),
            SqlType::Timestamp => f.write_str("TIMESTAMP"),
            SqlType::Array(item) => write!(f, "ARRAY<{item}>"),
            SqlType::Map(k, v) => write!(f, "MAP<{k}, {v}>"),
            SqlType::Struct(fields) => {
                f.write_str("STRUCT<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_ident(f, &field.name)?;
                    write!(f, " {}", field.ty)?;
                }
                f.write_str(">")
            }
            SqlType::Custom(name) => write_ident(f, name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_nests_and_quotes_field_names() {
        let ty = SqlType::Struct(vec![
            StructField {
                name: "A".into(),
                ty: SqlType::Int,
            },
            StructField {
                name: "b c".into(),
                ty: SqlType::Array(Box::new(SqlType::Map(
                    Box::new(SqlType::String),
                    Box::new(SqlType::decimal(4, 2)),
                ))),
            },
        ]);
        assert_eq!(
            ty.to_string(),
            "STRUCT<A INTEGER, `b c` ARRAY<MAP<STRING, DECIMAL(4, 2)>>>"
        );
    }

    #[test]
    fn arrow_round_trip_for_every_resolved_type() {
        let types = [
            SqlType::Boolean,
            SqlType::Int,
            SqlType::BigInt,
            SqlType::Double,
            SqlType::decimal(10, 3),
            SqlType::String,
            SqlType::Bytes,
            SqlType::Date,
            SqlType::Time,
            SqlType::Timestamp,
            SqlType::Array(Box::new(SqlType::Int)),
            SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::BigInt)),
            SqlType::Struct(vec![StructField {
                name: "x".into(),
                ty: SqlType::Double,
            }]),
        ];
        for ty in types {
            let arrow = ty.to_arrow().expect("resolved type maps to arrow");
            assert_eq!(SqlType::from_arrow(&arrow), Some(ty.clone()), "{ty}");
        }
        assert_eq!(SqlType::Custom("ADDRESS".into()).to_arrow(), None);
    }
}

//! ksqlDB's typing rules for operators: arithmetic result types and comparability.

use crate::sql::SqlType;
use crate::sql::ast::BinaryOp;

use super::error::{PlanError, Result};

const MAX_PRECISION: u32 = 38;

/// The DECIMAL a whole-number type widens to in decimal arithmetic.
fn as_decimal(ty: &SqlType) -> Option<(u32, u32)> {
    match ty {
        SqlType::Int => Some((10, 0)),
        SqlType::BigInt => Some((19, 0)),
        SqlType::Decimal { precision, scale } => Some((*precision as u32, *scale as u32)),
        _ => None,
    }
}

fn decimal(precision: u32, scale: u32) -> SqlType {
    let precision = precision.clamp(1, MAX_PRECISION);
    let scale = scale.min(precision);
    SqlType::decimal(precision as u8, scale as u8)
}

/// The result type of `left op right` for an arithmetic operator, as ksqlDB computes it:
/// DOUBLE wins, then DECIMAL (with SQL Server's precision rules), then BIGINT, then INT.
pub fn arithmetic_result(op: BinaryOp, left: &SqlType, right: &SqlType) -> Result<SqlType> {
    if !left.is_numeric() || !right.is_numeric() {
        return Err(PlanError::Type(format!(
            "Error processing expression: Unsupported arithmetic types. {left} {right}"
        )));
    }
    if *left == SqlType::Double || *right == SqlType::Double {
        return Ok(SqlType::Double);
    }
    if matches!(left, SqlType::Decimal { .. }) || matches!(right, SqlType::Decimal { .. }) {
        let ((p1, s1), (p2, s2)) = match (as_decimal(left), as_decimal(right)) {
            (Some(l), Some(r)) => (l, r),
            _ => {
                return Err(PlanError::Internal(
                    "numeric type without decimal form".into(),
                ));
            }
        };
        return Ok(match op {
            BinaryOp::Plus | BinaryOp::Minus => {
                let scale = s1.max(s2);
                decimal((p1 - s1).max(p2 - s2) + scale + 1, scale)
            }
            BinaryOp::Multiply => decimal(p1 + p2 + 1, s1 + s2),
            BinaryOp::Divide => {
                let scale = 6.max(s1 + p2 + 1);
                decimal(p1 - s1 + s2 + scale, scale)
            }
            BinaryOp::Modulo => {
                let scale = s1.max(s2);
                decimal((p1 - s1).min(p2 - s2) + scale, scale)
            }
            _ => return Err(PlanError::Internal(format!("{op:?} is not arithmetic"))),
        });
    }
    if *left == SqlType::BigInt || *right == SqlType::BigInt {
        return Ok(SqlType::BigInt);
    }
    Ok(SqlType::Int)
}

/// Whether ksqlDB's CAST converts `from` to `to`: collections only to STRING or to the
/// same kind of collection with castable elements; scalars as Arrow decides.
pub fn castable(from: &SqlType, to: &SqlType) -> bool {
    use SqlType::*;
    match (from, to) {
        (f, t) if f == t => true,
        (Array(a), Array(b)) => castable(a, b),
        (Map(k1, v1), Map(k2, v2)) => castable(k1, k2) && castable(v1, v2),
        (Struct(_), Struct(_)) | (Array(_) | Map(..) | Struct(_), String) => true,
        (Array(_) | Map(..) | Struct(_), _) | (_, Array(_) | Map(..) | Struct(_)) => false,
        _ => true,
    }
}

/// The type both sides of a comparison are compared as, or `None` when ksqlDB refuses
/// to compare them.
pub fn comparison_type(left: &SqlType, right: &SqlType) -> Option<SqlType> {
    use SqlType::*;
    if left == right {
        return Some(left.clone());
    }
    match (left, right) {
        (l, r) if l.is_numeric() && r.is_numeric() => Some(if *l == Double || *r == Double {
            Double
        } else if matches!(l, Decimal { .. }) || matches!(r, Decimal { .. }) {
            let ((p1, s1), (p2, s2)) = (as_decimal(l)?, as_decimal(r)?);
            let scale = s1.max(s2);
            decimal((p1 - s1).max(p2 - s2) + scale, scale)
        } else {
            BigInt
        }),
        // A string compared with a temporal value is read as one.
        (Timestamp | Date | Time, String) => Some(left.clone()),
        (String, Timestamp | Date | Time) => Some(right.clone()),
        _ => None,
    }
}

/// ksqlDB's name for a comparison operator in error messages.
pub fn comparison_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Eq => "EQUAL",
        BinaryOp::NotEq => "NOT_EQUAL",
        BinaryOp::Lt => "LESS_THAN",
        BinaryOp::LtEq => "LESS_THAN_OR_EQUAL",
        BinaryOp::Gt => "GREATER_THAN",
        BinaryOp::GtEq => "GREATER_THAN_OR_EQUAL",
        _ => "COMPARISON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_cast_only_to_string_or_their_own_kind() {
        use SqlType::*;
        let ints = Array(Box::new(Int));
        assert!(castable(&Array(Box::new(BigInt)), &ints));
        assert!(castable(&ints, &String));
        assert!(!castable(&String, &ints));
        assert!(!castable(&ints, &Map(Box::new(String), Box::new(Int))));
        assert!(castable(&BigInt, &Int));
    }

    #[test]
    fn arithmetic_widens_int_to_bigint_to_decimal_to_double() {
        use SqlType::*;
        assert_eq!(
            arithmetic_result(BinaryOp::Plus, &Int, &Int).ok(),
            Some(Int)
        );
        assert_eq!(
            arithmetic_result(BinaryOp::Plus, &Int, &BigInt).ok(),
            Some(BigInt)
        );
        assert_eq!(
            arithmetic_result(BinaryOp::Multiply, &BigInt, &Double).ok(),
            Some(Double)
        );
        assert_eq!(
            arithmetic_result(BinaryOp::Plus, &SqlType::decimal(4, 2), &Int).ok(),
            Some(SqlType::decimal(13, 2))
        );
        assert_eq!(
            arithmetic_result(
                BinaryOp::Divide,
                &SqlType::decimal(4, 2),
                &SqlType::decimal(3, 1)
            )
            .ok(),
            Some(SqlType::decimal(9, 6))
        );
        assert!(arithmetic_result(BinaryOp::Plus, &String, &Int).is_err());
    }

    #[test]
    fn comparisons_need_compatible_types() {
        use SqlType::*;
        assert_eq!(comparison_type(&Int, &Double), Some(Double));
        assert_eq!(comparison_type(&Int, &BigInt), Some(BigInt));
        assert_eq!(comparison_type(&Timestamp, &String), Some(Timestamp));
        assert_eq!(comparison_type(&Int, &String), None);
        assert_eq!(comparison_type(&Boolean, &Int), None);
    }
}

//! What a pull query's WHERE says about the key: the keys to look up directly, the
//! rewrite of window bounds written as text, and ksqlDB's key-lookup-only rules.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::{EngineError, Result};
use crate::catalog::Source;
use crate::format::{Cell, FormatKind, RecordEncoder, SerdePart};
use crate::plan::select::{WINDOWEND, WINDOWSTART};
use crate::sql::SqlType;
use crate::sql::ast::{BinaryOp, Expr, Literal};

/// The top-level AND-ed parts of `expr`.
pub fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Binary {
            left,
            op: BinaryOp::And,
            right,
        } => {
            let mut parts = conjuncts(left);
            parts.extend(conjuncts(right));
            parts
        }
        other => vec![other],
    }
}

/// The name of `expr` when it is a plain column reference.
fn column_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Column { name, .. } => Some(name.as_str()),
        _ => None,
    }
}

/// The names of the columns `expr` references.
fn columns_of(expr: &Expr) -> Vec<String> {
    let mut names = Vec::new();
    let _ = crate::plan::rewrite::rewrite::<()>(expr, &mut |e| {
        if let Expr::Column { name, .. } = e {
            names.push(name.as_str().to_string());
        }
        Ok(None)
    });
    names
}

/// Whether `expr` references any column.
fn has_column(expr: &Expr) -> bool {
    !columns_of(expr).is_empty()
}

/// Whether `expr` mentions column `name` anywhere.
fn mentions(expr: &Expr, name: &str) -> bool {
    columns_of(expr).iter().any(|c| c == name)
}

/// Rewrites comparisons of WINDOWSTART/WINDOWEND with a text timestamp
/// (`WINDOWSTART = '2020-02-23T23:45:12.000'`) into epoch milliseconds, as ksqlDB does.
pub fn rewrite_window_bounds(expr: &mut Expr) -> Result<()> {
    match expr {
        Expr::Binary { left, op, right } => {
            if matches!(op, BinaryOp::And | BinaryOp::Or) {
                rewrite_window_bounds(left)?;
                return rewrite_window_bounds(right);
            }
            let is_bound =
                |e: &Expr| column_name(e).is_some_and(|n| n == WINDOWSTART || n == WINDOWEND);
            if is_bound(left) {
                to_millis(right)?;
            } else if is_bound(right) {
                to_millis(left)?;
            }
            Ok(())
        }
        Expr::Unary { expr, .. } => rewrite_window_bounds(expr),
        _ => Ok(()),
    }
}

fn to_millis(expr: &mut Expr) -> Result<()> {
    if let Expr::Literal(Literal::String(text)) = expr {
        let millis = parse_timestamp(text).ok_or_else(|| {
            EngineError::Statement(format!(
                "Failed to parse timestamp '{text}': it should be in the format yyyy-MM-dd'T'HH:mm:ss.SSS, optionally with a time zone offset"
            ))
        })?;
        *expr = Expr::Literal(Literal::BigInt(millis));
    }
    Ok(())
}

/// Epoch milliseconds of an ISO-8601 timestamp, complete or partial, with an optional
/// offset (`2020-02-23T23:45:12.000-0100`, `2020-02-23T23:45`, `2020-02-23`).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    const WITH_ZONE: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ];
    for format in WITH_ZONE {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.timestamp_millis());
        }
    }
    const LOCAL: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ];
    for format in LOCAL {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    // An hour alone (`2020-02-24T23`); hour 24 is midnight of the next day.
    if let Some((date, hour)) = text.split_once('T') {
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        let hour: i64 = hour.parse().ok().filter(|h| (0..=24).contains(h))?;
        let midnight = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis();
        return Some(midnight + hour * 3_600_000);
    }
    for (format, suffix) in [
        ("%Y-%m-%d", ""),
        ("%Y-%m-%d", "-01"),
        ("%Y-%m-%d", "-01-01"),
    ] {
        let padded = format!("{text}{suffix}");
        if let Ok(d) = NaiveDate::parse_from_str(&padded, format) {
            return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
        }
    }
    None
}

/// The key bytes a WHERE pins the source to (`K = literal`, `K IN (literals)`), when the
/// source has one KAFKA-format key column of a type whose encoding is canonical; `None`
/// means every row must be scanned. The full WHERE is still applied to what is found.
pub fn lookup_keys(where_clause: Option<&Expr>, source: &Source) -> Option<Vec<Vec<u8>>> {
    let where_clause = where_clause?;
    if source.key_format.kind != FormatKind::Kafka {
        return None;
    }
    let mut keys = source.schema.key_columns();
    let key = keys.next()?;
    if keys.next().is_some() {
        return None;
    }
    let columns = [crate::format::Column::new(&key.name, key.ty.clone())];
    let encoder = RecordEncoder::try_new(&source.key_format, SerdePart::Key, &columns).ok()?;
    let encode = |literal: &Expr| -> Option<Vec<u8>> {
        let Expr::Literal(literal) = literal else {
            return None;
        };
        let cell = match (&key.ty, literal) {
            (SqlType::String, Literal::String(s)) => Cell::Str(s.as_str().into()),
            (SqlType::Int, Literal::Int(i)) => Cell::Int(*i),
            (SqlType::BigInt, Literal::Int(i)) => Cell::BigInt(i64::from(*i)),
            (SqlType::BigInt, Literal::BigInt(i)) => Cell::BigInt(*i),
            _ => return None,
        };
        encoder.encode_record(&[cell]).ok().flatten()
    };
    for part in conjuncts(where_clause) {
        match part {
            Expr::Binary {
                left,
                op: BinaryOp::Eq,
                right,
            } => {
                let literal = if column_name(left) == Some(key.name.as_str()) {
                    right
                } else if column_name(right) == Some(key.name.as_str()) {
                    left
                } else {
                    continue;
                };
                return encode(literal).map(|k| vec![k]);
            }
            Expr::InList {
                expr,
                negated: false,
                list,
            } if column_name(expr) == Some(key.name.as_str()) => {
                return list.iter().map(encode).collect();
            }
            _ => {}
        }
    }
    None
}

/// ksqlDB's checks of a pull query's WHERE against a table: key values must be well
/// typed and not NULL.
pub fn check_key_values(where_clause: Option<&Expr>, source: &Source) -> Result<()> {
    let Some(where_clause) = where_clause else {
        return Ok(());
    };
    for part in conjuncts(where_clause) {
        let Expr::InList {
            expr,
            negated: false,
            list,
        } = part
        else {
            continue;
        };
        let Some(key) =
            column_name(expr).and_then(|name| source.schema.key_columns().find(|k| k.name == name))
        else {
            continue;
        };
        for item in list {
            let Expr::Literal(literal) = item else {
                continue;
            };
            let numeric_key = matches!(
                key.ty,
                SqlType::Int | SqlType::BigInt | SqlType::Double | SqlType::Decimal { .. }
            );
            match literal {
                Literal::Null => {
                    return Err(EngineError::Statement(format!(
                        "Primary key columns can not be NULL: ({} = null)",
                        key.name
                    )));
                }
                Literal::String(s) if numeric_key => {
                    return Err(EngineError::Statement(format!(
                        "'{s}' can not be converted to the type of the key column: {} {} KEY",
                        key.name,
                        crate::format::ksql_type_name(&key.ty)
                    )));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// With table scans disabled (`ksql.query.pull.table.scan.enabled=false`), a pull
/// query on a table must look its keys up: each key column compared once with `=` (or
/// `IN`) to an expression without columns. Other conditions may be added.
pub fn check_key_lookup_only(where_clause: Option<&Expr>, source: &Source) -> Result<()> {
    let refuse = |m: &str| Err(EngineError::Statement(m.to_string()));
    const COMBINED: &str = "A comparison condition on the key column cannot be combined with other comparisons such as an IN predicate";
    const UNRESOLVABLE: &str =
        "A comparison must be between a key column and a resolvable expression.";
    let key_names: Vec<&str> = source
        .schema
        .key_columns()
        .map(|k| k.name.as_str())
        .collect();
    let Some(where_clause) = where_clause else {
        return refuse(
            "Pull queries on tables require a WHERE clause on the key when table scans are disabled (ksql.query.pull.table.scan.enabled=false).",
        );
    };
    let mut seen: Vec<&str> = Vec::new();
    let parts = conjuncts(where_clause);
    for part in &parts {
        match part {
            Expr::Binary { left, op, right } => {
                let key_side = [left, right]
                    .into_iter()
                    .position(|e| column_name(e).is_some_and(|n| key_names.contains(&n)));
                let Some(side) = key_side else {
                    if key_names.iter().any(|k| mentions(part, k)) {
                        return refuse("A comparison must directly reference a key column.");
                    }
                    continue;
                };
                let (key, other) = if side == 0 {
                    (left, right)
                } else {
                    (right, left)
                };
                let key = column_name(key).unwrap_or_default();
                if has_column(other) {
                    return refuse(UNRESOLVABLE);
                }
                match op {
                    BinaryOp::Eq => {}
                    BinaryOp::NotEq => {
                        let column = source
                            .schema
                            .key_columns()
                            .find(|k| k.name == key)
                            .map(|k| {
                                format!("`{}` {} KEY", k.name, crate::format::ksql_type_name(&k.ty))
                            })
                            .unwrap_or_default();
                        return Err(EngineError::Statement(format!(
                            "Bound on key columns '[{column}]' must currently be '='."
                        )));
                    }
                    _ => return refuse(COMBINED),
                }
                if seen.contains(&key) {
                    return refuse(COMBINED);
                }
                seen.push(key);
            }
            Expr::InList {
                expr,
                negated: false,
                list,
            } if column_name(expr).is_some_and(|n| key_names.contains(&n)) => {
                if list.iter().any(has_column) {
                    return refuse(UNRESOLVABLE);
                }
                let key = column_name(expr).unwrap_or_default();
                if seen.contains(&key) {
                    return refuse(COMBINED);
                }
                seen.push(key);
            }
            other => {
                if key_names.iter().any(|k| mentions(other, k)) {
                    return refuse("A comparison must directly reference a key column.");
                }
            }
        }
    }
    if seen.len() == key_names.len() {
        return Ok(());
    }
    if key_names.len() > 1 && !seen.is_empty() {
        return refuse("Multi-column sources must specify every key in the WHERE clause");
    }
    Err(EngineError::Statement(format!(
        "WHERE clause missing key column for disjunct: ({where_clause})"
    )))
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn parses_complete_and_partial_timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.500"), Some(1500));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00.000+0100"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T24"), Some(86_400_000));
        assert_eq!(parse_timestamp("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_timestamp("1970-02"), Some(31 * 86_400_000));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}

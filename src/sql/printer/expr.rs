//! Printing expressions and literals, with parentheses exactly where precedence needs them.

use std::fmt;

use super::{write_list, write_string};
use crate::sql::ast::{Duration, Expr, FunctionArgs, Literal, UnaryOp};

/// Binding strength of the expression at its top: what the parser's precedence levels
/// make of it (OR 1, AND 2, NOT 3, predicates 4, `||` 5, `+ -` 6, `* / %` 7,
/// signs 8, everything else 9). A lambda binds loosest of all.
fn precedence(expr: &Expr) -> u8 {
    match expr {
        Expr::Lambda { .. } => 0,
        Expr::Binary { op, .. } => op.precedence(),
        Expr::Unary {
            op: UnaryOp::Not, ..
        } => 3,
        Expr::Between { .. }
        | Expr::InList { .. }
        | Expr::Like { .. }
        | Expr::IsNull { .. }
        | Expr::IsDistinctFrom { .. } => 4,
        Expr::Unary { .. } => 8,
        // Printed with its sign, it reads back as a signed literal only where a
        // unary sign may stand.
        literal if is_negative_literal(literal) => 8,
        _ => 9,
    }
}

/// Writes `expr`, in parentheses when it binds looser than `min`.
pub(super) fn write_operand(f: &mut fmt::Formatter<'_>, expr: &Expr, min: u8) -> fmt::Result {
    if precedence(expr) < min {
        write!(f, "({expr})")
    } else {
        write!(f, "{expr}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(literal) => write!(f, "{literal}"),
            Expr::Column { source, name } => match source {
                Some(source) => write!(f, "{source}.{name}"),
                None => write!(f, "{name}"),
            },
            Expr::Dereference { base, field } => {
                write_operand(f, base, 9)?;
                write!(f, "->{field}")
            }
            Expr::Subscript { base, index } => {
                write_operand(f, base, 9)?;
                write!(f, "[{index}]")
            }
            Expr::Unary { op, expr } => match op {
                UnaryOp::Not => {
                    f.write_str("NOT ")?;
                    write_operand(f, expr, 3)
                }
                UnaryOp::Minus | UnaryOp::Plus => {
                    f.write_str(if *op == UnaryOp::Minus { "-" } else { "+" })?;
                    // `--` would start a comment, `-(-1)` must stay nested, and `-1`
                    // would read back as the literal -1 rather than a negation.
                    if matches!(**expr, Expr::Unary { .. } | Expr::Literal(_)) {
                        write!(f, "({expr})")
                    } else {
                        write_operand(f, expr, 8)
                    }
                }
            },
            Expr::Binary { left, op, right } => {
                let p = op.precedence();
                write_operand(f, left, p)?;
                write!(f, " {} ", op.symbol())?;
                // Operators associate to the left, so an equal right operand needs parentheses.
                write_operand(f, right, p + 1)
            }
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                write_operand(f, expr, 4)?;
                f.write_str(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                })?;
                write_operand(f, low, 5)?;
                f.write_str(" AND ")?;
                write_operand(f, high, 5)
            }
            Expr::InList {
                expr,
                negated,
                list,
            } => {
                write_operand(f, expr, 4)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                write_list(f, list)?;
                f.write_str(")")
            }
            Expr::Like {
                expr,
                negated,
                pattern,
                escape,
            } => {
                write_operand(f, expr, 4)?;
                f.write_str(if *negated { " NOT LIKE " } else { " LIKE " })?;
                write_operand(f, pattern, 5)?;
                if let Some(escape) = escape {
                    f.write_str(" ESCAPE ")?;
                    write_operand(f, escape, 5)?;
                }
                Ok(())
            }
            Expr::IsNull { expr, negated } => {
                write_operand(f, expr, 4)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            Expr::IsDistinctFrom {
                left,
                negated,
                right,
            } => {
                write_operand(f, left, 4)?;
                f.write_str(if *negated {
                    " IS NOT DISTINCT FROM "
                } else {
                    " IS DISTINCT FROM "
                })?;
                write_operand(f, right, 5)
            }
            Expr::Case {
                operand,
                branches,
                else_result,
            } => {
                f.write_str("CASE")?;
                if let Some(operand) = operand {
                    write!(f, " {operand}")?;
                }
                for branch in branches {
                    write!(f, " WHEN {} THEN {}", branch.when, branch.then)?;
                }
                if let Some(else_result) = else_result {
                    write!(f, " ELSE {else_result}")?;
                }
                f.write_str(" END")
            }
            Expr::Cast { expr, ty } => write!(f, "CAST({expr} AS {ty})"),
            Expr::Function { name, args } => {
                write!(f, "{name}(")?;
                match args {
                    FunctionArgs::Star => f.write_str("*")?,
                    FunctionArgs::List { distinct, args } => {
                        if *distinct {
                            f.write_str("DISTINCT ")?;
                        }
                        write_list(f, args)?;
                    }
                }
                f.write_str(")")
            }
            Expr::Array(items) => {
                f.write_str("ARRAY[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            Expr::Map(entries) => {
                f.write_str("MAP(")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key} := {value}")?;
                }
                f.write_str(")")
            }
            Expr::Struct(fields) => {
                f.write_str("STRUCT(")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name} := {value}")?;
                }
                f.write_str(")")
            }
            Expr::Lambda { params, body } => {
                match params.as_slice() {
                    [one] => write!(f, "{one}")?,
                    many => {
                        f.write_str("(")?;
                        write_list(f, many)?;
                        f.write_str(")")?;
                    }
                }
                write!(f, " => {body}")
            }
        }
    }
}

fn is_negative_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(Literal::Int(n)) => *n < 0,
        Expr::Literal(Literal::BigInt(n)) => *n < 0,
        Expr::Literal(Literal::Double(d)) => d.is_sign_negative(),
        Expr::Literal(Literal::Decimal(d)) => d.starts_with('-'),
        _ => false,
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Boolean(true) => f.write_str("TRUE"),
            Literal::Boolean(false) => f.write_str("FALSE"),
            Literal::Int(n) => write!(f, "{n}"),
            Literal::BigInt(n) => write!(f, "{n}"),
            Literal::Decimal(text) => f.write_str(text),
            // Always with an exponent, so the text reads back as a DOUBLE.
            Literal::Double(d) => write!(f, "{d:E}"),
            Literal::String(s) => write_string(f, s),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit.keyword())
    }
}

//! Bottom-up rewriting of AST expressions (replacing aggregate calls and GROUP BY terms).

use crate::sql::ast::{Expr, FunctionArgs, WhenThen};

/// Drops source qualifiers so that `T.ID` and `ID` compare equal (one source only).
pub fn unqualified(expr: &Expr) -> Expr {
    rewrite::<()>(expr, &mut |e| {
        Ok(match e {
            Expr::Column {
                source: Some(_),
                name,
            } => Some(Expr::Column {
                source: None,
                name: name.clone(),
            }),
            _ => None,
        })
    })
    .unwrap_or_else(|()| expr.clone())
}

/// Rewrites `expr` top-down: where `replace` returns a new expression the subtree is
/// replaced (and not descended into); elsewhere the children are rewritten.
pub fn rewrite<E>(
    expr: &Expr,
    replace: &mut dyn FnMut(&Expr) -> Result<Option<Expr>, E>,
) -> Result<Expr, E> {
    if let Some(new) = replace(expr)? {
        return Ok(new);
    }
    let mut go = |e: &Expr| rewrite(e, replace).map(Box::new);
    Ok(match expr {
        Expr::Literal(_) | Expr::Column { .. } => expr.clone(),
        Expr::Dereference { base, field } => Expr::Dereference {
            base: go(base)?,
            field: field.clone(),
        },
        Expr::Subscript { base, index } => Expr::Subscript {
            base: go(base)?,
            index: go(index)?,
        },
        Expr::Unary { op, expr } => Expr::Unary {
            op: *op,
            expr: go(expr)?,
        },
        Expr::Binary { left, op, right } => Expr::Binary {
            left: go(left)?,
            op: *op,
            right: go(right)?,
        },
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => Expr::Between {
            expr: go(expr)?,
            negated: *negated,
            low: go(low)?,
            high: go(high)?,
        },
        Expr::InList {
            expr,
            negated,
            list,
        } => Expr::InList {
            expr: go(expr)?,
            negated: *negated,
            list: list
                .iter()
                .map(|e| go(e).map(|b| *b))
                .collect::<Result<_, E>>()?,
        },
        Expr::Like {
            expr,
            negated,
            pattern,
            escape,
        } => Expr::Like {
            expr: go(expr)?,
            negated: *negated,
            pattern: go(pattern)?,
            escape: escape.as_deref().map(&mut go).transpose()?,
        },
        Expr::IsNull { expr, negated } => Expr::IsNull {
            expr: go(expr)?,
            negated: *negated,
        },
        Expr::IsDistinctFrom {
            left,
            negated,
            right,
        } => Expr::IsDistinctFrom {
            left: go(left)?,
            negated: *negated,
            right: go(right)?,
        },
        Expr::Case {
            operand,
            branches,
            else_result,
        } => Expr::Case {
            operand: operand.as_deref().map(&mut go).transpose()?,
            branches: branches
                .iter()
                .map(|b| {
                    Ok(WhenThen {
                        when: *go(&b.when)?,
                        then: *go(&b.then)?,
                    })
                })
                .collect::<Result<_, E>>()?,
            else_result: else_result.as_deref().map(&mut go).transpose()?,
        },
        Expr::Cast { expr, ty } => Expr::Cast {
            expr: go(expr)?,
            ty: ty.clone(),
        },
        Expr::Function { name, args } => Expr::Function {
            name: name.clone(),
            args: match args {
                FunctionArgs::Star => FunctionArgs::Star,
                FunctionArgs::List { distinct, args } => FunctionArgs::List {
                    distinct: *distinct,
                    args: args
                        .iter()
                        .map(|e| go(e).map(|b| *b))
                        .collect::<Result<_, E>>()?,
                },
            },
        },
        Expr::Array(items) => Expr::Array(
            items
                .iter()
                .map(|e| go(e).map(|b| *b))
                .collect::<Result<_, E>>()?,
        ),
        Expr::Map(entries) => Expr::Map(
            entries
                .iter()
                .map(|(k, v)| Ok((*go(k)?, *go(v)?)))
                .collect::<Result<_, E>>()?,
        ),
        Expr::Struct(fields) => Expr::Struct(
            fields
                .iter()
                .map(|(n, v)| Ok((n.clone(), *go(v)?)))
                .collect::<Result<_, E>>()?,
        ),
        Expr::Lambda { params, body } => Expr::Lambda {
            params: params.clone(),
            body: go(body)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ast::{BinaryOp, Ident};

    #[test]
    fn replaces_matching_subtrees_inside_calls_and_operators() {
        let call = Expr::Function {
            name: Ident::new("ABS"),
            args: FunctionArgs::List {
                distinct: false,
                args: vec![Expr::binary(
                    Expr::column("A"),
                    BinaryOp::Plus,
                    Expr::column("B"),
                )],
            },
        };
        let rewritten = rewrite::<()>(&call, &mut |e| {
            Ok((*e == Expr::column("A")).then(|| Expr::column("KSQL_GROUP_0")))
        })
        .expect("no error");
        assert_eq!(rewritten.to_string(), "ABS(KSQL_GROUP_0 + B)");
        let refused = rewrite(&call, &mut |e| match e {
            Expr::Column { name, .. } if name.as_str() == "B" => Err("B is refused"),
            _ => Ok(None),
        });
        assert_eq!(refused.expect_err("B is refused"), "B is refused");
    }
}

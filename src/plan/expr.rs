//! Compiles AST expressions into typed DataFusion expressions with ksqlDB's typing rules.
//!
//! The compiler computes each node's SQL type itself and inserts the casts ksqlDB's
//! rules imply, so that DataFusion's own coercion never has to guess (it would happily
//! compare an INT with a STRING, which ksqlDB refuses).

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions_nested::expr_fn::{array_element, make_array};
use datafusion::logical_expr::expr::{Between, Case, InList, Like};
use datafusion::logical_expr::{Cast, Expr as DfExpr, Operator, binary_expr, lit};

use super::error::{PlanError, Result};
use super::scope::Scope;
use super::types::{arithmetic_result, castable, comparison_name, comparison_type};
use crate::functions::scalar::cast::{ksql_cast, needs_ksql_cast};
use crate::functions::scalar::like_escape::{like_pattern_with_escape, rewrite_like_pattern};
use crate::sql::ast::{BinaryOp, Expr, FunctionArgs, Literal, UnaryOp};
use crate::sql::{SqlType, StructField};

/// A compiled expression and its SQL type.
#[derive(Debug, Clone)]
pub struct Typed {
    pub expr: DfExpr,
    pub ty: SqlType,
}

/// Resolves function calls; the function library implements it.
pub trait FunctionResolver {
    /// Compiles `name(args)`; `args` are already compiled.
    fn call(&self, name: &str, args: Vec<Typed>) -> Result<Typed>;

    /// The table function called `name`, if it is one (only the SELECT list has them).
    fn table_function(
        &self,
        _name: &str,
    ) -> Option<std::sync::Arc<crate::functions::table::TableFunction>> {
        None
    }
}

/// A resolver that knows no functions, for contexts where none may appear.
pub struct NoFunctions;

impl FunctionResolver for NoFunctions {
    fn call(&self, name: &str, _args: Vec<Typed>) -> Result<Typed> {
        Err(PlanError::UnknownFunction(name.to_string()))
    }
}

/// Compiles expressions over one scope.
pub struct ExprCompiler<'a> {
    pub scope: &'a Scope,
    pub functions: &'a dyn FunctionResolver,
}

/// A cast to `ty`, or the expression itself when it already has that type. A NULL
/// literal becomes a NULL of `ty` (Arrow cannot cast a string to every type).
pub fn cast_to(typed: Typed, ty: &SqlType) -> Result<Typed> {
    if typed.ty == *ty {
        return Ok(typed);
    }
    let dt = arrow_type(ty)?;
    if let DfExpr::Literal(value, _) = &typed.expr
        && value.is_null()
    {
        return Ok(Typed {
            expr: lit(ScalarValue::try_new_null(&dt)
                .map_err(|e| PlanError::Internal(format!("no NULL of type {ty}: {e}")))?),
            ty: ty.clone(),
        });
    }
    Ok(Typed {
        expr: DfExpr::Cast(Cast::new(Box::new(typed.expr), dt)),
        ty: ty.clone(),
    })
}

pub fn arrow_type(ty: &SqlType) -> Result<DataType> {
    ty.to_arrow()
        .ok_or_else(|| PlanError::Internal(format!("unresolved type {ty} reached the planner")))
}

/// An explicit `CAST(... AS ty)`: refused where ksqlDB refuses it, and with ksqlDB's
/// semantics (Java narrowing, collections printed as Java prints them) where Arrow's
/// cast differs.
pub fn explicit_cast(typed: Typed, ty: &SqlType) -> Result<Typed> {
    let is_null = matches!(&typed.expr, DfExpr::Literal(v, _) if v.is_null());
    if is_null || typed.ty == *ty {
        return cast_to(typed, ty);
    }
    if !castable(&typed.ty, ty) {
        return Err(PlanError::Type(format!(
            "Cast of {} to {ty} is not supported",
            typed.ty
        )));
    }
    let (from, to) = (arrow_type(&typed.ty)?, arrow_type(ty)?);
    if needs_ksql_cast(&from, &to) {
        return Ok(Typed {
            expr: ksql_cast(typed.expr, to),
            ty: ty.clone(),
        });
    }
    cast_to(typed, ty)
}

/// The DataFusion value of a literal and its SQL type.
pub fn literal(l: &Literal) -> Result<Typed> {
    let (value, ty) = match l {
        // An untyped NULL is a STRING until context says otherwise, as in ksqlDB.
        Literal::Null => (ScalarValue::Utf8(None), SqlType::String),
        Literal::Boolean(b) => (ScalarValue::Boolean(Some(*b)), SqlType::Boolean),
        Literal::Int(i) => (ScalarValue::Int32(Some(*i)), SqlType::Int),
        Literal::BigInt(i) => (ScalarValue::Int64(Some(*i)), SqlType::BigInt),
        Literal::Double(d) => (ScalarValue::Float64(Some(*d)), SqlType::Double),
        Literal::String(s) => (ScalarValue::Utf8(Some(s.clone())), SqlType::String),
        Literal::Decimal(text) => {
            let (precision, scale) = l
                .decimal_precision_scale()
                .ok_or_else(|| PlanError::Internal("decimal without digits".into()))?;
            if precision > 38 {
                return Err(PlanError::Type(format!(
                    "Decimal literal {text} has more than 38 digits"
                )));
            }
            let digits: String = text.chars().filter(|c| *c != '.').collect();
            let unscaled: i128 = digits
                .parse()
                .map_err(|_| PlanError::Type(format!("Invalid decimal literal {text}")))?;
            (
                ScalarValue::Decimal128(Some(unscaled), precision, scale as i8),
                SqlType::decimal(precision, scale),
            )
        }
    };
    Ok(Typed {
        expr: lit(value),
        ty,
    })
}

impl ExprCompiler<'_> {
    pub fn compile(&self, e: &Expr) -> Result<Typed> {
        match e {
            Expr::Literal(l) => literal(l),
            Expr::Column { source, name } => {
                let (index, column) = self
                    .scope
                    .resolve(source.as_ref().map(|s| s.as_str()), name.as_str())?;
                Ok(Typed {
                    expr: DfExpr::Column(self.scope.df_column(index)),
                    ty: column.ty.clone(),
                })
            }
            Expr::Dereference { base, field } => {
                let base = self.compile(base)?;
                let SqlType::Struct(fields) = &base.ty else {
                    return Err(PlanError::Type(format!(
                        "Can't dereference field {field} of a non-struct expression of type {}",
                        base.ty
                    )));
                };
                let found = find_field(fields, field.as_str()).ok_or_else(|| {
                    PlanError::Type(format!("Could not find field '{field}' in '{}'", base.ty))
                })?;
                Ok(Typed {
                    expr: get_field(base.expr, found.name.as_str()),
                    ty: found.ty.clone(),
                })
            }
            Expr::Subscript { base, index } => self.subscript(base, index),
            Expr::Unary { op, expr } => {
                let inner = self.compile(expr)?;
                match op {
                    UnaryOp::Not => {
                        let inner = self.boolean(inner, "NOT")?;
                        Ok(Typed {
                            expr: DfExpr::Not(Box::new(inner.expr)),
                            ty: SqlType::Boolean,
                        })
                    }
                    UnaryOp::Minus if inner.ty.is_numeric() => Ok(Typed {
                        expr: DfExpr::Negative(Box::new(inner.expr)),
                        ty: inner.ty,
                    }),
                    UnaryOp::Plus if inner.ty.is_numeric() => Ok(inner),
                    _ => Err(PlanError::Type(format!(
                        "Unary operator on a non-numeric expression of type {}: {e}",
                        inner.ty
                    ))),
                }
            }
            Expr::Binary { left, op, right } => self.binary(e, left, *op, right),
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let value = self.compile(expr)?;
                let low = self.compile(low)?;
                let high = self.compile(high)?;
                let common = comparison_type(&value.ty, &low.ty)
                    .and_then(|t| comparison_type(&t, &high.ty))
                    .ok_or_else(|| {
                        PlanError::Type(format!(
                            "Cannot compare {} ({}) to the bounds {} and {} of BETWEEN",
                            expr, value.ty, low.ty, high.ty
                        ))
                    })?;
                Ok(Typed {
                    expr: DfExpr::Between(Between::new(
                        Box::new(cast_to(value, &common)?.expr),
                        *negated,
                        Box::new(cast_to(low, &common)?.expr),
                        Box::new(cast_to(high, &common)?.expr),
                    )),
                    ty: SqlType::Boolean,
                })
            }
            Expr::InList {
                expr,
                negated,
                list,
            } => {
                let value = self.compile(expr)?;
                let items = list
                    .iter()
                    .map(|i| self.compile(i))
                    .collect::<Result<Vec<_>>>()?;
                let mut common = value.ty.clone();
                for item in &items {
                    common = comparison_type(&common, &item.ty).ok_or_else(|| {
                        PlanError::Type(format!(
                            "Invalid Predicate: operator IN: {} ({}) cannot be compared with {}",
                            expr, value.ty, item.ty
                        ))
                    })?;
                }
                let items = items
                    .into_iter()
                    .map(|i| cast_to(i, &common).map(|t| t.expr))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Typed {
                    expr: DfExpr::InList(InList::new(
                        Box::new(cast_to(value, &common)?.expr),
                        items,
                        *negated,
                    )),
                    ty: SqlType::Boolean,
                })
            }
            Expr::Like {
                expr,
                negated,
                pattern,
                escape,
            } => {
                let value = self.string(self.compile(expr)?, "LIKE")?;
                let pattern = self.string(self.compile(pattern)?, "LIKE")?;
                let (pattern, escape_char) = match escape.as_deref() {
                    None => (pattern, None),
                    Some(Expr::Literal(Literal::String(s))) if s.chars().count() == 1 => {
                        let escape = s.chars().next().unwrap_or('\\');
                        (with_backslash_escape(pattern, escape)?, Some('\\'))
                    }
                    Some(other) => {
                        return Err(PlanError::Type(format!(
                            "ESCAPE must be a single character string literal, got {other}"
                        )));
                    }
                };
                Ok(Typed {
                    expr: DfExpr::Like(Like::new(
                        *negated,
                        Box::new(value.expr),
                        Box::new(pattern.expr),
                        escape_char,
                        false,
                    )),
                    ty: SqlType::Boolean,
                })
            }
            Expr::IsNull { expr, negated } => {
                let inner = Box::new(self.compile(expr)?.expr);
                let expr = if *negated {
                    DfExpr::IsNotNull(inner)
                } else {
                    DfExpr::IsNull(inner)
                };
                Ok(Typed {
                    expr,
                    ty: SqlType::Boolean,
                })
            }
            Expr::IsDistinctFrom {
                left,
                negated,
                right,
            } => {
                let op = if *negated {
                    Operator::IsNotDistinctFrom
                } else {
                    Operator::IsDistinctFrom
                };
                let (l, r) = self.comparable(e, left, right, op_name_distinct(*negated))?;
                Ok(Typed {
                    expr: binary_expr(l, op, r),
                    ty: SqlType::Boolean,
                })
            }
            Expr::Case {
                operand,
                branches,
                else_result,
            } => self.case(operand.as_deref(), branches, else_result.as_deref()),
            Expr::Cast { expr, ty } => {
                let inner = self.compile(expr)?;
                explicit_cast(inner, ty)
            }
            Expr::Function { name, args } => {
                let args = match args {
                    FunctionArgs::Star => Vec::new(),
                    FunctionArgs::List { args, .. } => args
                        .iter()
                        .map(|a| self.compile(a))
                        .collect::<Result<Vec<_>>>()?,
                };
                self.functions.call(name.as_str(), args)
            }
            Expr::Array(items) => {
                let items = items
                    .iter()
                    .map(|i| self.compile(i))
                    .collect::<Result<Vec<_>>>()?;
                let item_ty = common_type(items.iter().map(|i| &i.ty)).ok_or_else(|| {
                    PlanError::Type(format!("Array items must all have the same type: {e}"))
                })?;
                let items = items
                    .into_iter()
                    .map(|i| cast_to(i, &item_ty).map(|t| t.expr))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Typed {
                    expr: make_array(items),
                    ty: SqlType::Array(Box::new(item_ty)),
                })
            }
            Expr::Map(entries) => {
                let keys = entries
                    .iter()
                    .map(|(k, _)| self.compile(k))
                    .collect::<Result<Vec<_>>>()?;
                let values = entries
                    .iter()
                    .map(|(_, v)| self.compile(v))
                    .collect::<Result<Vec<_>>>()?;
                let key_ty = common_type(keys.iter().map(|k| &k.ty));
                let value_ty = common_type(values.iter().map(|v| &v.ty));
                let (Some(key_ty), Some(value_ty)) = (key_ty, value_ty) else {
                    return Err(PlanError::Type(format!(
                        "Map keys and values must each have one type: {e}"
                    )));
                };
                let keys = keys
                    .into_iter()
                    .map(|k| cast_to(k, &key_ty).map(|t| t.expr))
                    .collect::<Result<Vec<_>>>()?;
                let values = values
                    .into_iter()
                    .map(|v| cast_to(v, &value_ty).map(|t| t.expr))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Typed {
                    expr: datafusion::functions_nested::map::map(keys, values),
                    ty: SqlType::Map(Box::new(key_ty), Box::new(value_ty)),
                })
            }
            Expr::Struct(fields) => {
                let mut args = Vec::with_capacity(fields.len() * 2);
                let mut types = Vec::with_capacity(fields.len());
                for (name, value) in fields {
                    let value = self.compile(value)?;
                    args.push(lit(name.as_str()));
                    args.push(value.expr);
                    types.push(StructField {
                        name: name.as_str().to_string(),
                        ty: value.ty,
                    });
                }
                Ok(Typed {
                    expr: datafusion::functions::core::named_struct().call(args),
                    ty: SqlType::Struct(types),
                })
            }
            Expr::Lambda { .. } => Err(PlanError::Unsupported(format!(
                "A lambda may only appear as an argument of TRANSFORM, REDUCE or FILTER: {e}"
            ))),
        }
    }

    fn boolean(&self, t: Typed, context: &str) -> Result<Typed> {
        if t.ty == SqlType::Boolean {
            Ok(t)
        } else {
            Err(PlanError::Type(format!(
                "{context} expects a BOOLEAN, got {}",
                t.ty
            )))
        }
    }

    fn string(&self, t: Typed, context: &str) -> Result<Typed> {
        if t.ty == SqlType::String {
            Ok(t)
        } else {
            Err(PlanError::Type(format!(
                "{context} expects a STRING, got {}",
                t.ty
            )))
        }
    }

    /// Compiles both sides of a comparison, cast to the type they are compared as.
    fn comparable(
        &self,
        whole: &Expr,
        left: &Expr,
        right: &Expr,
        op_name: &str,
    ) -> Result<(DfExpr, DfExpr)> {
        let l = self.compile(left)?;
        let r = self.compile(right)?;
        let common = comparison_type(&l.ty, &r.ty).ok_or_else(|| {
            PlanError::Type(format!(
                "Cannot compare {left} ({}) to {right} ({}) with {op_name}.\nStatement: {whole}",
                l.ty, r.ty
            ))
        })?;
        Ok((cast_to(l, &common)?.expr, cast_to(r, &common)?.expr))
    }

    fn binary(&self, whole: &Expr, left: &Expr, op: BinaryOp, right: &Expr) -> Result<Typed> {
        let df_op = match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = self.boolean(self.compile(left)?, op.symbol())?;
                let r = self.boolean(self.compile(right)?, op.symbol())?;
                let df_op = if op == BinaryOp::And {
                    Operator::And
                } else {
                    Operator::Or
                };
                return Ok(Typed {
                    expr: binary_expr(l.expr, df_op, r.expr),
                    ty: SqlType::Boolean,
                });
            }
            BinaryOp::Eq => Operator::Eq,
            BinaryOp::NotEq => Operator::NotEq,
            BinaryOp::Lt => Operator::Lt,
            BinaryOp::LtEq => Operator::LtEq,
            BinaryOp::Gt => Operator::Gt,
            BinaryOp::GtEq => Operator::GtEq,
            BinaryOp::Concat => {
                let l = self.string(self.compile(left)?, "||")?;
                let r = self.string(self.compile(right)?, "||")?;
                return Ok(Typed {
                    expr: binary_expr(l.expr, Operator::StringConcat, r.expr),
                    ty: SqlType::String,
                });
            }
            BinaryOp::Plus
            | BinaryOp::Minus
            | BinaryOp::Multiply
            | BinaryOp::Divide
            | BinaryOp::Modulo => {
                let l = self.compile(left)?;
                let r = self.compile(right)?;
                if op == BinaryOp::Plus && l.ty == SqlType::String && r.ty == SqlType::String {
                    return Ok(Typed {
                        expr: binary_expr(l.expr, Operator::StringConcat, r.expr),
                        ty: SqlType::String,
                    });
                }
                let ty = arithmetic_result(op, &l.ty, &r.ty)?;
                let df_op = match op {
                    BinaryOp::Plus => Operator::Plus,
                    BinaryOp::Minus => Operator::Minus,
                    BinaryOp::Multiply => Operator::Multiply,
                    BinaryOp::Divide => Operator::Divide,
                    _ => Operator::Modulo,
                };
                // Operands are brought to the result type first (DECIMAL operands keep
                // their own precision so the result's digits are exact).
                let operand_ty = match &ty {
                    SqlType::Decimal { .. } => None,
                    other => Some(other.clone()),
                };
                let expr = match operand_ty {
                    Some(t) => binary_expr(cast_to(l, &t)?.expr, df_op, cast_to(r, &t)?.expr),
                    // DataFusion's decimal result type may differ from ksqlDB's.
                    None => force_cast(
                        binary_expr(decimal_operand(l)?, df_op, decimal_operand(r)?),
                        &ty,
                    )?,
                };
                return Ok(Typed { expr, ty });
            }
        };
        if matches!(left, Expr::Literal(Literal::Null))
            && matches!(right, Expr::Literal(Literal::Null))
        {
            return Err(PlanError::Type(format!(
                "Comparison with NULL not supported: NULL {} NULL",
                op.symbol()
            )));
        }
        let (l, r) = self.comparable(whole, left, right, comparison_name(op))?;
        // ksqlDB compares NULL with anything as false, never as NULL.
        Ok(Typed {
            expr: DfExpr::IsTrue(Box::new(binary_expr(l, df_op, r))),
            ty: SqlType::Boolean,
        })
    }

    fn subscript(&self, base: &Expr, index: &Expr) -> Result<Typed> {
        let base_t = self.compile(base)?;
        let index_t = self.compile(index)?;
        match &base_t.ty {
            SqlType::Array(item) => {
                if !matches!(index_t.ty, SqlType::Int | SqlType::BigInt) {
                    return Err(PlanError::Type(format!(
                        "Array index must be an INT or BIGINT, got {}",
                        index_t.ty
                    )));
                }
                let index = cast_to(index_t, &SqlType::BigInt)?;
                Ok(Typed {
                    expr: array_element(base_t.expr, index.expr),
                    ty: (**item).clone(),
                })
            }
            SqlType::Map(key, value) => {
                let key_ty = (**key).clone();
                let index = cast_to(index_t, &key_ty)?;
                Ok(Typed {
                    expr: datafusion::functions::core::get_field()
                        .call(vec![base_t.expr, index.expr]),
                    ty: (**value).clone(),
                })
            }
            other => Err(PlanError::Type(format!(
                "Subscripts apply to arrays and maps, not to {base} of type {other}"
            ))),
        }
    }

    fn case(
        &self,
        operand: Option<&Expr>,
        branches: &[crate::sql::ast::WhenThen],
        else_result: Option<&Expr>,
    ) -> Result<Typed> {
        let is_null = |e: &Expr| matches!(e, Expr::Literal(Literal::Null));
        if branches.iter().all(|b| is_null(&b.then)) && else_result.is_none_or(is_null) {
            return Err(PlanError::Type(
                "Invalid Case expression. All case branches have NULL type".into(),
            ));
        }
        let operand = operand.map(|o| self.compile(o)).transpose()?;
        let mut whens = Vec::with_capacity(branches.len());
        let mut thens = Vec::with_capacity(branches.len());
        for branch in branches {
            let when = self.compile(&branch.when)?;
            let when = match &operand {
                Some(o) => {
                    let common = comparison_type(&o.ty, &when.ty).ok_or_else(|| {
                        PlanError::Type(format!(
                            "CASE operand of type {} cannot be compared with WHEN {} ({})",
                            o.ty, branch.when, when.ty
                        ))
                    })?;
                    Typed {
                        expr: binary_expr(
                            cast_to(o.clone(), &common)?.expr,
                            Operator::Eq,
                            cast_to(when, &common)?.expr,
                        ),
                        ty: SqlType::Boolean,
                    }
                }
                None => self.boolean(when, "WHEN")?,
            };
            whens.push(when.expr);
            thens.push(self.compile(&branch.then)?);
        }
        let else_t = else_result.map(|e| self.compile(e)).transpose()?;
        // An untyped NULL branch takes the type of the others, as in ksqlDB.
        let typed_thens = branches
            .iter()
            .zip(&thens)
            .filter(|(b, _)| !is_null(&b.then))
            .map(|(_, t)| &t.ty);
        let typed_else = else_result
            .zip(else_t.as_ref())
            .filter(|(e, _)| !is_null(e))
            .map(|(_, t)| &t.ty);
        let result_ty = common_type(typed_thens.chain(typed_else)).ok_or_else(|| {
            PlanError::Type(
                "Invalid Case expression. Type for all 'THEN' clauses should be the same.".into(),
            )
        })?;
        let when_then = whens
            .into_iter()
            .zip(thens)
            .map(|(w, t)| Ok((Box::new(w), Box::new(cast_to(t, &result_ty)?.expr))))
            .collect::<Result<Vec<_>>>()?;
        let else_expr = else_t
            .map(|e| cast_to(e, &result_ty).map(|t| Box::new(t.expr)))
            .transpose()?;
        Ok(Typed {
            expr: DfExpr::Case(Case::new(None, when_then, else_expr)),
            ty: result_ty,
        })
    }
}

/// DataFusion only knows `\\` as LIKE's escape character: rewrites a pattern written
/// with another escape character into that form (a literal now, any other per row).
fn with_backslash_escape(pattern: Typed, escape: char) -> Result<Typed> {
    if escape == '\\' {
        return Ok(pattern);
    }
    let expr = match &pattern.expr {
        DfExpr::Literal(ScalarValue::Utf8(Some(text)), _) => {
            lit(rewrite_like_pattern(text, escape))
        }
        _ => like_pattern_with_escape(pattern.expr, escape),
    };
    Ok(Typed {
        expr,
        ty: SqlType::String,
    })
}

fn op_name_distinct(negated: bool) -> &'static str {
    if negated {
        "IS_NOT_DISTINCT_FROM"
    } else {
        "IS_DISTINCT_FROM"
    }
}

/// An operand of decimal arithmetic: whole numbers become the DECIMAL they widen to.
fn decimal_operand(t: Typed) -> Result<DfExpr> {
    let target = match t.ty {
        SqlType::Int => SqlType::decimal(10, 0),
        SqlType::BigInt => SqlType::decimal(19, 0),
        _ => return Ok(t.expr),
    };
    Ok(cast_to(t, &target)?.expr)
}

fn force_cast(expr: DfExpr, ty: &SqlType) -> Result<DfExpr> {
    Ok(DfExpr::Cast(Cast::new(Box::new(expr), arrow_type(ty)?)))
}

fn find_field<'f>(fields: &'f [StructField], name: &str) -> Option<&'f StructField> {
    fields
        .iter()
        .find(|f| f.name == name)
        .or_else(|| fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)))
}

/// The type every item can be brought to (numbers widen), or `None`.
fn common_type<'t>(types: impl Iterator<Item = &'t SqlType>) -> Option<SqlType> {
    let mut common: Option<SqlType> = None;
    for ty in types {
        common = Some(match common {
            None => ty.clone(),
            Some(c) if c == *ty => c,
            Some(c) if c.is_numeric() && ty.is_numeric() => comparison_type(&c, ty)?,
            Some(_) => return None,
        });
    }
    common
}

#[cfg(test)]
#[path = "expr_tests.rs"]
mod tests;

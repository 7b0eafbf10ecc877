//! Table functions (EXPLODE, CUBE_EXPLODE) in a SELECT list, lifted out of the projection.
//!
//! Each distinct table function call becomes a column `KSQL_TF_<i>` of the *expanded
//! scope* (the source scope plus one column per call): the operator evaluates the calls'
//! arguments per source row, emits one expanded row per produced element (several calls
//! zip to the longest, shorter ones padded with NULL, as ksqlDB does), and the lifted
//! projection is compiled over the expanded scope like any stateless expression.

use std::sync::Arc;

use super::error::{PlanError, Result};
use super::expr::{ExprCompiler, Typed};
use super::rewrite::rewrite;
use super::scope::{Scope, ScopeColumn};
use crate::functions::table::TableFunction;
use crate::sql::SqlType;
use crate::sql::ast::{Expr, FunctionArgs, Query, SelectItem};

/// One table function call of a SELECT list.
#[derive(Debug, Clone)]
pub struct TableFunctionCall {
    pub function: Arc<TableFunction>,
    /// Over the source scope.
    pub args: Vec<Typed>,
    /// The type of each produced value.
    pub ty: SqlType,
}

/// The table functions of a SELECT list and the scope its projection reads.
#[derive(Debug, Clone)]
pub struct TableFunctionPlan {
    pub calls: Vec<TableFunctionCall>,
    /// The source scope plus one column per call, in call order.
    pub scope: Scope,
}

/// The expanded scope's name for table function call `i`.
fn call_column(i: usize) -> String {
    format!("KSQL_TF_{i}")
}

/// Collects the table function calls of a SELECT list and rewrites expressions to read
/// their columns instead.
pub struct TableFunctionLifter<'a> {
    compiler: &'a ExprCompiler<'a>,
    calls: Vec<(Expr, TableFunctionCall)>,
}

impl<'a> TableFunctionLifter<'a> {
    pub fn new(compiler: &'a ExprCompiler<'a>) -> Self {
        TableFunctionLifter {
            compiler,
            calls: Vec::new(),
        }
    }

    /// Whether the SELECT list of `query` calls a table function.
    pub fn has_table_functions(query: &Query, compiler: &ExprCompiler<'_>) -> bool {
        query.select.iter().any(|item| match item {
            SelectItem::Expr { expr, .. } => {
                let mut found = false;
                let _ = rewrite::<()>(expr, &mut |e| {
                    if let Expr::Function { name, .. } = e {
                        found |= compiler.functions.table_function(name.as_str()).is_some();
                    }
                    Ok(None)
                });
                found
            }
            _ => false,
        })
    }

    /// `expr` with each table function call replaced by its column, registering calls
    /// not seen before.
    pub fn lift(&mut self, expr: &Expr) -> Result<Expr> {
        rewrite(expr, &mut |e| {
            let Expr::Function { name, args } = e else {
                return Ok(None);
            };
            let Some(function) = self.compiler.functions.table_function(name.as_str()) else {
                return Ok(None);
            };
            if let Some(i) = self.calls.iter().position(|(seen, _)| seen == e) {
                return Ok(Some(Expr::column(&call_column(i))));
            }
            let args: &[Expr] = match args {
                FunctionArgs::Star => &[],
                FunctionArgs::List { args, .. } => args,
            };
            // A nested table function fails here: the compiler refuses it as an argument.
            let args = args
                .iter()
                .map(|a| self.compiler.compile(a))
                .collect::<Result<Vec<_>>>()?;
            let types: Vec<SqlType> = args.iter().map(|a| a.ty.clone()).collect();
            let ty = function
                .return_type(&types)
                .map_err(|e| PlanError::Type(e.to_string()))?;
            self.calls
                .push((e.clone(), TableFunctionCall { function, args, ty }));
            Ok(Some(Expr::column(&call_column(self.calls.len() - 1))))
        })
    }

    /// The source scope plus a column per call registered so far.
    pub fn expanded_scope(&self, source: &Scope) -> Scope {
        let mut columns = source.columns.clone();
        columns.extend(
            self.calls
                .iter()
                .enumerate()
                .map(|(i, (_, call))| ScopeColumn {
                    qualifier: None,
                    name: call_column(i),
                    ty: call.ty.clone(),
                }),
        );
        Scope::new(columns)
    }

    pub fn into_calls(self) -> Vec<TableFunctionCall> {
        self.calls.into_iter().map(|(_, call)| call).collect()
    }
}

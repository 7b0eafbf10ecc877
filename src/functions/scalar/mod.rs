//! ksqlDB's scalar functions as DataFusion `ScalarUDF`s, with ksqlDB's typing rules.
//!
//! Every function is a [`ScalarFunction`]: its metadata, a rule that gives the ksqlDB
//! return type for argument SQL types (or rejects them), and a vectorised evaluator
//! wrapped as a DataFusion [`ScalarUDF`] (see [`udf::KsqlUdf`]).

pub mod cast;
pub mod collections;
pub mod datetime;
pub mod java_format;
pub mod json;
pub mod like_escape;
pub mod mask;
pub mod math;
pub mod nulls;
pub mod regexp;
pub mod rounding;
pub mod string;
pub mod udf;

use std::sync::Arc;

use datafusion::logical_expr::{ScalarUDF, Volatility};

use crate::sql::SqlType;

use super::error::Result;
use super::metadata::FunctionMeta;
use udf::{EvalFn, KsqlUdf, ResolveFn};

/// One scalar function: what it is called, how it types, and how DataFusion runs it.
#[derive(Debug)]
pub struct ScalarFunction {
    pub meta: FunctionMeta,
    resolve: ResolveFn,
    udf: Arc<ScalarUDF>,
}

impl ScalarFunction {
    pub(crate) fn new(meta: FunctionMeta, resolve: ResolveFn, eval: EvalFn) -> Self {
        Self::with_volatility(meta, resolve, eval, Volatility::Immutable)
    }

    pub(crate) fn with_volatility(
        meta: FunctionMeta,
        resolve: ResolveFn,
        eval: EvalFn,
        volatility: Volatility,
    ) -> Self {
        let udf = KsqlUdf::new(meta.name, resolve, eval, volatility);
        ScalarFunction {
            meta,
            resolve,
            udf: Arc::new(ScalarUDF::new_from_impl(udf)),
        }
    }

    /// A function whose DataFusion UDF is its own implementation (one that keeps state).
    pub(crate) fn with_udf(meta: FunctionMeta, resolve: ResolveFn, udf: ScalarUDF) -> Self {
        ScalarFunction {
            meta,
            resolve,
            udf: Arc::new(udf),
        }
    }

    /// The DataFusion UDF that evaluates this function (`udf.call(args)` builds an `Expr`).
    pub fn udf(&self) -> Arc<ScalarUDF> {
        Arc::clone(&self.udf)
    }

    /// The ksqlDB return type for these argument types, or ksqlDB's
    /// "does not accept parameters" error.
    pub fn return_type(&self, args: &[SqlType]) -> Result<SqlType> {
        (self.resolve)(args).ok_or_else(|| self.meta.invalid_arguments(args))
    }

    /// As [`Self::return_type`], where `None` marks an untyped `NULL` literal argument:
    /// it takes the first type (of the other arguments, then common ones) that resolves.
    pub fn return_type_with_nulls(
        &self,
        args: &[Option<SqlType>],
    ) -> Result<(SqlType, Vec<SqlType>)> {
        match udf::fill_null_arguments(self.resolve, args) {
            Some(found) => Ok(found),
            None => {
                let shown: Vec<SqlType> = args
                    .iter()
                    .map(|a| a.clone().unwrap_or(SqlType::String))
                    .collect();
                Err(self.meta.invalid_arguments(&shown))
            }
        }
    }
}

/// Every built-in scalar function.
pub fn builtins() -> Vec<ScalarFunction> {
    let mut all = Vec::new();
    all.extend(math::functions());
    all.extend(string::functions());
    all.extend(regexp::functions());
    all.extend(mask::functions());
    all.extend(nulls::functions());
    all.extend(datetime::functions());
    all.extend(collections::functions());
    all.extend(json::functions());
    all
}

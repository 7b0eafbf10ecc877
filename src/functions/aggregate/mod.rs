//! ksqlDB's aggregate functions for the streaming engine: per-group state that can add,
//! retract (aggregation over a TABLE), merge (session windows) and persist itself.
//!
//! The engine resolves a call with [`AggregateFunction::spec`] (argument SQL types plus
//! the values of trailing literal parameters, such as TOPK's k), creates one state per
//! group with [`AggregateFunction::create`], feeds it rows (`add`/`retract`, or the
//! batch forms with the row indices of one group), and reads `result()`. `to_bytes` /
//! [`AggregateFunction::restore`] carry the state through a changelog topic.

pub mod basic;
pub mod codec;
pub mod collect;
pub mod extremes;
pub mod offset;
mod state_helpers;
pub mod stats;

use std::any::Any;
use std::fmt::Debug;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use crate::sql::SqlType;

use self::codec::StateWriter;
use super::error::{FunctionError, Result};
use super::metadata::FunctionMeta;

/// The running state of one aggregate for one group (and window).
pub trait AggregateState: Debug + Send {
    /// Folds in one input row; `args` are the values of the column arguments.
    fn add(&mut self, args: &[ScalarValue]) -> Result<()>;

    /// Removes a row added before (a TABLE row replaced or deleted).
    fn retract(&mut self, args: &[ScalarValue]) -> Result<()>;

    /// Folds in another state of the same function and spec (merging session windows);
    /// `other` holds the later rows.
    fn merge(&mut self, other: &dyn AggregateState) -> Result<()>;

    /// The current value, of the spec's return type.
    fn result(&self) -> Result<ScalarValue>;

    /// The state as bytes; [`AggregateFunction::restore`] reads them back.
    fn to_bytes(&self) -> Result<Vec<u8>>;

    /// Appends `to_bytes()` length-prefixed, as `StateWriter::bytes` would. States on
    /// the hot path override it to write in place instead of allocating a buffer.
    fn write_to(&self, out: &mut StateWriter) -> Result<()> {
        out.bytes(&self.to_bytes()?)
            .map_err(|e| FunctionError::evaluation("aggregate", e))
    }

    /// For `merge`: the concrete state behind the trait object.
    fn as_any(&self) -> &dyn Any;

    /// Adds the given rows of argument arrays, in order.
    fn add_rows(&mut self, args: &[ArrayRef], rows: &[usize]) -> Result<()> {
        for_each_row(args, rows, |row| self.add(row))
    }

    /// Retracts the given rows of argument arrays, in order.
    fn retract_rows(&mut self, args: &[ArrayRef], rows: &[usize]) -> Result<()> {
        for_each_row(args, rows, |row| self.retract(row))
    }
}

/// Calls `f` with the scalar values of each listed row.
pub(crate) fn for_each_row(
    args: &[ArrayRef],
    rows: &[usize],
    mut f: impl FnMut(&[ScalarValue]) -> Result<()>,
) -> Result<()> {
    let mut row = Vec::with_capacity(args.len());
    for &i in rows {
        row.clear();
        for array in args {
            if i >= array.len() {
                return Err(FunctionError::evaluation(
                    "aggregate",
                    format!("row {i} is outside a batch of {} rows (a bug)", array.len()),
                ));
            }
            row.push(ScalarValue::try_from_array(array, i)?);
        }
        f(&row)?;
    }
    Ok(())
}

/// A resolved call of an aggregate: everything a state needs to be created or restored.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateSpec {
    pub name: &'static str,
    /// SQL types of the column arguments (evaluated per row).
    pub arg_types: Vec<SqlType>,
    /// Values of the trailing literal parameters (TOPK's k, LATEST_BY_OFFSET's n, ...).
    pub params: Vec<ScalarValue>,
    pub return_type: SqlType,
    /// The Arrow type of `return_type`.
    pub arrow_return_type: DataType,
    /// The Arrow types of the column arguments.
    pub arrow_arg_types: Vec<DataType>,
}

impl AggregateSpec {
    pub(crate) fn param(&self, index: usize) -> Option<&ScalarValue> {
        self.params.get(index)
    }

    pub(crate) fn corrupt(&self, message: impl Into<String>) -> FunctionError {
        FunctionError::corrupt(self.name, message)
    }

    pub(crate) fn arg_arrow_type(&self, index: usize) -> &DataType {
        self.arrow_arg_types.get(index).unwrap_or(&DataType::Null)
    }
}

/// Gives the return type for column argument types and literal parameters.
pub type AggregateResolveFn = fn(&[SqlType], &[ScalarValue]) -> Option<SqlType>;
/// Creates an empty state.
pub type CreateFn = fn(&AggregateSpec) -> Result<Box<dyn AggregateState>>;
/// Rebuilds a state from `to_bytes` output.
pub type RestoreFn = fn(&AggregateSpec, &[u8]) -> Result<Box<dyn AggregateState>>;

/// One aggregate function of the library.
#[derive(Debug)]
pub struct AggregateFunction {
    pub meta: FunctionMeta,
    /// Whether `retract` works, so the function may aggregate a TABLE.
    pub supports_retract: bool,
    resolve: AggregateResolveFn,
    create: CreateFn,
    restore: RestoreFn,
}

impl AggregateFunction {
    pub(crate) fn new(
        meta: FunctionMeta,
        supports_retract: bool,
        resolve: AggregateResolveFn,
        create: CreateFn,
        restore: RestoreFn,
    ) -> Self {
        AggregateFunction {
            meta,
            supports_retract,
            resolve,
            create,
            restore,
        }
    }

    /// Resolves a call: `arg_types` are the column arguments, `params` the values of the
    /// trailing literal arguments. Fails with ksqlDB's message for wrong types.
    pub fn spec(&self, arg_types: &[SqlType], params: &[ScalarValue]) -> Result<AggregateSpec> {
        let rejected = || {
            let mut shown = arg_types.to_vec();
            shown.extend(
                params
                    .iter()
                    .filter_map(|p| SqlType::from_arrow(&p.data_type())),
            );
            self.meta.invalid_arguments(&shown)
        };
        let return_type = (self.resolve)(arg_types, params).ok_or_else(rejected)?;
        let arrow_return_type = return_type.to_arrow().ok_or_else(rejected)?;
        let arrow_arg_types = arg_types
            .iter()
            .map(SqlType::to_arrow)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(rejected)?;
        let spec = AggregateSpec {
            name: self.meta.name,
            arg_types: arg_types.to_vec(),
            params: params.to_vec(),
            return_type,
            arrow_return_type,
            arrow_arg_types,
        };
        // Creating validates the parameters (k > 0, ...) once, at planning time.
        (self.create)(&spec)?;
        Ok(spec)
    }

    /// A new, empty state for one group.
    pub fn create(&self, spec: &AggregateSpec) -> Result<Box<dyn AggregateState>> {
        (self.create)(spec)
    }

    /// A state rebuilt from `AggregateState::to_bytes`.
    pub fn restore(&self, spec: &AggregateSpec, bytes: &[u8]) -> Result<Box<dyn AggregateState>> {
        (self.restore)(spec, bytes)
    }
}

/// Downcasts the `other` of a merge, with an error (not a panic) on a mismatch.
pub(crate) fn same_state<'a, T: 'static>(
    name: &str,
    other: &'a dyn AggregateState,
) -> Result<&'a T> {
    other.as_any().downcast_ref::<T>().ok_or_else(|| {
        FunctionError::evaluation(name, "cannot merge states of different aggregates (a bug)")
    })
}

/// Every built-in aggregate function.
pub fn builtins() -> Vec<AggregateFunction> {
    let mut all = Vec::new();
    all.extend(basic::functions());
    all.extend(extremes::functions());
    all.extend(collect::functions());
    all.extend(offset::functions());
    all.extend(stats::functions());
    all
}

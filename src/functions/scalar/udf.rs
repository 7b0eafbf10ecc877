//! The one `ScalarUDFImpl` behind every ksqlDB scalar function, and row-wise helpers.

use std::hash::{Hash, Hasher};

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

use crate::sql::SqlType;

use crate::functions::values::scalars_to_array;

/// Gives the ksqlDB return type for argument SQL types; `None` rejects them.
pub type ResolveFn = fn(&[SqlType]) -> Option<SqlType>;

/// Evaluates a function over argument arrays of `rows` rows, producing `return_type`.
pub type EvalFn = fn(&[ArrayRef], &DataType, usize) -> DFResult<ArrayRef>;

/// A DataFusion scalar UDF driven by a ksqlDB resolve rule and an evaluator.
#[derive(Debug)]
pub struct KsqlUdf {
    name: String,
    signature: Signature,
    resolve: ResolveFn,
    eval: EvalFn,
}

impl KsqlUdf {
    pub fn new(name: &str, resolve: ResolveFn, eval: EvalFn, volatility: Volatility) -> Self {
        KsqlUdf {
            name: name.to_lowercase(),
            // Types are checked by `resolve` (ksqlDB's rules), not by DataFusion's coercion.
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                volatility,
            ),
            resolve,
            eval,
        }
    }
}

// Names are unique in the registry, so they identify the implementation.
impl PartialEq for KsqlUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for KsqlUdf {}

impl Hash for KsqlUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl KsqlUdf {
    /// The ksqlDB return type for these Arrow argument types, or the planning error.
    fn check_arguments(&self, arg_types: &[DataType]) -> DFResult<SqlType> {
        let args: Vec<Option<SqlType>> = arg_types
            .iter()
            .map(|t| match t {
                DataType::Null => Ok(None),
                other => SqlType::from_arrow(other).map(Some).ok_or_else(|| {
                    DataFusionError::Plan(format!(
                        "Function '{}' does not accept an argument of Arrow type {other}",
                        self.name
                    ))
                }),
            })
            .collect::<DFResult<_>>()?;
        let (ty, _) = fill_null_arguments(self.resolve, &args).ok_or_else(|| {
            let shown: Vec<String> = args
                .iter()
                .map(|a| a.as_ref().map_or("NULL".to_string(), ToString::to_string))
                .collect();
            DataFusionError::Plan(format!(
                "Function '{}' does not accept parameters ({}).",
                self.name,
                shown.join(", ")
            ))
        })?;
        Ok(ty)
    }
}

impl ScalarUDFImpl for KsqlUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> DFResult<DataType> {
        let ty = self.check_arguments(arg_types)?;
        ty.to_arrow().ok_or_else(|| {
            DataFusionError::Internal(format!(
                "return type {ty} of {} has no Arrow type",
                self.name
            ))
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        if args.number_rows == 0 {
            // A CASE branch no row takes: evaluating constants here could fail spuriously.
            return Ok(ColumnarValue::Array(arrow::array::new_empty_array(
                args.return_field.data_type(),
            )));
        }
        let rows = if all_scalar && !args.args.is_empty() {
            1
        } else {
            args.number_rows
        };
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<DFResult<Vec<_>>>()?;
        // Evaluators index their arguments by position; re-checking here means a call
        // that bypassed planning fails cleanly instead of reaching them.
        let types: Vec<DataType> = arrays.iter().map(|a| a.data_type().clone()).collect();
        self.check_arguments(&types)?;
        let out = (self.eval)(&arrays, args.return_field.data_type(), rows)?;
        if all_scalar && !args.args.is_empty() {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// Resolves with untyped NULL arguments: tries the other arguments' types, then common
/// types, for all NULLs at once. Returns the return type and the argument types used.
pub(crate) fn fill_null_arguments(
    resolve: ResolveFn,
    args: &[Option<SqlType>],
) -> Option<(SqlType, Vec<SqlType>)> {
    let mut candidates: Vec<SqlType> = args.iter().flatten().cloned().collect();
    candidates.extend([
        SqlType::String,
        SqlType::Int,
        SqlType::BigInt,
        SqlType::Double,
        SqlType::Boolean,
        SqlType::Bytes,
    ]);
    if args.iter().all(Option::is_some) {
        let types: Vec<SqlType> = args.iter().flatten().cloned().collect();
        return resolve(&types).map(|ty| (ty, types));
    }
    candidates.into_iter().find_map(|candidate| {
        let types: Vec<SqlType> = args
            .iter()
            .map(|a| a.clone().unwrap_or_else(|| candidate.clone()))
            .collect();
        resolve(&types).map(|ty| (ty, types))
    })
}

/// Evaluates `f` row by row over `ScalarValue`s; for functions whose cost is dominated
/// by their own work (parsing, formatting, collections), not by the per-row dispatch.
pub(crate) fn map_rows(
    args: &[ArrayRef],
    return_type: &DataType,
    rows: usize,
    mut f: impl FnMut(&[ScalarValue]) -> DFResult<ScalarValue>,
) -> DFResult<ArrayRef> {
    let mut out = Vec::with_capacity(rows);
    let mut row = Vec::with_capacity(args.len());
    for i in 0..rows {
        row.clear();
        for array in args {
            row.push(ScalarValue::try_from_array(array, i)?);
        }
        out.push(f(&row)?);
    }
    scalars_to_array(out, return_type)
}

/// True when any argument of the row is null (most functions then return null).
pub(crate) fn any_null(row: &[ScalarValue]) -> bool {
    row.iter().any(ScalarValue::is_null)
}

#[cfg(test)]
pub(crate) mod tests_support {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, AsArray, Int32Array, StringArray};
    use arrow::datatypes::Field;
    use datafusion::config::ConfigOptions;
    use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

    use crate::functions::scalar::ScalarFunction;
    use crate::sql::SqlType;

    /// Runs a scalar function through its DataFusion UDF, as the engine will.
    pub(crate) fn invoke(
        function: &ScalarFunction,
        args: Vec<ArrayRef>,
        ret: &SqlType,
        rows: usize,
    ) -> ArrayRef {
        let arg_fields = args
            .iter()
            .map(|a| Arc::new(Field::new("arg", a.data_type().clone(), true)))
            .collect();
        let return_type = ret.to_arrow().expect("resolved type");
        let udf = function.udf();
        let result = udf
            .invoke_with_args(ScalarFunctionArgs {
                args: args.into_iter().map(ColumnarValue::Array).collect(),
                arg_fields,
                number_rows: rows,
                return_field: Arc::new(Field::new("out", return_type, true)),
                config_options: Arc::new(ConfigOptions::default()),
            })
            .expect("function evaluates");
        result.to_array(rows).expect("array result")
    }

    /// The function called `name` among `functions`.
    pub(crate) fn find(functions: Vec<ScalarFunction>, name: &str) -> ScalarFunction {
        functions
            .into_iter()
            .find(|f| f.meta.name == name)
            .expect("function exists")
    }

    /// Resolves `name` among `functions` for argument `types` and runs it over `args`
    /// (as many rows as the first argument has).
    pub(crate) fn call(
        functions: Vec<ScalarFunction>,
        name: &str,
        args: Vec<ArrayRef>,
        types: &[SqlType],
    ) -> ArrayRef {
        let function = find(functions, name);
        let ret = function.return_type(types).expect("types resolve");
        let rows = args.first().map_or(1, |a| a.len());
        invoke(&function, args, &ret, rows)
    }

    pub(crate) fn strings(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    pub(crate) fn ints(values: &[Option<i32>]) -> ArrayRef {
        Arc::new(Int32Array::from(values.to_vec()))
    }

    /// A STRING result's values.
    pub(crate) fn texts(array: &ArrayRef) -> Vec<Option<String>> {
        array
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(str::to_string))
            .collect()
    }
}

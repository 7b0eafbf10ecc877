//! Mathematical functions: ABS, ROUND, TRUNC, CEIL, FLOOR, SIGN, powers, logarithms,
//! trigonometry, GREATEST/LEAST and RANDOM.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, Float64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int32Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;
use datafusion::logical_expr::Volatility;

use crate::functions::error::exec_error;
use crate::functions::metadata::{FunctionMeta, common_type_of, is_comparable, is_integral};
use crate::functions::values::as_f64;
use crate::sql::SqlType;

use super::ScalarFunction;
use super::rounding::{RoundMode, round_decimal, round_f64};
use super::udf::map_rows;

const CATEGORY: &str = "MATHEMATICAL";

/// The math functions.
pub fn functions() -> Vec<ScalarFunction> {
    let mut all = vec![
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ABS",
                "The absolute value of a value.",
                &[
                    "ABS(INTEGER val)",
                    "ABS(BIGINT val)",
                    "ABS(DOUBLE val)",
                    "ABS(DECIMAL val)",
                ],
            ),
            same_numeric,
            eval_abs,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "CEIL",
                "The smallest integral value not less than the argument.",
                &[
                    "CEIL(INTEGER val)",
                    "CEIL(BIGINT val)",
                    "CEIL(DOUBLE val)",
                    "CEIL(DECIMAL val)",
                ],
            ),
            same_numeric,
            eval_ceil,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "FLOOR",
                "The largest integral value not greater than the argument.",
                &[
                    "FLOOR(INTEGER val)",
                    "FLOOR(BIGINT val)",
                    "FLOOR(DOUBLE val)",
                    "FLOOR(DECIMAL val)",
                ],
            ),
            same_numeric,
            eval_floor,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ROUND",
                "Rounds a value to the given number of decimal places (half up; ties of negative values toward zero).",
                &[
                    "ROUND(INTEGER val)",
                    "ROUND(BIGINT val)",
                    "ROUND(DOUBLE val)",
                    "ROUND(DECIMAL val)",
                    "ROUND(DOUBLE val, INTEGER decimalPlaces)",
                    "ROUND(DECIMAL val, INTEGER decimalPlaces)",
                ],
            ),
            resolve_round,
            eval_round,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "TRUNC",
                "Truncates a value toward zero to the given number of decimal places.",
                &[
                    "TRUNC(INTEGER val)",
                    "TRUNC(BIGINT val)",
                    "TRUNC(DOUBLE val)",
                    "TRUNC(DECIMAL val)",
                    "TRUNC(DOUBLE val, INTEGER decimalPlaces)",
                    "TRUNC(DECIMAL val, INTEGER decimalPlaces)",
                ],
            ),
            resolve_round,
            eval_trunc,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "SIGN",
                "The sign of a value: -1, 0 or 1.",
                &[
                    "SIGN(INTEGER val)",
                    "SIGN(BIGINT val)",
                    "SIGN(DOUBLE val)",
                    "SIGN(DECIMAL val)",
                ],
            ),
            |args| matches!(args, [t] if t.is_numeric()).then_some(SqlType::Int),
            eval_sign,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "LOG",
                "The natural logarithm of a value, or its logarithm in the given base.",
                &["LOG(DOUBLE value)", "LOG(DOUBLE base, DOUBLE value)"],
            ),
            |args| match args {
                [v] if v.is_numeric() => Some(SqlType::Double),
                [b, v] if b.is_numeric() && v.is_numeric() => Some(SqlType::Double),
                _ => None,
            },
            eval_log,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "POWER",
                "A base raised to an exponent.",
                &["POWER(DOUBLE base, DOUBLE exponent)"],
            ),
            binary_double,
            |args, _, rows| binary_f64(args, rows, f64::powf),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "ATAN2",
                "The angle of the point (x, y) from the positive x axis.",
                &["ATAN2(DOUBLE y, DOUBLE x)"],
            ),
            binary_double,
            |args, _, rows| binary_f64(args, rows, f64::atan2),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(CATEGORY, "PI", "The value of pi.", &["PI()"]),
            |args| args.is_empty().then_some(SqlType::Double),
            |_, _, rows| {
                Ok(Arc::new(Float64Array::from(vec![std::f64::consts::PI; rows])) as ArrayRef)
            },
        ),
        ScalarFunction::with_volatility(
            FunctionMeta::scalar(
                CATEGORY,
                "RANDOM",
                "A random DOUBLE in [0.0, 1.0).",
                &["RANDOM()"],
            ),
            |args| args.is_empty().then_some(SqlType::Double),
            eval_random,
            Volatility::Volatile,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "GREATEST",
                "The largest non-null argument.",
                &["GREATEST(T val, T... vals)"],
            ),
            resolve_extreme,
            |args, ret, rows| eval_extreme(args, ret, rows, std::cmp::Ordering::Greater),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "LEAST",
                "The smallest non-null argument.",
                &["LEAST(T val, T... vals)"],
            ),
            resolve_extreme,
            |args, ret, rows| eval_extreme(args, ret, rows, std::cmp::Ordering::Less),
        ),
    ];
    macro_rules! unary_double {
        ($name:literal, $description:literal, $f:expr) => {
            ScalarFunction::new(
                FunctionMeta::scalar(
                    CATEGORY,
                    $name,
                    $description,
                    &[concat!($name, "(DOUBLE value)")],
                ),
                unary_numeric_to_double,
                |args, _, _| unary_f64(args, $f),
            )
        };
    }
    all.extend([
        unary_double!("SQRT", "The square root of a value.", f64::sqrt),
        unary_double!("CBRT", "The cube root of a value.", f64::cbrt),
        unary_double!("EXP", "e raised to the power of a value.", f64::exp),
        unary_double!("LN", "The natural logarithm of a value.", f64::ln),
        unary_double!("SIN", "The sine of an angle in radians.", f64::sin),
        unary_double!("COS", "The cosine of an angle in radians.", f64::cos),
        unary_double!("TAN", "The tangent of an angle in radians.", f64::tan),
        unary_double!("COT", "The cotangent of an angle in radians.", |x: f64| 1.0
            / x.tan()),
        unary_double!("ASIN", "The arc sine of a value, in radians.", f64::asin),
        unary_double!("ACOS", "The arc cosine of a value, in radians.", f64::acos),
        unary_double!("ATAN", "The arc tangent of a value, in radians.", f64::atan),
        unary_double!("SINH", "The hyperbolic sine of a value.", f64::sinh),
        unary_double!("COSH", "The hyperbolic cosine of a value.", f64::cosh),
        unary_double!("TANH", "The hyperbolic tangent of a value.", f64::tanh),
        unary_double!("DEGREES", "Converts radians to degrees.", f64::to_degrees),
        unary_double!("RADIANS", "Converts degrees to radians.", f64::to_radians),
    ]);
    all
}

fn same_numeric(args: &[SqlType]) -> Option<SqlType> {
    match args {
        [t] if t.is_numeric() => Some(t.clone()),
        _ => None,
    }
}

fn unary_numeric_to_double(args: &[SqlType]) -> Option<SqlType> {
    matches!(args, [t] if t.is_numeric()).then_some(SqlType::Double)
}

fn binary_double(args: &[SqlType]) -> Option<SqlType> {
    matches!(args, [a, b] if a.is_numeric() && b.is_numeric()).then_some(SqlType::Double)
}

fn resolve_round(args: &[SqlType]) -> Option<SqlType> {
    match args {
        [SqlType::Double] => Some(SqlType::BigInt),
        [SqlType::Decimal { precision, scale }] => {
            Some(SqlType::decimal(precision.saturating_sub(*scale).max(1), 0))
        }
        [t] if is_integral(t) => Some(t.clone()),
        [t, places] if t.is_numeric() && is_integral(places) => Some(t.clone()),
        _ => None,
    }
}

fn as_f64_array(array: &ArrayRef) -> DFResult<Float64Array> {
    Ok(cast(array, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

fn unary_f64(args: &[ArrayRef], f: impl Fn(f64) -> f64) -> DFResult<ArrayRef> {
    let [value] = args else {
        return Err(exec_error("math", "expects one argument"));
    };
    Ok(Arc::new(as_f64_array(value)?.unary::<_, Float64Type>(f)))
}

fn binary_f64(args: &[ArrayRef], rows: usize, f: impl Fn(f64, f64) -> f64) -> DFResult<ArrayRef> {
    let [a, b] = args else {
        return Err(exec_error("math", "expects two arguments"));
    };
    let (a, b) = (as_f64_array(a)?, as_f64_array(b)?);
    let out: Float64Array = (0..rows)
        .map(|i| (a.is_valid(i) && b.is_valid(i)).then(|| f(a.value(i), b.value(i))))
        .collect();
    Ok(Arc::new(out))
}

fn eval_log(args: &[ArrayRef], _: &DataType, rows: usize) -> DFResult<ArrayRef> {
    match args {
        [_] => unary_f64(args, f64::ln),
        _ => binary_f64(args, rows, |base, value| {
            if base <= 0.0 || base == 1.0 || value < 0.0 {
                f64::NAN
            } else {
                value.ln() / base.ln()
            }
        }),
    }
}

/// Applies per-type kernels to the single numeric argument; decimals keep their type.
fn numeric_unary(
    args: &[ArrayRef],
    name: &str,
    int: fn(i64) -> i64,
    double: fn(f64) -> f64,
    decimal: fn(i128, i8) -> i128,
) -> DFResult<ArrayRef> {
    let [value] = args else {
        return Err(exec_error(name, "expects one argument"));
    };
    let out: ArrayRef = match value.data_type() {
        DataType::Int32 => Arc::new(
            value
                .as_primitive::<Int32Type>()
                .unary::<_, Int32Type>(|v| int(i64::from(v)) as i32),
        ),
        DataType::Int64 => Arc::new(value.as_primitive::<Int64Type>().unary::<_, Int64Type>(int)),
        DataType::Decimal128(p, s) => {
            let (p, s) = (*p, *s);
            Arc::new(
                value
                    .as_primitive::<Decimal128Type>()
                    .unary::<_, Decimal128Type>(|m| decimal(m, s))
                    .with_precision_and_scale(p, s)?,
            )
        }
        _ => Arc::new(as_f64_array(value)?.unary::<_, Float64Type>(double)),
    };
    Ok(out)
}

fn eval_abs(args: &[ArrayRef], _: &DataType, _: usize) -> DFResult<ArrayRef> {
    // Java's Math.abs leaves the minimum value unchanged; so does wrapping_abs.
    let [value] = args else {
        return Err(exec_error("ABS", "expects one argument"));
    };
    if let DataType::Int32 = value.data_type() {
        return Ok(Arc::new(
            value
                .as_primitive::<Int32Type>()
                .unary::<_, Int32Type>(i32::wrapping_abs),
        ));
    }
    numeric_unary(args, "ABS", i64::wrapping_abs, f64::abs, |m, _| {
        m.wrapping_abs()
    })
}

fn eval_ceil(args: &[ArrayRef], _: &DataType, _: usize) -> DFResult<ArrayRef> {
    numeric_unary(
        args,
        "CEIL",
        |v| v,
        f64::ceil,
        |m, s| {
            let unit = 10i128
                .checked_pow(u32::from(s.max(0) as u8))
                .unwrap_or(i128::MAX);
            m.div_euclid(unit)
                .saturating_mul(unit)
                .saturating_add(if m.rem_euclid(unit) > 0 { unit } else { 0 })
        },
    )
}

fn eval_floor(args: &[ArrayRef], _: &DataType, _: usize) -> DFResult<ArrayRef> {
    numeric_unary(
        args,
        "FLOOR",
        |v| v,
        f64::floor,
        |m, s| {
            let unit = 10i128
                .checked_pow(u32::from(s.max(0) as u8))
                .unwrap_or(i128::MAX);
            m.div_euclid(unit).saturating_mul(unit)
        },
    )
}

fn eval_sign(args: &[ArrayRef], _: &DataType, _: usize) -> DFResult<ArrayRef> {
    let [value] = args else {
        return Err(exec_error("SIGN", "expects one argument"));
    };
    let doubles = as_f64_array(value)?;
    Ok(Arc::new(doubles.unary::<_, Int32Type>(|v| {
        if v > 0.0 {
            1
        } else if v < 0.0 {
            -1
        } else {
            0
        }
    })))
}

fn eval_round(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    round_with(args, ret, rows, RoundMode::HalfUp, "ROUND")
}

fn eval_trunc(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    round_with(args, ret, rows, RoundMode::TowardZero, "TRUNC")
}

fn round_with(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    mode: RoundMode,
    name: &str,
) -> DFResult<ArrayRef> {
    let (value, places) = match args {
        [value] => (value, None),
        [value, places] => (value, Some(cast(places, &DataType::Int32)?)),
        _ => return Err(exec_error(name, "expects one or two arguments")),
    };
    let places = places
        .as_ref()
        .map(|p| p.as_primitive::<Int32Type>().clone());
    let places_at = |i: usize| -> Option<i32> {
        match &places {
            None => Some(0),
            Some(p) => p.is_valid(i).then(|| p.value(i)),
        }
    };
    match (value.data_type(), ret) {
        (DataType::Decimal128(_, scale), DataType::Decimal128(p_out, s_out)) => {
            let decimals = value.as_primitive::<Decimal128Type>();
            let out = (0..rows)
                .map(|i| {
                    let (Some(places), true) = (places_at(i), decimals.is_valid(i)) else {
                        return Ok(None);
                    };
                    round_decimal(decimals.value(i), *scale, places, *s_out, mode)
                        .map(Some)
                        .ok_or_else(|| exec_error(name, "decimal result overflows"))
                })
                .collect::<DFResult<Decimal128Array>>()?;
            Ok(Arc::new(out.with_precision_and_scale(*p_out, *s_out)?))
        }
        (DataType::Int32 | DataType::Int64, _) if places.is_none() => Ok(cast(value, ret)?),
        _ => {
            let doubles = as_f64_array(value)?;
            let rounded: Float64Array = (0..rows)
                .map(|i| {
                    let places = places_at(i)?;
                    doubles
                        .is_valid(i)
                        .then(|| round_f64(doubles.value(i), places, mode))
                })
                .collect();
            match ret {
                // Java's (long) conversion: NaN -> 0, saturating at the range ends.
                DataType::Int64 => {
                    Ok(Arc::new(rounded.unary::<_, Int64Type>(|v| v as i64)) as ArrayRef)
                }
                DataType::Int32 => Ok(Arc::new(rounded.unary::<_, Int32Type>(|v| v as i32))),
                _ => Ok(Arc::new(rounded)),
            }
        }
    }
}

fn eval_random(_: &[ArrayRef], _: &DataType, rows: usize) -> DFResult<ArrayRef> {
    let mut seed = getrandom::u64().map_err(|e| exec_error("RANDOM", e.to_string()))?;
    let values: Float64Array = (0..rows)
        .map(|_| {
            // splitmix64: a fast, well-mixed sequence from one OS-random seed per batch.
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            Some((z >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect();
    Ok(Arc::new(values))
}

fn resolve_extreme(args: &[SqlType]) -> Option<SqlType> {
    let ty = common_type_of(args)?;
    is_comparable(&ty).then_some(ty)
}

fn eval_extreme(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    keep: std::cmp::Ordering,
) -> DFResult<ArrayRef> {
    let args = args
        .iter()
        .map(|a| cast(a, ret))
        .collect::<Result<Vec<_>, _>>()?;
    map_rows(&args, ret, rows, |row| {
        let mut best: Option<&ScalarValue> = None;
        for value in row.iter().filter(|v| !v.is_null()) {
            let better = match best {
                None => true,
                Some(current) => {
                    // NaN never wins (Java's comparison treats it as unordered here).
                    if as_f64(value).is_some_and(f64::is_nan) {
                        false
                    } else {
                        value.partial_cmp(current) == Some(keep)
                    }
                }
            };
            if better {
                best = Some(value);
            }
        }
        Ok(best.cloned().unwrap_or(ScalarValue::Null))
    })
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int32Array, Int64Array};

    use super::*;

    fn call(name: &str, args: Vec<ArrayRef>, types: &[SqlType]) -> (SqlType, ArrayRef) {
        let function = functions()
            .into_iter()
            .find(|f| f.meta.name == name)
            .expect("function exists");
        let ret = function.return_type(types).expect("types resolve");
        let rows = args.first().map_or(1, |a| a.len());
        let out = crate::functions::scalar::udf::tests_support::invoke(&function, args, &ret, rows);
        (ret, out)
    }

    #[test]
    fn abs_keeps_the_argument_type() {
        let (ty, out) = call(
            "ABS",
            vec![Arc::new(Int32Array::from(vec![
                Some(-1),
                None,
                Some(i32::MIN),
            ]))],
            &[SqlType::Int],
        );
        assert_eq!(ty, SqlType::Int);
        let out = out.as_primitive::<Int32Type>();
        assert_eq!(out.value(0), 1);
        assert!(out.is_null(1));
        assert_eq!(out.value(2), i32::MIN);
    }

    #[test]
    fn round_double_returns_bigint_and_rounds_ties_up() {
        let input: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(1.5),
            Some(-1.5),
            Some(-1.7),
            None,
        ]));
        let (ty, out) = call("ROUND", vec![input], &[SqlType::Double]);
        assert_eq!(ty, SqlType::BigInt);
        let out = out.as_primitive::<Int64Type>();
        assert_eq!((out.value(0), out.value(1), out.value(2)), (2, -1, -2));
        assert!(out.is_null(3));
    }

    #[test]
    fn round_decimal_without_places_drops_the_scale() {
        let input: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(123456789876543212345678987654321i128)])
                .with_precision_and_scale(33, 16)
                .expect("valid decimal"),
        );
        let (ty, out) = call("ROUND", vec![input], &[SqlType::decimal(33, 16)]);
        assert_eq!(ty, SqlType::decimal(17, 0));
        assert_eq!(
            out.as_primitive::<Decimal128Type>().value(0),
            12345678987654321
        );
    }

    #[test]
    fn floor_and_ceil_of_decimals_keep_the_scale() {
        let input: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(-11), Some(15), Some(20)])
                .with_precision_and_scale(2, 1)
                .expect("valid decimal"),
        );
        let (_, floor) = call("FLOOR", vec![Arc::clone(&input)], &[SqlType::decimal(2, 1)]);
        let floor = floor.as_primitive::<Decimal128Type>();
        assert_eq!(
            (floor.value(0), floor.value(1), floor.value(2)),
            (-20, 10, 20)
        );
        let (_, ceil) = call("CEIL", vec![input], &[SqlType::decimal(2, 1)]);
        let ceil = ceil.as_primitive::<Decimal128Type>();
        assert_eq!((ceil.value(0), ceil.value(1), ceil.value(2)), (-10, 20, 20));
    }

    #[test]
    fn log_with_base_follows_ksqldb_edge_cases() {
        let bases: ArrayRef = Arc::new(Float64Array::from(vec![15.0, 15.0, 1.0, 0.0, -15.0]));
        let values: ArrayRef = Arc::new(Float64Array::from(vec![13.0, 0.0, 13.0, 13.0, 13.0]));
        let (_, out) = call(
            "LOG",
            vec![bases, values],
            &[SqlType::Double, SqlType::Double],
        );
        let out = out.as_primitive::<Float64Type>();
        assert!((out.value(0) - 0.9471572411831843).abs() < 1e-15);
        assert_eq!(out.value(1), f64::NEG_INFINITY);
        assert!(out.value(2).is_nan() && out.value(3).is_nan() && out.value(4).is_nan());
    }

    #[test]
    fn sign_is_an_integer_and_trig_takes_integers() {
        let input: ArrayRef = Arc::new(Int64Array::from(vec![Some(-2), Some(0), None]));
        let (ty, out) = call("SIGN", vec![Arc::clone(&input)], &[SqlType::BigInt]);
        assert_eq!(ty, SqlType::Int);
        let out = out.as_primitive::<Int32Type>();
        assert_eq!((out.value(0), out.value(1)), (-1, 0));
        assert!(out.is_null(2));
        let (ty, out) = call("COT", vec![input], &[SqlType::BigInt]);
        assert_eq!(ty, SqlType::Double);
        assert_eq!(out.as_primitive::<Float64Type>().value(1), f64::INFINITY);
    }

    #[test]
    fn greatest_skips_nulls_and_widens() {
        let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None]));
        let b: ArrayRef = Arc::new(Float64Array::from(vec![Some(0.5), None]));
        let (ty, out) = call("GREATEST", vec![a, b], &[SqlType::Int, SqlType::Double]);
        assert_eq!(ty, SqlType::Double);
        let out = out.as_primitive::<Float64Type>();
        assert_eq!(out.value(0), 1.0);
        assert!(out.is_null(1));
    }

    #[test]
    fn round_rejects_strings_with_ksqldb_message() {
        let round = functions()
            .into_iter()
            .find(|f| f.meta.name == "ROUND")
            .expect("ROUND");
        let err = round
            .return_type(&[SqlType::String])
            .expect_err("STRING is not numeric");
        assert!(
            err.to_string()
                .starts_with("Function 'ROUND' does not accept parameters (STRING).")
        );
    }
}

//! Streaming aggregates: values from ksqlDB's docs and corpus, and properties: adding
//! then retracting a row restores the result, merging equals adding both inputs, and
//! state survives a round trip through bytes.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int32Array, StringArray};
use datafusion::common::ScalarValue;
use proptest::prelude::*;
use runnel::functions::{AggregateState, FunctionRegistry};
use runnel::sql::SqlType;

fn state(
    name: &str,
    args: &[SqlType],
    params: &[ScalarValue],
) -> (Box<dyn AggregateState>, runnel::functions::AggregateSpec) {
    let function = FunctionRegistry::global()
        .aggregate(name)
        .expect("aggregate exists");
    let spec = function.spec(args, params).expect("call resolves");
    (function.create(&spec).expect("state"), spec)
}

fn fold(
    name: &str,
    args: &[SqlType],
    params: &[ScalarValue],
    rows: &[Vec<ScalarValue>],
) -> Box<dyn AggregateState> {
    let (mut state, _) = state(name, args, params);
    for row in rows {
        state.add(row).expect("add");
    }
    state
}

fn int(v: i32) -> ScalarValue {
    ScalarValue::Int32(Some(v))
}

fn text(v: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(v.to_string()))
}

/// Equal results, with doubles compared to a relative tolerance (retraction and merge
/// reorder floating-point operations).
fn assert_same(a: &ScalarValue, b: &ScalarValue, context: &str) {
    match (a, b) {
        (ScalarValue::Float64(Some(x)), ScalarValue::Float64(Some(y))) => {
            let close =
                (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
            assert!(close, "{context}: {x} != {y}");
        }
        (ScalarValue::Map(_), ScalarValue::Map(_)) => {
            let mut x = runnel_map_entries(a);
            let mut y = runnel_map_entries(b);
            x.sort();
            y.sort();
            assert_eq!(x, y, "{context}");
        }
        _ => assert_eq!(a, b, "{context}"),
    }
}

fn runnel_map_entries(value: &ScalarValue) -> Vec<String> {
    let ScalarValue::Map(map) = value else {
        return vec![format!("{value:?}")];
    };
    let entries = map.value(0);
    (0..entries.len())
        .map(|i| {
            let k = ScalarValue::try_from_array(entries.column(0), i).expect("key");
            let v = ScalarValue::try_from_array(entries.column(1), i).expect("value");
            format!("{k}={v}")
        })
        .collect()
}

#[test]
fn count_star_counts_rows_and_count_column_skips_nulls() {
    let rows = vec![vec![int(1)], vec![ScalarValue::Int32(None)], vec![int(3)]];
    let star = fold("COUNT", &[], &[], &[vec![], vec![], vec![]]);
    assert_eq!(star.result().expect("result"), ScalarValue::Int64(Some(3)));
    let column = fold("COUNT", &[SqlType::Int], &[], &rows);
    assert_eq!(
        column.result().expect("result"),
        ScalarValue::Int64(Some(2))
    );
    let (mut batch, _) = state("COUNT", &[SqlType::Int], &[]);
    let array: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(3), Some(4)]));
    batch.add_rows(&[array], &[0, 1, 3]).expect("batch add");
    assert_eq!(batch.result().expect("result"), ScalarValue::Int64(Some(2)));
}

#[test]
fn sums_keep_ksqldb_types_and_detect_decimal_overflow() {
    let sum = fold(
        "SUM",
        &[SqlType::Int],
        &[],
        &[
            vec![int(0)],
            vec![int(100)],
            vec![ScalarValue::Int32(None)],
            vec![int(500)],
        ],
    );
    assert_eq!(sum.result().expect("result"), int(600));
    let empty = fold("SUM", &[SqlType::BigInt], &[], &[]);
    assert_eq!(empty.result().expect("result"), ScalarValue::Int64(Some(0)));
    let decimal = |m: i128| vec![ScalarValue::Decimal128(Some(m), 4, 1)];
    let (mut sum, _) = state("SUM", &[SqlType::decimal(4, 1)], &[]);
    for m in [54, 1001, 5009, 3008] {
        sum.add(&decimal(m)).expect("fits");
    }
    assert_eq!(
        sum.result().expect("result"),
        ScalarValue::Decimal128(Some(9072), 4, 1)
    );
    let err = sum
        .add(&decimal(4008))
        .expect_err("1307.2 does not fit DECIMAL(4,1)");
    assert!(err.to_string().contains("Numeric field overflow"));
    assert_eq!(
        sum.result().expect("unchanged"),
        ScalarValue::Decimal128(Some(9072), 4, 1)
    );
}

#[test]
fn avg_of_bigints_does_not_overflow() {
    let avg = fold(
        "AVG",
        &[SqlType::BigInt],
        &[],
        &[
            vec![ScalarValue::Int64(Some(2))],
            vec![ScalarValue::Int64(Some(i64::MAX))],
        ],
    );
    assert_eq!(
        avg.result().expect("result"),
        ScalarValue::Float64(Some(4.611686018427388e18))
    );
    let empty = fold("AVG", &[SqlType::Int], &[], &[]);
    assert_eq!(
        empty.result().expect("result"),
        ScalarValue::Float64(Some(0.0))
    );
}

#[test]
fn topk_and_offsets() {
    let rows: Vec<Vec<ScalarValue>> = [5, 1, 9, 5, 7].iter().map(|v| vec![int(*v)]).collect();
    let list = |values: &[i32]| {
        let array: ArrayRef = Arc::new(Int32Array::from(values.to_vec()));
        ScalarValue::List(Arc::new(arrow::array::ListArray::new(
            Arc::new(arrow::datatypes::Field::new(
                "item",
                arrow::datatypes::DataType::Int32,
                true,
            )),
            arrow::buffer::OffsetBuffer::from_lengths([values.len()]),
            array,
            None,
        )))
    };
    let topk = fold("TOPK", &[SqlType::Int], &[int(3)], &rows);
    assert_eq!(topk.result().expect("result"), list(&[9, 7, 5]));
    let distinct = fold("TOPKDISTINCT", &[SqlType::Int], &[int(4)], &rows);
    assert_eq!(distinct.result().expect("result"), list(&[9, 7, 5, 1]));
    let latest = fold("LATEST_BY_OFFSET", &[SqlType::Int], &[int(2)], &rows);
    assert_eq!(latest.result().expect("result"), list(&[5, 7]));
    let with_null = vec![vec![int(1)], vec![ScalarValue::Int32(None)]];
    let skipping = fold("LATEST_BY_OFFSET", &[SqlType::Int], &[], &with_null);
    assert_eq!(skipping.result().expect("result"), int(1));
    let keeping = fold(
        "LATEST_BY_OFFSET",
        &[SqlType::Int],
        &[ScalarValue::Boolean(Some(false))],
        &with_null,
    );
    assert_eq!(keeping.result().expect("result"), ScalarValue::Int32(None));
    let earliest = fold("EARLIEST_BY_OFFSET", &[SqlType::Int], &[], &rows);
    assert_eq!(earliest.result().expect("result"), int(5));
    let (mut max, _) = state("MAX", &[SqlType::Int], &[]);
    assert!(max.retract(&[int(1)]).is_err(), "MAX is stream-only");
}

#[test]
fn histogram_and_count_distinct() {
    let (mut histogram, _) = state("HISTOGRAM", &[SqlType::String], &[]);
    let words: ArrayRef = Arc::new(StringArray::from(vec![
        Some("a"),
        Some("b"),
        None,
        Some("a"),
    ]));
    histogram.add_rows(&[words], &[0, 1, 2, 3]).expect("batch");
    let entries = runnel_map_entries(&histogram.result().expect("result"));
    assert_eq!(entries, vec!["a=2".to_string(), "b=1".to_string()]);
    let distinct = fold(
        "COUNT_DISTINCT",
        &[SqlType::String],
        &[],
        &[vec![text("x")], vec![text("y")], vec![text("x")]],
    );
    assert_eq!(
        distinct.result().expect("result"),
        ScalarValue::Int64(Some(2))
    );
}

#[test]
fn corrupt_state_is_an_error() {
    for name in [
        "COUNT",
        "SUM",
        "AVG",
        "TOPK",
        "COLLECT_LIST",
        "STDDEV_SAMP",
        "CORRELATION",
    ] {
        let function = FunctionRegistry::global().aggregate(name).expect("exists");
        let (args, params) = args_for(name);
        let spec = function.spec(&args, &params).expect("resolves");
        assert!(function.restore(&spec, &[]).is_err(), "{name}");
        assert!(function.restore(&spec, &[1, 2, 3]).is_err(), "{name}");
    }
}

fn args_for(name: &str) -> (Vec<SqlType>, Vec<ScalarValue>) {
    match name {
        "COUNT_STAR" => (vec![], vec![]),
        "TOPK" | "TOPKDISTINCT" => (vec![SqlType::Int], vec![int(3)]),
        "CORRELATION" => (vec![SqlType::Int, SqlType::Int], vec![]),
        "HISTOGRAM" => (vec![SqlType::String], vec![]),
        "SUM_LIST" => (vec![SqlType::Array(Box::new(SqlType::Int))], vec![]),
        _ => (vec![SqlType::Int], vec![]),
    }
}

/// One input row for `name` from a small integer.
fn row_for(name: &str, v: Option<i32>) -> Vec<ScalarValue> {
    match name {
        "COUNT_STAR" => vec![],
        "CORRELATION" => vec![
            ScalarValue::Int32(v),
            ScalarValue::Int32(v.map(|x| x.wrapping_mul(7) % 13)),
        ],
        "HISTOGRAM" => vec![ScalarValue::Utf8(v.map(|x| format!("k{}", x % 5)))],
        "SUM_LIST" => {
            let items: ArrayRef = Arc::new(Int32Array::from(vec![v, Some(1)]));
            vec![ScalarValue::List(Arc::new(arrow::array::ListArray::new(
                Arc::new(arrow::datatypes::Field::new(
                    "item",
                    arrow::datatypes::DataType::Int32,
                    true,
                )),
                arrow::buffer::OffsetBuffer::from_lengths([2]),
                items,
                None,
            )))]
        }
        _ => vec![ScalarValue::Int32(v)],
    }
}

fn registry_name(name: &str) -> &str {
    if name == "COUNT_STAR" { "COUNT" } else { name }
}

const RETRACTABLE: &[&str] = &[
    "COUNT",
    "COUNT_STAR",
    "SUM",
    "AVG",
    "COLLECT_LIST",
    "COLLECT_SET",
    "HISTOGRAM",
    "STDDEV_SAMP",
    "CORRELATION",
    "SUM_LIST",
];
const ALL: &[&str] = &[
    "COUNT",
    "COUNT_STAR",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "COUNT_DISTINCT",
    "COLLECT_LIST",
    "COLLECT_SET",
    "HISTOGRAM",
    "STDDEV_SAMP",
    "CORRELATION",
    "SUM_LIST",
    "TOPK",
    "TOPKDISTINCT",
    "EARLIEST_BY_OFFSET",
    "LATEST_BY_OFFSET",
];

fn new_state(name: &str) -> (Box<dyn AggregateState>, runnel::functions::AggregateSpec) {
    let (args, params) = args_for(name);
    state(registry_name(name), &args, &params)
}

proptest! {
    #[test]
    fn add_then_retract_restores_the_result(
        prior in proptest::collection::vec(proptest::option::weighted(0.9, -1000i32..1000), 0..30),
        extra in proptest::option::weighted(0.9, -1000i32..1000),
    ) {
        for name in RETRACTABLE {
            let function = FunctionRegistry::global().aggregate(registry_name(name)).expect("exists");
            prop_assert!(function.supports_retract, "{} must support retraction", name);
            let (mut state, _) = new_state(name);
            for v in &prior {
                state.add(&row_for(name, *v)).expect("add");
            }
            let before = state.result().expect("result");
            state.add(&row_for(name, extra)).expect("add");
            state.retract(&row_for(name, extra)).expect("retract");
            assert_same(&state.result().expect("result"), &before, name);
        }
    }

    #[test]
    fn merge_equals_adding_both_inputs(
        first in proptest::collection::vec(proptest::option::weighted(0.9, -1000i32..1000), 0..20),
        second in proptest::collection::vec(proptest::option::weighted(0.9, -1000i32..1000), 0..20),
    ) {
        for name in ALL {
            let (mut left, _) = new_state(name);
            let (mut right, _) = new_state(name);
            let (mut whole, _) = new_state(name);
            for v in &first {
                left.add(&row_for(name, *v)).expect("add");
                whole.add(&row_for(name, *v)).expect("add");
            }
            for v in &second {
                right.add(&row_for(name, *v)).expect("add");
                whole.add(&row_for(name, *v)).expect("add");
            }
            left.merge(right.as_ref()).expect("merge");
            let merged = left.result().expect("result");
            let expected = whole.result().expect("result");
            assert_same(&merged, &expected, name);
        }
    }

    #[test]
    fn state_survives_bytes(values in proptest::collection::vec(proptest::option::weighted(0.9, -1000i32..1000), 0..30)) {
        for name in ALL {
            let function = FunctionRegistry::global().aggregate(registry_name(name)).expect("exists");
            let (mut state, spec) = new_state(name);
            for v in &values {
                state.add(&row_for(name, *v)).expect("add");
            }
            let restored = function.restore(&spec, &state.to_bytes().expect("encodes")).expect("decodes");
            assert_same(&restored.result().expect("result"), &state.result().expect("result"), name);
        }
    }
}

proptest! {
    #[test]
    fn batch_entry_points_equal_row_by_row(
        values in proptest::collection::vec(proptest::option::weighted(0.8, -1000i32..1000), 1..40),
        picks in proptest::collection::vec(any::<proptest::sample::Index>(), 0..40),
    ) {
        let rows: Vec<usize> = picks.iter().map(|p| p.index(values.len())).collect();
        let ints: ArrayRef = Arc::new(Int32Array::from(values.clone()));
        let longs: ArrayRef = Arc::new(arrow::array::Int64Array::from(values.iter().map(|v| v.map(i64::from)).collect::<Vec<_>>()));
        let doubles: ArrayRef = Arc::new(arrow::array::Float64Array::from(values.iter().map(|v| v.map(|x| f64::from(x) / 4.0)).collect::<Vec<_>>()));
        let cases = [
            ("SUM", SqlType::Int, &ints),
            ("SUM", SqlType::BigInt, &longs),
            ("SUM", SqlType::Double, &doubles),
            ("AVG", SqlType::Int, &ints),
            ("AVG", SqlType::Double, &doubles),
            ("COUNT", SqlType::BigInt, &longs),
            ("MAX", SqlType::Int, &ints),
        ];
        for (name, ty, array) in cases {
            let (mut batch, _) = state(name, std::slice::from_ref(&ty), &[]);
            batch.add_rows(&[Arc::clone(array)], &rows).expect("batch add");
            let (mut single, _) = state(name, std::slice::from_ref(&ty), &[]);
            for &i in &rows {
                single.add(&[ScalarValue::try_from_array(array, i).expect("value")]).expect("add");
            }
            assert_same(&batch.result().expect("result"), &single.result().expect("result"), name);
        }
    }
}

#[test]
fn batch_rows_outside_the_array_are_an_error() {
    let (mut sum, _) = state("SUM", &[SqlType::Int], &[]);
    let ints: ArrayRef = Arc::new(Int32Array::from(vec![1, 2]));
    assert!(sum.add_rows(&[Arc::clone(&ints)], &[0, 5]).is_err());
    let (mut max, _) = state("MAX", &[SqlType::Int], &[]);
    assert!(max.add_rows(&[Arc::clone(&ints)], &[2]).is_err());
    let (mut count, _) = state("COUNT", &[SqlType::Int], &[]);
    assert!(count.add_rows(&[ints], &[3]).is_err());
}

//! Property test: random typed rows -> Arrow -> encode -> decode -> the same Arrow arrays,
//! for every format and every type it carries.

use std::borrow::Cow;

use arrow::array::ArrayRef;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use runnel::format::{
    Cell, Column, FormatKind, FormatSpec, RecordDecoder, RecordEncoder, SerdePart, build_array,
};
use runnel::sql::{SqlType, StructField};

fn scalar_types() -> Vec<SqlType> {
    vec![
        SqlType::Boolean,
        SqlType::Int,
        SqlType::BigInt,
        SqlType::Double,
        // JSON numbers pass through f64: keep decimals within its 15 exact digits.
        SqlType::decimal(12, 3),
        SqlType::String,
        SqlType::Bytes,
        SqlType::Date,
        SqlType::Time,
        SqlType::Timestamp,
    ]
}

fn nested_types() -> Vec<SqlType> {
    vec![
        SqlType::Array(Box::new(SqlType::Int)),
        SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::Double)),
        SqlType::Struct(vec![
            StructField {
                name: "a".into(),
                ty: SqlType::String,
            },
            StructField {
                name: "B".into(),
                ty: SqlType::Array(Box::new(SqlType::decimal(5, 2))),
            },
        ]),
    ]
}

/// Non-null values of `ty`; `non_empty_strings` because DELIMITED reads an empty field as null.
fn value_strategy(ty: &SqlType, non_empty_strings: bool) -> BoxedStrategy<Cell<'static>> {
    let string = if non_empty_strings {
        ".{1,12}"
    } else {
        ".{0,12}"
    };
    match ty {
        SqlType::Boolean => any::<bool>().prop_map(Cell::Bool).boxed(),
        SqlType::Int => any::<i32>().prop_map(Cell::Int).boxed(),
        SqlType::BigInt => any::<i64>().prop_map(Cell::BigInt).boxed(),
        // At most 15 significant digits and a moderate exponent: serde_json's default float
        // parser (without `float_roundtrip`) is exact only there.
        SqlType::Double => (-999_999_999_999_999i64..999_999_999_999_999, -20i32..20)
            .prop_map(|(mantissa, exponent)| {
                Cell::Double(format!("{mantissa}e{exponent}").parse().unwrap_or(0.0))
            })
            .boxed(),
        SqlType::Decimal { precision, .. } => {
            let max = 10i128.pow(u32::from(*precision)) - 1;
            (-max..=max).prop_map(Cell::Decimal).boxed()
        }
        SqlType::String => string
            .prop_map(|s: String| Cell::Str(Cow::Owned(s)))
            .boxed(),
        SqlType::Bytes => {
            proptest::collection::vec(any::<u8>(), usize::from(non_empty_strings)..10)
                .prop_map(|b| Cell::Bytes(Cow::Owned(b)))
                .boxed()
        }
        SqlType::Date => (-100_000i32..100_000).prop_map(Cell::Date).boxed(),
        SqlType::Time => (0i32..86_400_000).prop_map(Cell::Time).boxed(),
        SqlType::Timestamp => any::<i64>().prop_map(Cell::Timestamp).boxed(),
        SqlType::Array(item) => proptest::collection::vec(cell_strategy(item, false), 0..4)
            .prop_map(Cell::List)
            .boxed(),
        SqlType::Map(_, value) => {
            proptest::collection::btree_map(".{0,6}", cell_strategy(value, false), 0..4)
                .prop_map(|m| {
                    Cell::Map(
                        m.into_iter()
                            .map(|(k, v)| (Cell::Str(Cow::Owned(k)), v))
                            .collect(),
                    )
                })
                .boxed()
        }
        SqlType::Struct(fields) => fields
            .iter()
            .map(|f| cell_strategy(&f.ty, false))
            .collect::<Vec<_>>()
            .prop_map(Cell::Struct)
            .boxed(),
        SqlType::Custom(_) => Just(Cell::Null).boxed(),
    }
}

fn cell_strategy(ty: &SqlType, non_empty_strings: bool) -> BoxedStrategy<Cell<'static>> {
    prop_oneof![1 => Just(Cell::Null), 4 => value_strategy(ty, non_empty_strings)].boxed()
}

fn rows_strategy(
    columns: &[Column],
    non_empty_strings: bool,
) -> BoxedStrategy<Vec<Vec<Cell<'static>>>> {
    let row: Vec<_> = columns
        .iter()
        .map(|c| cell_strategy(&c.ty, non_empty_strings))
        .collect();
    proptest::collection::vec(row, 0..12).boxed()
}

fn arrays_of(columns: &[Column], rows: &[Vec<Cell<'static>>]) -> Vec<ArrayRef> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cells: Vec<&Cell<'_>> = rows.iter().map(|r| &r[i]).collect();
            build_array(&c.ty, &cells).expect("cells of the column type build an array")
        })
        .collect()
}

fn round_trip(spec: &FormatSpec, part: SerdePart, columns: &[Column], rows: &[Vec<Cell<'static>>]) {
    let arrays = arrays_of(columns, rows);
    let encoder = RecordEncoder::try_new(spec, part, columns).expect("valid schema");
    let payloads = encoder.encode(&arrays, rows.len(), None).expect("encodes");
    let decoder = RecordDecoder::try_new(spec, part, columns).expect("valid schema");
    let refs: Vec<Option<&[u8]>> = payloads.iter().map(|p| p.as_deref()).collect();
    let decoded = decoder.decode(&refs).expect("builds arrays");
    assert!(
        decoded.errors.is_empty(),
        "{:?} for {payloads:?}",
        decoded.errors
    );
    for ((original, back), column) in arrays.iter().zip(&decoded.arrays).zip(columns) {
        assert_eq!(
            original.as_ref(),
            back.as_ref(),
            "column {} via {payloads:?}",
            column.name
        );
    }
}

fn columns_of(types: &[SqlType]) -> Vec<Column> {
    types
        .iter()
        .enumerate()
        .map(|(i, t)| Column::new(format!("C{i}"), t.clone()))
        .collect()
}

proptest! {
    #[test]
    fn json_objects_round_trip(rows in rows_strategy(&columns_of(&[scalar_types(), nested_types()].concat()), false)) {
        let columns = columns_of(&[scalar_types(), nested_types()].concat());
        round_trip(&FormatSpec::new(FormatKind::Json), SerdePart::Value, &columns, &rows);
        round_trip(&FormatSpec::new(FormatKind::Json), SerdePart::Key, &columns[..10], &rows.iter().map(|r| r[..10].to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn json_single_values_round_trip(index in 0usize..13) {
        let ty = [scalar_types(), nested_types()].concat()[index].clone();
        let columns = vec![Column::new("V", ty)];
        let unwrapped = FormatSpec::new(FormatKind::Json).with_wrap_single_value(false).expect("JSON unwraps");
        let mut runner = proptest::test_runner::TestRunner::default();
        let strategy = rows_strategy(&columns, false);
        for _ in 0..8 {
            let rows = strategy.new_tree(&mut runner).expect("strategy").current();
            round_trip(&unwrapped, SerdePart::Value, &columns, &rows);
            // Keys may not hold maps (ksqlDB refuses them), so only values carry one.
            if !matches!(columns[0].ty, SqlType::Map(..)) {
                round_trip(&FormatSpec::new(FormatKind::Json), SerdePart::Key, &columns, &rows);
            }
        }
    }

    #[test]
    fn delimited_round_trips(rows in rows_strategy(&columns_of(&scalar_types()), true), delimiter in prop_oneof![Just(','), Just('|'), Just('\t'), Just(' ')]) {
        let columns = columns_of(&scalar_types());
        let mut spec = FormatSpec::new(FormatKind::Delimited);
        spec.delimiter = delimiter;
        round_trip(&spec, SerdePart::Value, &columns, &rows);
    }

    #[test]
    fn kafka_round_trips(index in 0usize..5) {
        let ty = [SqlType::Int, SqlType::BigInt, SqlType::Double, SqlType::String, SqlType::Bytes][index].clone();
        let columns = vec![Column::new("K", ty)];
        let mut runner = proptest::test_runner::TestRunner::default();
        let strategy = rows_strategy(&columns, false);
        for _ in 0..8 {
            let rows = strategy.new_tree(&mut runner).expect("strategy").current();
            round_trip(&FormatSpec::new(FormatKind::Kafka), SerdePart::Key, &columns, &rows);
            round_trip(&FormatSpec::new(FormatKind::Kafka), SerdePart::Value, &columns, &rows);
        }
    }
}

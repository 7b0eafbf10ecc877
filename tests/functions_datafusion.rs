//! The scalar UDFs inside DataFusion: planned by its SQL front end, type-checked through
//! `return_type`, evaluated on columns and folded on constants.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use runnel::functions::{FunctionRef, FunctionRegistry};

fn context() -> SessionContext {
    let ctx = SessionContext::new();
    for meta in FunctionRegistry::global().list() {
        if let Some(FunctionRef::Scalar(f)) = FunctionRegistry::global().lookup(meta.name) {
            ctx.register_udf(f.udf().as_ref().clone());
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("v", DataType::Float64, true),
        Field::new("s", DataType::Utf8, true),
        Field::new("t", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Float64Array::from(vec![Some(1.5), Some(-1.5), None])),
            Arc::new(StringArray::from(vec![
                Some("some_string"),
                None,
                Some("short"),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(1_580_318_385_000),
                Some(0),
                None,
            ])),
        ],
    )
    .expect("valid batch");
    let table = MemTable::try_new(schema, vec![vec![batch]]).expect("valid table");
    ctx.register_table("input", Arc::new(table))
        .expect("registers");
    ctx
}

async fn query(sql: &str) -> RecordBatch {
    let frame = context().sql(sql).await.expect("plans");
    let batches = frame.collect().await.expect("runs");
    arrow::compute::concat_batches(&batches[0].schema(), &batches).expect("one batch")
}

#[tokio::test]
async fn columns_evaluate_with_ksqldb_semantics() {
    let out = query("SELECT round(v), concat(s, NULL, '!'), timestamptostring(t, 'yyyy-MM-dd HH:mm:ss Z', 'UTC'), len(s) FROM input").await;
    let rounded = out.column(0).as_primitive::<Int64Type>();
    assert_eq!((rounded.value(0), rounded.value(1)), (2, -1));
    assert!(rounded.is_null(2));
    let concatenated = out.column(1).as_string::<i32>();
    assert_eq!(
        (concatenated.value(0), concatenated.value(1)),
        ("some_string!", "!")
    );
    let formatted = out.column(2).as_string::<i32>();
    assert_eq!(formatted.value(0), "2020-01-29 17:19:45 +0000");
    assert!(formatted.is_null(2));
    let lengths = out.column(3).as_primitive::<Int32Type>();
    assert_eq!(lengths.value(0), 11);
}

#[tokio::test]
async fn constants_fold_and_wrong_types_fail_at_planning() {
    let out =
        query("SELECT ucase('abc'), ifnull(CAST(NULL AS VARCHAR), 'x') FROM input LIMIT 1").await;
    assert_eq!(out.column(0).as_string::<i32>().value(0), "ABC");
    assert_eq!(out.column(1).as_string::<i32>().value(0), "x");
    let error = context()
        .sql("SELECT ucase(v) FROM input")
        .await
        .expect_err("UCASE does not take a DOUBLE");
    assert!(
        error
            .to_string()
            .contains("does not accept parameters (DOUBLE)"),
        "{error}"
    );
}

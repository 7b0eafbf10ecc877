//! Unit tests of the expression compiler, evaluated by DataFusion over a small batch.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int32Array, Int64Array,
    ListArray, RecordBatch, StringArray, StructArray,
};
use arrow::datatypes::{Field, Int32Type, Schema};
use datafusion::prelude::SessionContext;

use super::*;
use crate::plan::scope::ScopeColumn;
use crate::sql::ast::{Ident, WhenThen};

fn scope() -> Scope {
    let col = |name: &str, ty: SqlType| ScopeColumn {
        qualifier: Some("S".into()),
        name: name.into(),
        ty,
    };
    Scope::new(vec![
        col("A", SqlType::Int),
        col("B", SqlType::BigInt),
        col("D", SqlType::decimal(4, 2)),
        col("S", SqlType::String),
        col(
            "T",
            SqlType::Struct(vec![StructField {
                name: "X".into(),
                ty: SqlType::Int,
            }]),
        ),
        col("ARR", SqlType::Array(Box::new(SqlType::Int))),
    ])
}

fn batch(scope: &Scope) -> RecordBatch {
    let fields: Vec<Field> = scope
        .columns
        .iter()
        .map(|c| Field::new(&c.name, c.ty.to_arrow().expect("resolved"), true))
        .collect();
    let x = Arc::new(Int32Array::from(vec![Some(7), None])) as ArrayRef;
    let t = StructArray::from(vec![(Arc::new(Field::new("X", DataType::Int32, true)), x)]);
    let arr = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(10), Some(20), Some(30)]),
        Some(vec![]),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(vec![Some(3), None])),
        Arc::new(Int64Array::from(vec![Some(5_000_000_000), Some(2)])),
        Arc::new(
            Decimal128Array::from(vec![Some(150), Some(-25)])
                .with_precision_and_scale(4, 2)
                .expect("valid decimal"),
        ),
        Arc::new(StringArray::from(vec![Some("abc"), Some("x%y")])),
        Arc::new(t),
        Arc::new(arr),
    ];
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("valid batch")
}

fn eval(e: &Expr) -> Result<(ArrayRef, SqlType)> {
    let scope = scope();
    let compiler = ExprCompiler {
        scope: &scope,
        functions: &NoFunctions,
    };
    let typed = compiler.compile(e)?;
    let state = SessionContext::new().state();
    let physical = state
        .create_physical_expr(typed.expr, &scope.to_df_schema()?)
        .map_err(|err| PlanError::Internal(err.to_string()))?;
    let value = physical
        .evaluate(&batch(&scope))
        .and_then(|v| v.into_array(2))
        .map_err(|err| PlanError::Internal(err.to_string()))?;
    assert_eq!(
        value.data_type(),
        &typed.ty.to_arrow().expect("resolved"),
        "compiled type and evaluated type agree for {e:?}"
    );
    Ok((value, typed.ty))
}

fn c(name: &str) -> Expr {
    Expr::column(name)
}

fn int(i: i32) -> Expr {
    Expr::Literal(Literal::Int(i))
}

fn bin(l: Expr, op: BinaryOp, r: Expr) -> Expr {
    Expr::binary(l, op, r)
}

#[test]
fn int_plus_bigint_is_bigint_and_nulls_propagate() {
    let (v, ty) = eval(&bin(c("A"), BinaryOp::Plus, c("B"))).expect("compiles");
    assert_eq!(ty, SqlType::BigInt);
    let v = v.as_any().downcast_ref::<Int64Array>().expect("bigint");
    assert_eq!(v.value(0), 5_000_000_003);
    assert!(v.is_null(1));
}

#[test]
fn decimal_arithmetic_follows_ksqldb_precision_rules() {
    let (v, ty) = eval(&bin(c("D"), BinaryOp::Plus, int(1))).expect("compiles");
    assert_eq!(ty, SqlType::decimal(13, 2));
    let v = v
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .expect("decimal");
    assert_eq!((v.value(0), v.value(1)), (250, 75));
    let (v, ty) = eval(&bin(
        c("D"),
        BinaryOp::Multiply,
        Expr::Literal(Literal::Double(2.0)),
    ))
    .expect("compiles");
    assert_eq!(ty, SqlType::Double);
    let v = v.as_any().downcast_ref::<Float64Array>().expect("double");
    assert_eq!(v.value(0), 3.0);
}

#[test]
fn comparing_int_with_string_is_refused_with_ksqldb_wording() {
    let e = bin(
        c("A"),
        BinaryOp::Eq,
        Expr::Literal(Literal::String("10".into())),
    );
    let err = eval(&e).expect_err("INT = STRING is refused").to_string();
    assert!(
        err.contains("Cannot compare A (INTEGER) to '10' (STRING) with EQUAL."),
        "{err}"
    );
}

#[test]
fn struct_fields_and_one_based_array_subscripts() {
    let deref = Expr::Dereference {
        base: Box::new(c("T")),
        field: Ident::new("X"),
    };
    let (v, ty) = eval(&deref).expect("compiles");
    assert_eq!(ty, SqlType::Int);
    assert_eq!(
        v.as_any().downcast_ref::<Int32Array>().map(|a| a.value(0)),
        Some(7)
    );

    let first = Expr::Subscript {
        base: Box::new(c("ARR")),
        index: Box::new(int(1)),
    };
    let (v, _) = eval(&first).expect("compiles");
    let v = v.as_any().downcast_ref::<Int32Array>().expect("int");
    assert_eq!(v.value(0), 10);
    assert!(v.is_null(1), "out of range is NULL");
}

#[test]
fn searched_case_like_and_in_list() {
    let case = Expr::Case {
        operand: None,
        branches: vec![WhenThen {
            when: bin(c("A"), BinaryOp::Gt, int(1)),
            then: Expr::Literal(Literal::String("big".into())),
        }],
        else_result: Some(Box::new(Expr::Literal(Literal::String("small".into())))),
    };
    let (v, _) = eval(&case).expect("compiles");
    let v = v.as_any().downcast_ref::<StringArray>().expect("string");
    assert_eq!((v.value(0), v.value(1)), ("big", "small"));

    let like = Expr::Like {
        expr: Box::new(c("S")),
        negated: false,
        pattern: Box::new(Expr::Literal(Literal::String("x!%%".into()))),
        escape: Some(Box::new(Expr::Literal(Literal::String("!".into())))),
    };
    let (v, _) = eval(&like).expect("compiles");
    let v = v.as_any().downcast_ref::<BooleanArray>().expect("bool");
    assert_eq!((v.value(0), v.value(1)), (false, true));

    let in_list = Expr::InList {
        expr: Box::new(c("B")),
        negated: false,
        list: vec![int(2), Expr::Literal(Literal::Double(3.5))],
    };
    let (v, _) = eval(&in_list).expect("compiles");
    let v = v.as_any().downcast_ref::<BooleanArray>().expect("bool");
    assert_eq!((v.value(0), v.value(1)), (false, true));
}

#[test]
fn unknown_columns_and_functions_are_named() {
    assert!(matches!(eval(&c("NOPE")), Err(PlanError::UnknownColumn(n)) if n == "NOPE"));
    let call = Expr::Function {
        name: Ident::new("WONT_FIND_ME"),
        args: FunctionArgs::List {
            distinct: false,
            args: vec![],
        },
    };
    let err = eval(&call).expect_err("unknown function").to_string();
    assert_eq!(err, "Can't find any functions with the name 'WONT_FIND_ME'");
}

#[test]
fn case_with_a_null_branch_takes_the_other_branches_type() {
    let case = |then: Expr, otherwise: Expr| Expr::Case {
        operand: None,
        branches: vec![WhenThen {
            when: bin(c("A"), BinaryOp::Gt, int(1)),
            then,
        }],
        else_result: Some(Box::new(otherwise)),
    };
    let (v, ty) = eval(&case(c("A"), Expr::Literal(Literal::Null))).expect("compiles");
    assert_eq!(ty, SqlType::Int);
    assert_eq!(
        v.as_any().downcast_ref::<Int32Array>(),
        Some(&Int32Array::from(vec![Some(3), None]))
    );
    let (_, ty) = eval(&case(Expr::Literal(Literal::Null), c("B"))).expect("compiles");
    assert_eq!(ty, SqlType::BigInt);
}

#[test]
fn explicit_casts_follow_ksqldb() {
    let cast = |e: Expr, ty: SqlType| Expr::Cast {
        expr: Box::new(e),
        ty,
    };
    let (v, _) = eval(&cast(c("B"), SqlType::Int)).expect("BIGINT narrows to INT");
    assert_eq!(
        v.as_any().downcast_ref::<Int32Array>(),
        Some(&Int32Array::from(vec![705_032_704, 2])),
        "wraps as Java's (int) does"
    );
    let map_ty = SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::Int));
    let (v, _) = eval(&cast(Expr::Literal(Literal::Null), map_ty)).expect("NULL casts to a MAP");
    assert_eq!(v.null_count(), 2);
    let (v, _) = eval(&cast(c("T"), SqlType::String)).expect("STRUCT prints as a STRING");
    let v = v.as_any().downcast_ref::<StringArray>().expect("string");
    assert_eq!((v.value(0), v.value(1)), ("Struct{X=7}", "Struct{}"));
    let err = eval(&cast(c("S"), SqlType::Array(Box::new(SqlType::Int))))
        .expect_err("STRING to ARRAY is refused")
        .to_string();
    assert!(
        err.contains("Cast of STRING to ARRAY<INTEGER> is not supported"),
        "{err}"
    );
}

#[test]
fn like_escape_applies_to_a_pattern_column() {
    // With 'b' as the escape character, row 0's pattern "abc" is the literal "ac".
    let like = Expr::Like {
        expr: Box::new(Expr::Literal(Literal::String("ac".into()))),
        negated: false,
        pattern: Box::new(c("S")),
        escape: Some(Box::new(Expr::Literal(Literal::String("b".into())))),
    };
    let (v, _) = eval(&like).expect("compiles");
    let v = v.as_any().downcast_ref::<BooleanArray>().expect("bool");
    assert_eq!((v.value(0), v.value(1)), (true, false));
}

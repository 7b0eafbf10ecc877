//! Targeted parser checks: the trees built for each construct, and the error messages.

use runnel::sql::ast::*;
use runnel::sql::{SqlType, parse_statement, parse_statements};

fn query(text: &str) -> Query {
    match parse_statement(text)
        .unwrap_or_else(|e| panic!("{text}\n{e}"))
        .kind
    {
        StatementKind::Query(q) => *q,
        other => panic!("not a query: {other:?}"),
    }
}

fn first_expr(text: &str) -> Expr {
    match query(&format!("SELECT {text} FROM S;")).select.remove(0) {
        SelectItem::Expr { expr, .. } => expr,
        other => panic!("not an expression: {other:?}"),
    }
}

#[test]
fn literals_keep_their_kind() {
    assert_eq!(first_expr("1"), Expr::Literal(Literal::Int(1)));
    assert_eq!(
        first_expr("2147483648"),
        Expr::Literal(Literal::BigInt(2_147_483_648))
    );
    assert_eq!(
        first_expr("-2147483648"),
        Expr::Literal(Literal::Int(i32::MIN))
    );
    assert_eq!(
        first_expr("-9223372036854775808"),
        Expr::Literal(Literal::BigInt(i64::MIN))
    );
    let decimal = Literal::Decimal("1.50".into());
    assert_eq!(decimal.decimal_precision_scale(), Some((3, 2)));
    assert_eq!(first_expr("01.50"), Expr::Literal(decimal));
    assert_eq!(
        Literal::Decimal("0.5".into()).decimal_precision_scale(),
        Some((1, 1))
    );
    assert_eq!(first_expr("1.5E1"), Expr::Literal(Literal::Double(15.0)));
    assert_eq!(
        first_expr("'it''s'"),
        Expr::Literal(Literal::String("it's".into()))
    );
    assert_eq!(first_expr("null"), Expr::Literal(Literal::Null));
    assert_eq!(first_expr("true"), Expr::Literal(Literal::Boolean(true)));
}

#[test]
fn out_of_range_numbers_are_errors() {
    for text in [
        "SELECT 9223372036854775808 FROM S;",
        "SELECT -9223372036854775809 FROM S;",
        "SELECT 1.7976931348623159E308 FROM S;",
    ] {
        assert!(parse_statements(text).is_err(), "{text}");
    }
}

#[test]
fn identifiers_are_normalized() {
    assert_eq!(
        first_expr("t.abc"),
        Expr::Column {
            source: Some(Ident::new("T")),
            name: Ident::new("ABC")
        }
    );
    assert_eq!(first_expr("`abc`"), Expr::column("abc"));
    assert_eq!(
        first_expr("s->`END`[1]"),
        Expr::Subscript {
            base: Box::new(Expr::Dereference {
                base: Box::new(Expr::column("S")),
                field: Ident::new("END")
            }),
            index: Box::new(Expr::Literal(Literal::Int(1)))
        }
    );
}

#[test]
fn precedence_follows_ksql() {
    assert_eq!(
        first_expr("a OR b AND NOT c = 1 + 2 * 3 || 'x'").to_string(),
        "A OR B AND NOT C = 1 + 2 * 3 || 'x'"
    );
    let Expr::Binary { op, .. } = first_expr("1 + 2 || 'x'") else {
        panic!("binary");
    };
    assert_eq!(op, BinaryOp::Concat);
    assert_eq!(first_expr("(1 + 2) * 3").to_string(), "(1 + 2) * 3");
    assert_eq!(
        first_expr("a NOT BETWEEN 1 AND 2 AND b").to_string(),
        "A NOT BETWEEN 1 AND 2 AND B"
    );
}

#[test]
fn joins_windows_and_clauses() {
    let q = query(
        "SELECT * FROM a x LEFT OUTER JOIN b y WITHIN (1 SECOND, 2 MINUTES) GRACE PERIOD 5 SECONDS ON x.k = y.k \
         WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 2 DAYS, GRACE PERIOD 10 MINUTES) \
         WHERE x.v > 0 GROUP BY x.k HAVING COUNT(*) > 1 EMIT FINAL LIMIT 3;",
    );
    let join = &q.from.joins[0];
    assert_eq!(join.kind, JoinKind::Left);
    assert_eq!(join.source.visible_name().as_str(), "Y");
    assert_eq!(
        join.within,
        Some(JoinWindow::Asymmetric {
            before: Duration::new(1, TimeUnit::Seconds),
            after: Duration::new(2, TimeUnit::Minutes)
        })
    );
    assert_eq!(join.grace.map(|d| d.to_millis()), Some(5_000));
    let window = q.window.expect("window");
    assert_eq!(
        window.kind,
        WindowKind::Tumbling {
            size: Duration::new(1, TimeUnit::Hours)
        }
    );
    assert_eq!(window.retention, Some(Duration::new(2, TimeUnit::Days)));
    assert_eq!(q.emit, Some(Emit::Final));
    assert_eq!(q.limit, Some(3));
    assert!(
        query("SELECT * FROM T WHERE K = 1;").emit.is_none(),
        "a pull query"
    );
}

#[test]
fn create_statements() {
    let statement = parse_statement(
        "CREATE OR REPLACE STREAM s (id INT KEY, h ARRAY<STRUCT<KEY STRING, VALUE BYTES>> HEADERS, `v` DECIMAL(4,2), x BYTES HEADER('k')) \
         WITH (kafka_topic='t', partitions=2, WRAP_SINGLE_VALUE=false);",
    )
    .expect("parses");
    let StatementKind::CreateSource(create) = statement.kind else {
        panic!("create source");
    };
    assert!(create.or_replace && !create.is_source);
    assert_eq!(create.elements[0].constraint, ColumnConstraint::Key);
    assert_eq!(create.elements[1].constraint, ColumnConstraint::Headers);
    assert_eq!(create.elements[2].ty, SqlType::decimal(4, 2));
    assert_eq!(
        create.elements[3].constraint,
        ColumnConstraint::Header("k".into())
    );
    let names: Vec<&str> = create.properties.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["KAFKA_TOPIC", "PARTITIONS", "WRAP_SINGLE_VALUE"]);
    assert_eq!(create.properties[1].value, Literal::Int(2));
}

#[test]
fn grouping_takes_value_expressions_as_ksql_does() {
    assert!(parse_statements("SELECT COUNT(*) FROM T GROUP BY DATA AND ID;").is_err());
    assert!(parse_statements("SELECT * FROM T PARTITION BY NAME AND AGE;").is_err());
    assert!(parse_statements("SELECT COUNT(*) FROM T GROUP BY F3, (F2, F1);").is_err());
    assert!(parse_statements("SELECT * FROM T PARTITION BY (A AND B);").is_ok());
}

#[test]
fn ksql_parse_time_rejections() {
    for text in [
        "CREATE STREAM INPUT (K STRING (KEY)) WITH (kafka_topic='input');",
        "CREATE STREAM INPUT (ID INT KEY, COL0 ARRAY<NULL>) WITH (kafka_topic='t');",
        "CREATE STREAM OUTPUT AS SELECT ID, cast(f0 as NULL) FROM TEST;",
    ] {
        assert!(parse_statements(text).is_err(), "{text}");
    }
}

#[test]
fn admin_statements_round_trip() {
    for text in [
        "SHOW STREAMS EXTENDED",
        "SHOW ALL TOPICS",
        "SHOW SOURCE CONNECTORS",
        "DESCRIBE EXTENDED S",
        "DESCRIBE STREAMS",
        "DESCRIBE `STREAMS`",
        "TERMINATE `ALL`",
        "DESCRIBE FUNCTION SUBSTRING",
        "EXPLAIN CTAS_OUT_1",
        "EXPLAIN SELECT * FROM S EMIT CHANGES",
        "EXPLAIN CTAS_OUT_1 FORMAT DOT",
        "EXPLAIN SELECT * FROM S FORMAT DOT",
        "EXPLAIN INSERT INTO S SELECT * FROM T EMIT CHANGES FORMAT DOT",
        "TERMINATE ALL",
        "PAUSE Q1",
        "RESUME ALL",
        "DROP TABLE IF EXISTS T DELETE TOPIC",
        "CREATE TYPE IF NOT EXISTS ADDRESS AS STRUCT<STREET STRING, NUM INTEGER>",
        "DROP TYPE ADDRESS",
        "ALTER STREAM S ADD COLUMN C INTEGER, ADD COLUMN D ARRAY<STRING>",
        "PRINT 'my-topic' FROM BEGINNING INTERVAL 2 LIMIT 10",
        "SET 'auto.offset.reset' = 'earliest'",
        "UNSET 'auto.offset.reset'",
        "DEFINE X = 'y'",
        "UNDEFINE X",
        "RUN SCRIPT '/tmp/x.sql'",
        "CREATE SINK CONNECTOR IF NOT EXISTS C WITH ('connector.class'='x')",
        "DROP CONNECTOR IF EXISTS C",
        "ASSERT NOT EXISTS TOPIC 'abc' WITH (PARTITIONS=1) TIMEOUT 3 SECONDS",
        "INSERT INTO S (A, `b`) VALUES (1, -2.5)",
        "INSERT INTO S SELECT * FROM T EMIT CHANGES",
        "CREATE SOURCE TABLE T (K STRING PRIMARY KEY) WITH (KAFKA_TOPIC='t')",
    ] {
        let statement = parse_statement(text).unwrap_or_else(|e| panic!("{text}\n{e}"));
        assert_eq!(statement.to_string(), text);
    }
}

#[test]
fn errors_point_at_the_token_and_list_what_was_expected() {
    let err = parse_statements("SELECT *\nFROM s WHERE").expect_err("incomplete");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "line 2, column 13: expected one of NOT, an expression, found end of input"
        ),
        "{text}"
    );
    let err = parse_statements("SHOW STREEMS;").expect_err("typo");
    let text = err.to_string();
    assert!(
        text.contains("expected one of STREAMS, TABLES, QUERIES"),
        "{text}"
    );
    assert!(text.contains("found 'STREEMS'"), "{text}");
    assert!(text.ends_with("  SHOW STREEMS;\n       ^"), "{text}");
}

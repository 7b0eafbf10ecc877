//! Seeded randomized tests: 100,000+ generated and mutated statements never panic, and
//! randomly generated expression trees print to text that parses back to the same tree.

use runnel::sql::ast::{
    BinaryOp, Expr, FunctionArgs, Ident, Literal, StatementKind, UnaryOp, WhenThen,
};
use runnel::sql::{SqlType, parse_statements};

/// A small deterministic generator (xorshift64*), so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SEEDS: &[&str] = &[
    "CREATE STREAM S (ID INT KEY, NAME STRING, V ARRAY<MAP<STRING, DECIMAL(4,2)>>) WITH (kafka_topic='t', value_format='JSON');",
    "CREATE TABLE T (ID BIGINT PRIMARY KEY, C STRUCT<A INT, `b` STRING>) WITH (kafka_topic='t', format='JSON', partitions=-1);",
    "CREATE STREAM O AS SELECT s.id, CAST(x AS DOUBLE) AS d, a->b[1] FROM S s LEFT JOIN T t WITHIN (1 SECOND, 2 HOURS) GRACE PERIOD 3 MINUTES ON s.id = t.id WHERE x BETWEEN 1 AND 2.50 PARTITION BY s.id EMIT CHANGES;",
    "CREATE TABLE A AS SELECT k, COUNT(*), SUM(DISTINCT v) FROM S WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS, RETENTION 1 DAY, GRACE PERIOD 0 SECONDS) GROUP BY k HAVING COUNT(*) > 1 EMIT FINAL;",
    "SELECT * FROM T WHERE K IN (1, 2, 3) AND NAME NOT LIKE 'a%' ESCAPE '!' OR X IS NOT DISTINCT FROM Y LIMIT 10;",
    "INSERT INTO S (ID, NAME) VALUES (1, 'x' || 'y');",
    "SELECT TRANSFORM(arr, x => x + 1), REDUCE(arr, 0, (s, x) => s + x), MAP('a' := 1), STRUCT(F := 1.5E3), ARRAY[1, -2] FROM S EMIT CHANGES;",
    "SELECT CASE WHEN a > 1 THEN 'x' WHEN a IS NULL THEN 'y' ELSE 'z' END, CASE a WHEN 1 THEN 2 END FROM S;",
    "SHOW STREAMS EXTENDED; LIST TOPICS; DESCRIBE EXTENDED S; EXPLAIN SELECT * FROM S; TERMINATE ALL;",
    "DROP STREAM IF EXISTS S DELETE TOPIC; CREATE TYPE ADDR AS STRUCT<STREET STRING>; ALTER TABLE T ADD COLUMN C INT;",
    "PRINT 'topic' FROM BEGINNING INTERVAL 2 LIMIT 3; SET 'auto.offset.reset'='earliest'; DEFINE x = 'y'; RUN SCRIPT 'f.sql';",
    "CREATE SOURCE CONNECTOR IF NOT EXISTS c WITH ('connector.class'='x'); ASSERT NOT EXISTS TOPIC t TIMEOUT 3 SECONDS;",
    "SELECT ROWTIME, WINDOWSTART FROM S WINDOW SESSION (30 SECONDS) WHERE NOT a = b AND -(-x) * 3 % 2 <> 0 EMIT CHANGES;",
];

const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "->",
    "=>",
    ":=",
    "||",
    "+",
    "-",
    "*",
    "/",
    "%",
    "=",
    "<>",
    "<",
    ">=",
    "'",
    "`",
    "\"",
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "CASE",
    "WHEN",
    "THEN",
    "END",
    "CAST",
    "AS",
    "ARRAY",
    "MAP",
    "STRUCT",
    "WITHIN",
    "WINDOW",
    "EMIT",
    "x",
    "1",
    "1.5",
    "1E400",
    "99999999999999999999",
    "'s'",
    "NULL",
    "${v}",
    "--",
    "/*",
    "\n",
    "DECIMAL(99,1)",
    "ARRAY<",
    ">>",
    "EMIT CHANGES",
    "GROUP BY",
    "JOIN",
    "ON",
    "é",
    "\u{0}",
];

/// Applies one random edit to `text` at a char boundary.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    let head: String = chars[..at].iter().collect();
    let tail: String = chars[at..].iter().collect();
    match rng.below(5) {
        0 => format!(
            "{head}{}",
            tail.chars().skip(1 + rng.below(4)).collect::<String>()
        ),
        1 => format!("{head} {} {tail}", rng.pick(TOKENS)),
        2 => head,
        3 => format!("{head}{}{tail}", rng.pick(TOKENS)),
        _ => {
            let other = rng.below(chars.len() + 1);
            let (a, b) = (at.min(other), at.max(other));
            let middle: String = chars[a..b].iter().collect();
            format!(
                "{}{middle}{middle}{}",
                chars[..a].iter().collect::<String>(),
                chars[b..].iter().collect::<String>()
            )
        }
    }
}

#[test]
fn a_hundred_thousand_generated_and_mutated_statements_never_panic() {
    let mut rng = Rng(0x5EED_2026_0001);
    let mut parsed = 0usize;
    let mut rejected = 0usize;
    let total = 100_000;
    for i in 0..total {
        let mut text = (*rng.pick(SEEDS)).to_string();
        if i % 10 == 0 {
            text = random_expression_statement(&mut rng);
        }
        for _ in 0..=rng.below(4) {
            text = mutate(&mut rng, &text);
        }
        match parse_statements(&text) {
            Ok(_) => parsed += 1,
            Err(err) => {
                // Every error must render with a position.
                assert!(err.to_string().starts_with("line "), "{err}");
                rejected += 1;
            }
        }
    }
    println!("{parsed} parsed, {rejected} rejected");
    assert_eq!(parsed + rejected, total);
    assert!(
        parsed > 0 && rejected > 0,
        "mutations should produce both outcomes"
    );
}

#[test]
fn deep_nesting_returns_an_error() {
    let reasonable = format!("SELECT {}1{} FROM S;", "(".repeat(60), ")".repeat(60));
    assert!(
        parse_statements(&reasonable).is_ok(),
        "60 levels still parse"
    );
    for (open, close) in [
        ("(", ")"),
        ("ARRAY[", "]"),
        ("-", ""),
        ("NOT ", ""),
        ("ABS(", ")"),
    ] {
        let text = format!(
            "SELECT {}1{} FROM S;",
            open.repeat(5_000),
            close.repeat(5_000)
        );
        assert!(parse_statements(&text).is_err(), "{open}");
    }
    let ty = format!(
        "CREATE STREAM S (A {}INT{});",
        "ARRAY<".repeat(5_000),
        ">".repeat(5_000)
    );
    assert!(parse_statements(&ty).is_err());
}

fn ident(rng: &mut Rng) -> Ident {
    Ident::new(*rng.pick(&["A", "B", "COL_1", "x y", "lower", "END", "ROWTIME"]))
}

fn literal(rng: &mut Rng) -> Literal {
    match rng.below(8) {
        0 => Literal::Null,
        1 => Literal::Boolean(rng.below(2) == 0),
        2 => Literal::Int((rng.next() >> 33) as i32),
        3 => Literal::BigInt((rng.next() >> 1) as i64 | (1 << 40)),
        4 => Literal::Decimal(format!("{}.{:02}", rng.below(1000), rng.below(100))),
        5 => Literal::Double((rng.next() >> 11) as f64 / 1e3),
        _ => Literal::String((*rng.pick(&["", "it's", "a%b", "\\"])).to_string()),
    }
}

/// A random, well-formed expression tree up to `depth` levels deep.
fn expression(rng: &mut Rng, depth: usize) -> Expr {
    if depth == 0 {
        return match rng.below(3) {
            0 => Expr::Literal(literal(rng)),
            1 => Expr::Column {
                source: None,
                name: ident(rng),
            },
            _ => Expr::Column {
                source: Some(ident(rng)),
                name: ident(rng),
            },
        };
    }
    let d = depth - 1;
    let boxed = |rng: &mut Rng| Box::new(expression(rng, d));
    match rng.below(16) {
        0 => Expr::Binary {
            left: boxed(rng),
            op: *rng.pick(&[
                BinaryOp::Or,
                BinaryOp::And,
                BinaryOp::Eq,
                BinaryOp::NotEq,
                BinaryOp::Lt,
                BinaryOp::GtEq,
                BinaryOp::Plus,
                BinaryOp::Minus,
                BinaryOp::Multiply,
                BinaryOp::Divide,
                BinaryOp::Modulo,
                BinaryOp::Concat,
            ]),
            right: boxed(rng),
        },
        1 => Expr::Unary {
            op: *rng.pick(&[UnaryOp::Not, UnaryOp::Minus, UnaryOp::Plus]),
            expr: boxed(rng),
        },
        2 => Expr::Between {
            expr: boxed(rng),
            negated: rng.below(2) == 0,
            low: boxed(rng),
            high: boxed(rng),
        },
        3 => Expr::InList {
            expr: boxed(rng),
            negated: rng.below(2) == 0,
            list: vec![expression(rng, d), expression(rng, d)],
        },
        4 => Expr::Like {
            expr: boxed(rng),
            negated: rng.below(2) == 0,
            pattern: boxed(rng),
            escape: (rng.below(2) == 0).then(|| boxed(rng)),
        },
        5 => Expr::IsNull {
            expr: boxed(rng),
            negated: rng.below(2) == 0,
        },
        6 => Expr::IsDistinctFrom {
            left: boxed(rng),
            negated: rng.below(2) == 0,
            right: boxed(rng),
        },
        7 => Expr::Case {
            operand: (rng.below(2) == 0).then(|| boxed(rng)),
            branches: vec![WhenThen {
                when: expression(rng, d),
                then: expression(rng, d),
            }],
            else_result: (rng.below(2) == 0).then(|| boxed(rng)),
        },
        8 => Expr::Cast {
            expr: boxed(rng),
            ty: rng
                .pick(&[
                    SqlType::Int,
                    SqlType::decimal(5, 2),
                    SqlType::Array(Box::new(SqlType::String)),
                ])
                .clone(),
        },
        9 => Expr::Function {
            name: Ident::new("F"),
            args: if rng.below(4) == 0 {
                FunctionArgs::Star
            } else {
                FunctionArgs::List {
                    distinct: rng.below(3) == 0,
                    args: vec![expression(rng, d)],
                }
            },
        },
        10 => Expr::Array(vec![expression(rng, d), expression(rng, d)]),
        11 => Expr::Map(vec![(expression(rng, d), expression(rng, d))]),
        12 => Expr::Struct(vec![(ident(rng), expression(rng, d))]),
        13 => Expr::Subscript {
            base: boxed(rng),
            index: boxed(rng),
        },
        14 => Expr::Dereference {
            base: boxed(rng),
            field: ident(rng),
        },
        _ => Expr::Function {
            name: Ident::new("TRANSFORM"),
            args: FunctionArgs::List {
                distinct: false,
                args: vec![
                    expression(rng, d),
                    Expr::Lambda {
                        params: vec![Ident::new("X"), Ident::new("Y")],
                        body: boxed(rng),
                    },
                ],
            },
        },
    }
}

fn random_expression_statement(rng: &mut Rng) -> String {
    let depth = 1 + rng.below(5);
    let expr = expression(rng, depth);
    format!(
        "SELECT {expr} AS OUT FROM S WHERE {} EMIT CHANGES;",
        expression(rng, 2)
    )
}

#[test]
fn random_expression_trees_print_and_parse_back() {
    let mut rng = Rng(0x0DD_BA11);
    for _ in 0..5_000 {
        let depth = 1 + rng.below(5);
        let expr = expression(&mut rng, depth);
        let text = format!("SELECT {expr} FROM S;");
        let statements =
            parse_statements(&text).unwrap_or_else(|e| panic!("{text}\n{e}\n{expr:?}"));
        let StatementKind::Query(query) = &statements[0].kind else {
            panic!("not a query: {text}");
        };
        let runnel::sql::ast::SelectItem::Expr { expr: parsed, .. } = &query.select[0] else {
            panic!("not an expression: {text}");
        };
        assert_eq!(parsed, &expr, "{text}");
    }
}

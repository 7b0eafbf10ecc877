//! The scanner checked against the serde path, and its number and string primitives.

use proptest::prelude::*;

use super::*;
use crate::format::cell::Cell;
use crate::format::json_decode::decode_json_row_into;

fn row_type() -> SqlType {
    let field = |name: &str, ty: SqlType| StructField {
        name: name.into(),
        ty,
    };
    SqlType::Struct(vec![
        field("ID", SqlType::BigInt),
        field("name", SqlType::String),
        field("D", SqlType::decimal(4, 2)),
        field("X", SqlType::Double),
        field("I", SqlType::Int),
        field("B", SqlType::Boolean),
        field("Arr", SqlType::Array(Box::new(SqlType::Int))),
        field("T", SqlType::Timestamp),
    ])
}

type Decoded<'a> = Result<(bool, Vec<Cell<'a>>), String>;

fn by_serde<'a>(bytes: &'a [u8], row_type: &SqlType) -> Decoded<'a> {
    let SqlType::Struct(fields) = row_type else {
        return Err("not a struct".into());
    };
    let mut row = vec![Cell::Null; fields.len()];
    let present = decode_json_row_into(bytes, row_type, &mut row)?;
    Ok((present, row))
}

/// The scanner with the serde fallback, as the decoder runs it.
fn by_scanner<'a>(bytes: &'a [u8], row_type: &SqlType) -> (Scan, Decoded<'a>) {
    let SqlType::Struct(fields) = row_type else {
        return (Scan::Fallback, Err("not a struct".into()));
    };
    let mut row = vec![Scalar::Null; fields.len()];
    let scan = JsonRowScanner::new(fields).scan_into(bytes, &mut row);
    let cells = || row.iter().map(|s| s.into_cell()).collect();
    let decoded = match scan {
        Scan::Object => Ok((true, cells())),
        Scan::Null => Ok((false, cells())),
        Scan::Fallback => by_serde(bytes, row_type),
    };
    (scan, decoded)
}

#[test]
fn flat_records_are_scanned_without_the_serde_path() {
    let ty = row_type();
    let record = br#" {"ID": -12, "NAME":"x", "d": 1.5, "X": 2e3, "i": 7, "B": true, "extra": "y", "T": null} "#;
    let (scan, decoded) = by_scanner(record, &ty);
    assert_eq!(scan, Scan::Object);
    assert_eq!(
        decoded,
        Ok((
            true,
            vec![
                Cell::BigInt(-12),
                Cell::Str(Cow::Borrowed("x")),
                Cell::Decimal(150),
                Cell::Double(2000.0),
                Cell::Int(7),
                Cell::Bool(true),
                Cell::Null,
                Cell::Null,
            ]
        ))
    );
    assert_eq!(by_scanner(b"null", &ty).0, Scan::Null);
}

#[test]
fn short_floats_take_the_exact_path_and_others_do_not() {
    assert_eq!(exact_float(b"123.45"), Some(123.45));
    assert_eq!(
        exact_float(b"-0.0").map(f64::to_bits),
        Some((-0.0f64).to_bits())
    );
    assert_eq!(exact_float(b"25E-1"), Some(2.5));
    assert_eq!(exact_float(b"1e22"), Some(1e22));
    assert_eq!(exact_float(b"1e23"), None);
    assert_eq!(exact_float(b"9007199254740993.0"), None);
    assert_eq!(exact_float(b"1e00001"), None);
}

#[test]
fn unusual_records_fall_back_to_the_serde_path() {
    let ty = row_type();
    for record in [
        &br#"{"Arr": [1]}"#[..],
        br#"{"name": "a\"b"}"#,
        br#"{"ID": true}"#,
        br#"{"ID": 1,}"#,
        br#"{"ID": 01}"#,
        br#"{"ID": 1} x"#,
        br#"{"ID": 99999999999999999999}"#,
        b"[1]",
        b"{\"name\": \"\xff\"}",
    ] {
        assert_eq!(by_scanner(record, &ty).0, Scan::Fallback, "{record:?}");
    }
    // `-0` is a float to serde_json, hence "-0.0" in a STRING column: a number
    // into a STRING allocates its text, which the scanner leaves to serde.
    let ty = SqlType::Struct(vec![StructField {
        name: "S".into(),
        ty: SqlType::String,
    }]);
    assert_eq!(
        by_scanner(br#"{"S": -0}"#, &ty),
        (Scan::Fallback, by_serde(br#"{"S": -0}"#, &ty))
    );
}

#[test]
fn a_name_json_escapes_is_matched_as_the_serde_path_matches_it() {
    let ty = SqlType::Struct(vec![
        StructField {
            name: "A\\".into(),
            ty: SqlType::Int,
        },
        StructField {
            name: "B".into(),
            ty: SqlType::Int,
        },
    ]);
    for record in [
        br#"{"A\\":1,"B":2}"#.as_slice(),
        br#"{"A\"":1,"B":2}"#.as_slice(),
        br#"{"B":2,"A\\":1}"#.as_slice(),
    ] {
        let (_, scanned) = by_scanner(record, &ty);
        assert_eq!(
            scanned,
            by_serde(record, &ty),
            "{}",
            String::from_utf8_lossy(record)
        );
    }
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ID"),
        Just("id"),
        Just("name"),
        Just("NAME"),
        Just("D"),
        Just("x"),
        Just("I"),
        Just("B"),
        Just("arr"),
        Just("T"),
        Just("other"),
        Just("n\\u0061me"),
        Just("Na\\\"me"),
        Just("IDX"),
        Just("I\\u0044"),
    ]
    .prop_map(|k| format!("\"{k}\""))
}

fn json_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        (-300i64..300).prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:e}")),
        (-1000.0f64..1000.0).prop_map(|v| v.to_string()),
        Just("-0".to_string()),
        Just("-0.0".to_string()),
        Just("1E400".to_string()),
        Just("-".to_string()),
        Just("1.".to_string()),
        Just("00".to_string()),
        Just("12345678901234567890123".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("-9223372036854775809".to_string()),
        float_literal(),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("null".to_string()),
        Just("nul".to_string()),
        "[a-zA-Z0-9 .é-]{0,8}".prop_map(|s| format!("\"{s}\"")),
        Just("\"12\"".to_string()),
        Just("\"TRUE\"".to_string()),
        Just("\"1.25\"".to_string()),
        Just("\"a\\nb\"".to_string()),
        Just("\"tab\there\"".to_string()),
        Just("[1, 2]".to_string()),
        Just("{\"a\": 1}".to_string()),
    ]
}

fn whitespace() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(""),
        Just(" "),
        Just("\n\t"),
        Just("\r "),
        Just("\u{a0}")
    ]
}

fn json_object() -> impl Strategy<Value = String> {
    prop::collection::vec((json_key(), json_scalar(), whitespace()), 0..10).prop_map(|fields| {
        let body: Vec<String> = fields
            .into_iter()
            .map(|(key, value, ws)| format!("{ws}{key}{ws}:{ws}{value}{ws}"))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

/// Valid objects, and the same objects damaged: truncated, or with a byte replaced.
fn json_record() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_object().prop_map(String::into_bytes),
        (json_object(), any::<prop::sample::Index>()).prop_map(|(text, cut)| {
            let bytes = text.into_bytes();
            let cut = cut.index(bytes.len() + 1);
            bytes[..cut].to_vec()
        }),
        (json_object(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(text, at, byte)| {
            let mut bytes = text.into_bytes();
            if !bytes.is_empty() {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            bytes
        }),
        (json_object(), "[ ,x}]{0,2}").prop_map(|(text, tail)| (text + &tail).into_bytes()),
    ]
}

/// Float literals around the edges of the exact path: long mantissas, exponents
/// near 22, leading and trailing zeros.
fn float_literal() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        "[0-9]{1,22}",
        "[0-9]{0,22}",
        prop::option::of((
            prop_oneof![Just("e"), Just("E")],
            "[+-]?",
            -30i32..30,
            "0{0,4}",
        )),
    )
        .prop_map(|(negative, int, fraction, exponent)| {
            let int = int.trim_start_matches('0');
            let int = if int.is_empty() { "0" } else { int };
            let mut text = format!("{}{int}", if negative { "-" } else { "" });
            if !fraction.is_empty() {
                text.push('.');
                text.push_str(&fraction);
            }
            if let Some((e, sign, value, zeros)) = exponent {
                let sign = if value < 0 { "-" } else { sign.as_str() };
                text.push_str(&format!("{e}{sign}{zeros}{}", value.unsigned_abs()));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn exact_floats_equal_serde_json_s(literal in float_literal()) {
        let by_serde = serde_json::from_str::<f64>(&literal).ok();
        if let Some(exact) = exact_float(literal.as_bytes()) {
            prop_assert_eq!(Some(exact.to_bits()), by_serde.map(f64::to_bits), "{}", literal);
        }
    }

    #[test]
    fn numbers_are_read_as_serde_json_reads_them(literal in float_literal()) {
        let mut cursor = Cursor { text: &literal, bytes: literal.as_bytes(), at: 0 };
        let first = literal.as_bytes()[0];
        match cursor.number(first) {
            Some(Number::Float(value)) => {
                let by_serde = serde_json::from_str::<f64>(&literal).ok();
                prop_assert_eq!(Some(value.to_bits()), by_serde.map(f64::to_bits), "{}", literal);
            }
            Some(Number::Integer(value)) => {
                let by_serde = serde_json::from_str::<serde_json::Value>(&literal).ok();
                let as_integer = by_serde.and_then(|v| v.as_i64().map(i128::from).or(v.as_u64().map(i128::from)));
                prop_assert_eq!(Some(value), as_integer, "{}", literal);
            }
            // Only an integer serde_json reads as a float (beyond i64 or u64) is left
            // to the serde path.
            None => {
                let by_serde = serde_json::from_str::<serde_json::Value>(&literal).ok();
                prop_assert!(by_serde.is_some_and(|v| v.is_f64()), "{}", literal);
                prop_assert!(!literal.contains(['.', 'e', 'E']), "{}", literal);
                return Ok(());
            }
        }
        prop_assert_eq!(cursor.at, literal.len(), "{}", literal);
    }

    #[test]
    fn short_byte_strings_compare_as_slices_do(
        a in prop::collection::vec(0u8..3, 0..20),
        b in prop::collection::vec(0u8..3, 0..20),
    ) {
        prop_assert_eq!(same_short_bytes(&a, &b), a == b);
        prop_assert!(same_short_bytes(&a, &a));
    }

    #[test]
    fn string_end_finds_the_first_quote_backslash_or_control_byte(
        bytes in prop::collection::vec(
            prop_oneof![
                4 => 0x20u8..0x7f,
                1 => Just(b'"'),
                1 => Just(b'\\'),
                1 => 0u8..0x20,
                1 => 0x80u8..=0xff,
            ],
            0..40,
        )
    ) {
        let expected = bytes.iter().position(|b| *b == b'"' || *b == b'\\' || *b < 0x20);
        prop_assert_eq!(string_end(&bytes), expected);
    }

    #[test]
    fn the_scanner_decodes_as_the_serde_path_does(record in json_record()) {
        let ty = row_type();
        let (_, scanned) = by_scanner(&record, &ty);
        prop_assert_eq!(scanned, by_serde(&record, &ty));
    }
}

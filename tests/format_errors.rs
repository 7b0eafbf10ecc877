//! Malformed records give a per-row error naming what failed, and never disturb the
//! other rows of the batch.

use arrow::array::{Array, Int32Array, Int64Array, StringArray};
use runnel::format::{Column, FormatKind, FormatSpec, RecordDecoder, SerdePart};
use runnel::sql::SqlType;

fn decoder(kind: FormatKind, part: SerdePart, columns: &[Column]) -> RecordDecoder {
    RecordDecoder::try_new(&FormatSpec::new(kind), part, columns).expect("valid schema")
}

fn two_columns() -> Vec<Column> {
    vec![
        Column::new("ID", SqlType::Int),
        Column::new("NAME", SqlType::String),
    ]
}

#[test]
fn json_errors_are_per_row_and_null_payloads_are_tombstones() {
    let decoder = decoder(FormatKind::Json, SerdePart::Value, &two_columns());
    let payloads: Vec<Option<&[u8]>> = vec![
        Some(br#"{"id": 1, "name": "a"}"#),
        Some(br#"{"ID": 2, "NAME": "#),
        Some(br#"{"ID": "two", "NAME": "b"}"#),
        None,
        Some(b"\xff\xfe"),
        Some(br#"{"ID": true}"#),
        Some(br#"{"NAME": "c"}"#),
        Some(b"null"),
    ];
    let decoded = decoder.decode(&payloads).expect("arrays build");
    assert_eq!(decoded.num_rows(), payloads.len());
    let failed: Vec<usize> = decoded.errors.iter().map(|e| e.row).collect();
    assert_eq!(failed, vec![1, 2, 4, 5]);
    assert!(
        decoded.errors[0].message.contains("EOF while parsing"),
        "{:?}",
        decoded.errors[0]
    );
    assert!(
        decoded.errors[1]
            .message
            .contains("Can't coerce string to type. targetType: INTEGER")
    );
    assert!(
        decoded.errors[3]
            .message
            .contains("Can't convert type. sourceType: BooleanNode, requiredType: INTEGER")
    );
    assert_eq!(
        decoded.null_records,
        vec![false, false, false, true, false, false, false, true]
    );
    let mask = decoded.decoded_mask();
    assert_eq!(
        mask.iter().map(|v| v == Some(true)).collect::<Vec<_>>(),
        vec![true, false, false, true, false, false, true, true]
    );
    let ids = decoded.arrays[0]
        .as_any()
        .downcast_ref::<Int32Array>()
        .expect("INT column");
    let names = decoded.arrays[1]
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("STRING column");
    assert_eq!(ids.value(0), 1);
    assert_eq!(names.value(0), "a");
    assert!(ids.is_null(6) && names.value(6) == "c");
    assert!((1..6).all(|row| ids.is_null(row) && names.is_null(row)));
}

#[test]
fn kafka_checks_byte_lengths_and_utf8() {
    let ints = decoder(
        FormatKind::Kafka,
        SerdePart::Key,
        &[Column::new("K", SqlType::BigInt)],
    );
    let payloads: Vec<Option<&[u8]>> = vec![Some(&[0, 0, 0, 0, 0, 0, 1, 0]), Some(&[1, 2, 3])];
    let decoded = ints.decode(&payloads).expect("arrays build");
    assert_eq!(decoded.errors.len(), 1);
    assert_eq!(decoded.errors[0].row, 1);
    assert_eq!(
        decoded.errors[0].message,
        "Size of data received by LongDeserializer is not 8"
    );
    let values = decoded.arrays[0]
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("BIGINT column");
    assert_eq!(values.value(0), 256);

    let strings = decoder(
        FormatKind::Kafka,
        SerdePart::Value,
        &[Column::new("V", SqlType::String)],
    );
    let decoded = strings
        .decode(&[Some(b"ok"), Some(b"\xc3\x28")])
        .expect("arrays build");
    assert_eq!(decoded.errors.len(), 1);
    assert!(decoded.errors[0].message.contains("not valid UTF-8"));
}

#[test]
fn delimited_reports_field_counts_and_bad_numbers() {
    let decoder = decoder(FormatKind::Delimited, SerdePart::Value, &two_columns());
    let payloads: Vec<Option<&[u8]>> = vec![
        Some(b"1,a"),
        Some(b"1,a,b"),
        Some(b"x,a"),
        Some(b"\"1,a"),
        Some(b","),
    ];
    let decoded = decoder.decode(&payloads).expect("arrays build");
    let messages: Vec<(usize, &str)> = decoded
        .errors
        .iter()
        .map(|e| (e.row, e.message.as_str()))
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert_eq!(
        messages[0],
        (1, "Unexpected field count, csvFields:3 schemaFields:2")
    );
    assert_eq!(messages[1].0, 2);
    assert!(messages[1].1.contains("column `ID`"));
    assert_eq!(messages[2].0, 3);
    let ids = decoded.arrays[0]
        .as_any()
        .downcast_ref::<Int32Array>()
        .expect("INT column");
    assert!(ids.is_null(4) && ids.value(0) == 1);
}

//! DELIMITED records: one CSV line (RFC 4180 quoting) with a configurable separator.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::sql::SqlType;

use super::cell::Cell;
use super::coerce::text_to_cell;
use super::schema::Column;
use super::text::{base64_encode, write_decimal, write_java_double};

/// One field of a line: its text with quotes removed, and whether it was quoted.
#[derive(Debug, PartialEq)]
struct CsvField<'a> {
    text: Cow<'a, str>,
    quoted: bool,
}

fn split_line(line: &str, delimiter: char) -> Result<Vec<CsvField<'_>>, String> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(after_quote) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut remaining = after_quote;
            loop {
                let Some(end) = remaining.find('"') else {
                    return Err(format!(
                        "unterminated quoted field in delimited record: {line:?}"
                    ));
                };
                text.push_str(&remaining[..end]);
                remaining = &remaining[end + 1..];
                // A doubled quote is a literal quote inside the field.
                match remaining.strip_prefix('"') {
                    Some(after) => {
                        text.push('"');
                        remaining = after;
                    }
                    None => break,
                }
            }
            fields.push(CsvField {
                text: Cow::Owned(text),
                quoted: true,
            });
            if remaining.is_empty() {
                return Ok(fields);
            }
            match remaining.strip_prefix(delimiter) {
                Some(after) => rest = after,
                None => {
                    return Err(format!(
                        "invalid char between encapsulated token and delimiter in delimited record: {line:?}"
                    ));
                }
            }
        } else {
            match rest.find(delimiter) {
                Some(end) => {
                    fields.push(CsvField {
                        text: Cow::Borrowed(&rest[..end]),
                        quoted: false,
                    });
                    rest = &rest[end + delimiter.len_utf8()..];
                }
                None => {
                    fields.push(CsvField {
                        text: Cow::Borrowed(rest),
                        quoted: false,
                    });
                    return Ok(fields);
                }
            }
        }
    }
}

/// Decodes one DELIMITED record into a cell per column; an empty unquoted field is null.
pub fn decode_delimited<'a>(
    bytes: &'a [u8],
    delimiter: char,
    columns: &[Column],
) -> Result<Vec<Cell<'a>>, String> {
    let line = std::str::from_utf8(bytes)
        .map_err(|e| format!("delimited record is not valid UTF-8: {e}"))?;
    let line = line.trim_end_matches(['\r', '\n']);
    let fields = split_line(line, delimiter)?;
    if fields.len() != columns.len() {
        return Err(format!(
            "Unexpected field count, csvFields:{} schemaFields:{}",
            fields.len(),
            columns.len()
        ));
    }
    fields
        .into_iter()
        .zip(columns)
        .map(|(field, column)| {
            if field.text.is_empty() && !field.quoted {
                Ok(Cell::Null)
            } else {
                text_to_cell(field.text, &column.ty)
                    .map_err(|e| format!("column `{}`: {e}", column.name))
            }
        })
        .collect()
}

/// The text of a scalar cell as DELIMITED writes it; `None` for null.
fn field_text(cell: &Cell<'_>, ty: &SqlType) -> Result<Option<String>, String> {
    let mut out = String::new();
    match cell {
        Cell::Null => return Ok(None),
        Cell::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Cell::Int(v) | Cell::Date(v) | Cell::Time(v) => {
            let _ = write!(out, "{v}");
        }
        Cell::BigInt(v) | Cell::Timestamp(v) => {
            let _ = write!(out, "{v}");
        }
        Cell::Double(v) => write_java_double(*v, &mut out),
        Cell::Decimal(v) => {
            let scale = match ty {
                SqlType::Decimal { scale, .. } => *scale,
                _ => 0,
            };
            write_decimal(*v, scale, &mut out);
        }
        Cell::Str(s) => out.push_str(s),
        Cell::Bytes(b) => base64_encode(b, &mut out),
        Cell::List(_) | Cell::Map(_) | Cell::Struct(_) => {
            return Err(format!(
                "The 'DELIMITED' format does not support type '{ty}'"
            ));
        }
    }
    Ok(Some(out))
}

/// Whether a field needs quotes, following Apache Commons CSV's minimal quoting (which
/// ksqlDB uses): a record starting with a non-alphanumeric character, a field starting at
/// or below `#`, containing a quote, a line break or the separator, or ending in whitespace.
fn needs_quotes(text: &str, first_in_record: bool, delimiter: char) -> bool {
    let Some(first) = text.chars().next() else {
        return first_in_record;
    };
    if first_in_record && !first.is_ascii_alphanumeric() {
        return true;
    }
    if first <= '#' {
        return true;
    }
    if text
        .chars()
        .any(|c| c == '\n' || c == '\r' || c == '"' || c == delimiter)
    {
        return true;
    }
    text.chars().last().is_some_and(|c| c <= ' ')
}

/// Encodes one record; null fields are written as nothing.
pub fn encode_delimited(
    cells: &[Cell<'_>],
    columns: &[Column],
    delimiter: char,
) -> Result<String, String> {
    let mut out = String::new();
    for (i, (cell, column)) in cells.iter().zip(columns).enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        if let Some(text) = field_text(cell, &column.ty)? {
            if needs_quotes(&text, i == 0, delimiter) {
                out.push('"');
                out.push_str(&text.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&text);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(types: &[SqlType]) -> Vec<Column> {
        types
            .iter()
            .enumerate()
            .map(|(i, t)| Column::new(format!("C{i}"), t.clone()))
            .collect()
    }

    #[test]
    fn splits_quoted_fields_and_custom_separators() {
        let columns = cols(&[SqlType::String, SqlType::Int, SqlType::String]);
        assert_eq!(
            decode_delimited(br#""a,""b",7,"#, ',', &columns),
            Ok(vec![
                Cell::Str(Cow::Owned("a,\"b".into())),
                Cell::Int(7),
                Cell::Null
            ])
        );
        assert_eq!(
            decode_delimited(b"x\t1\t\"\"", '\t', &columns),
            Ok(vec![
                Cell::Str(Cow::Borrowed("x")),
                Cell::Int(1),
                Cell::Str(Cow::Owned(String::new()))
            ])
        );
    }

    #[test]
    fn malformed_records_fail_with_a_message() {
        let columns = cols(&[SqlType::Int, SqlType::Int]);
        assert_eq!(
            decode_delimited(b"1,2,3", ',', &columns),
            Err("Unexpected field count, csvFields:3 schemaFields:2".to_string())
        );
        assert!(decode_delimited(b"\"1,2", ',', &columns).is_err());
        assert!(decode_delimited(b"a,2", ',', &columns).is_err_and(|e| e.contains("column `C0`")));
        assert!(decode_delimited(b"\xff,2", ',', &columns).is_err());
    }

    #[test]
    fn quotes_like_commons_csv() {
        let columns = cols(&[SqlType::decimal(33, 16)]);
        assert_eq!(
            encode_delimited(&[Cell::Decimal(-123451200000000000000)], &columns, ','),
            Ok("\"-12345.1200000000000000\"".to_string())
        );
        let columns = cols(&[SqlType::String, SqlType::String, SqlType::String]);
        let cells = [
            Cell::Str(Cow::Borrowed("zero")),
            Cell::Str(Cow::Borrowed("a|b")),
            Cell::Null,
        ];
        assert_eq!(
            encode_delimited(&cells, &columns, '|'),
            Ok("zero|\"a|b\"|".to_string())
        );
    }
}

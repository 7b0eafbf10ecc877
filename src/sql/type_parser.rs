//! The type and duration sub-languages (`STRUCT<A INT, B ARRAY<STRING>>`, `10 SECONDS`), in nom.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1, multispace0, multispace1};
use nom::error::ErrorKind;
use nom::{IResult, Parser};

use super::ast::{Duration, TimeUnit};
use super::error::{ParseError, Position, Result};
use super::keywords::is_reserved;
use super::parser::MAX_NESTING;
use super::types::{MAX_DECIMAL_PRECISION, SqlType, StructField};

/// A type-syntax error at the input that remained when it was found.
#[derive(Debug)]
struct TypeError<'a> {
    input: &'a str,
    message: String,
}

impl<'a> nom::error::ParseError<&'a str> for TypeError<'a> {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        TypeError {
            input,
            message: format!("invalid type ({})", kind.description()),
        }
    }

    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

type TypeResult<'a, T> = IResult<&'a str, T, TypeError<'a>>;

fn failure<'a, T>(input: &'a str, message: impl Into<String>) -> TypeResult<'a, T> {
    Err(nom::Err::Failure(TypeError {
        input,
        message: message.into(),
    }))
}

/// Parses a whole type string such as `STRUCT<A INT, B ARRAY<STRING>>`.
pub fn parse_type(text: &str) -> Result<SqlType> {
    let (ty, consumed) =
        type_prefix(text).map_err(|(offset, message)| error_at(text, offset, message))?;
    let rest = text.get(consumed..).unwrap_or("");
    if !rest.trim().is_empty() {
        let offset = consumed + (rest.len() - rest.trim_start().len());
        return Err(error_at(text, offset, "expected the end of the type"));
    }
    Ok(ty)
}

/// Parses a duration such as `10 SECONDS` or `1 hour` (as in `WINDOW_SIZE='5 SECONDS'`).
pub fn parse_duration(text: &str) -> Result<Duration> {
    match duration(text) {
        Ok((rest, duration)) if rest.trim().is_empty() => Ok(duration),
        Ok((rest, _)) => Err(error_at(
            text,
            text.len() - rest.len(),
            "expected the end of the duration",
        )),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            Err(error_at(text, text.len() - e.input.len(), e.message))
        }
        Err(nom::Err::Incomplete(_)) => Err(error_at(text, text.len(), "incomplete duration")),
    }
}

/// Parses a type at the start of `text`; returns it with the number of bytes it took,
/// or the byte offset and message of the error.
pub(crate) fn type_prefix(text: &str) -> std::result::Result<(SqlType, usize), (usize, String)> {
    match sql_type(text, 0) {
        Ok((rest, ty)) => Ok((ty, text.len() - rest.len())),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            Err((text.len() - e.input.len(), e.message))
        }
        Err(nom::Err::Incomplete(_)) => Err((text.len(), "incomplete type".to_string())),
    }
}

fn error_at(text: &str, offset: usize, message: impl Into<String>) -> ParseError {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or("").chars().count() as u64 + 1;
    ParseError::syntax(message, Position::locate(text, line, column))
}

/// Grammar: sql_type
fn sql_type(input: &str, depth: usize) -> TypeResult<'_, SqlType> {
    let (input, _) = multispace0(input)?;
    if depth >= MAX_NESTING {
        return failure(
            input,
            format!("type nests deeper than {MAX_NESTING} levels"),
        );
    }
    if input.starts_with('`') || input.starts_with('"') {
        let (rest, name) = quoted_name(input)?;
        return Ok((rest, SqlType::Custom(name)));
    }
    let (rest, name) = match word(input) {
        Ok(ok) => ok,
        Err(_) => return failure(input, "expected a type"),
    };
    let upper = name.to_ascii_uppercase();
    let simple = |ty: SqlType| -> TypeResult<'_, SqlType> {
        let (rest, _) = type_parameters(rest)?;
        Ok((rest, ty))
    };
    Ok(match upper.as_str() {
        "BOOLEAN" => simple(SqlType::Boolean)?,
        "INT" | "INTEGER" => simple(SqlType::Int)?,
        "BIGINT" => simple(SqlType::BigInt)?,
        "DOUBLE" => simple(SqlType::Double)?,
        "STRING" | "VARCHAR" => simple(SqlType::String)?,
        "BYTES" => simple(SqlType::Bytes)?,
        "DATE" => simple(SqlType::Date)?,
        "TIME" => simple(SqlType::Time)?,
        "TIMESTAMP" => simple(SqlType::Timestamp)?,
        "DECIMAL" => decimal_type(rest)?,
        "ARRAY" => array_type(rest, depth)?,
        "MAP" => map_type(rest, depth)?,
        "STRUCT" => struct_type(rest, depth)?,
        _ if is_reserved(&upper) => {
            return failure(input, format!("expected a type, found '{name}'"));
        }
        _ => (rest, SqlType::Custom(upper)),
    })
}

/// ksqlDB's grammar lets a simple type carry parameters, `VARCHAR(STRING)`; they
/// change nothing. Anything else in the parentheses is an error, so `INT (KEY)` fails
/// as it does in ksqlDB.
/// Grammar: type_parameters
fn type_parameters(input: &str) -> TypeResult<'_, ()> {
    let Ok((mut rest, _)) = symbol('(', input) else {
        return Ok((input, ()));
    };
    loop {
        let (after, _) = multispace0(rest)?;
        let parameter: TypeResult<'_, &str> = digit1(after);
        rest = match parameter {
            Ok((after_digits, _)) => after_digits,
            Err(_) => match word(after) {
                Ok((after_word, w)) if w.eq_ignore_ascii_case("STRING") => after_word,
                _ => return failure(after, "expected STRING or a number"),
            },
        };
        if let Ok((after_comma, _)) = symbol(',', rest) {
            rest = after_comma;
            continue;
        }
        let (rest, _) = symbol(')', rest)?;
        return Ok((rest, ()));
    }
}

/// Grammar: decimal_type
fn decimal_type(input: &str) -> TypeResult<'_, SqlType> {
    let (input, _) = symbol('(', input)?;
    let (after_precision, precision) = number(input)?;
    let (rest, _) = symbol(',', after_precision)?;
    let (after_scale, scale) = number(rest)?;
    let (rest, _) = symbol(')', after_scale)?;
    if precision == 0 || precision > u64::from(MAX_DECIMAL_PRECISION) {
        return failure(
            input,
            format!(
                "DECIMAL precision must be between 1 and {MAX_DECIMAL_PRECISION}, found {precision}"
            ),
        );
    }
    if scale > precision {
        return failure(
            after_precision,
            format!("DECIMAL scale ({scale}) must not exceed its precision ({precision})"),
        );
    }
    // Both fit u8: precision <= 38 and scale <= precision.
    Ok((rest, SqlType::decimal(precision as u8, scale as u8)))
}

/// Grammar: array_type
fn array_type(input: &str, depth: usize) -> TypeResult<'_, SqlType> {
    let (input, _) = symbol('<', input)?;
    let (input, item) = sql_type(input, depth + 1)?;
    let (input, _) = symbol('>', input)?;
    Ok((input, SqlType::Array(Box::new(item))))
}

/// Grammar: map_type
fn map_type(input: &str, depth: usize) -> TypeResult<'_, SqlType> {
    let (input, _) = symbol('<', input)?;
    let (input, key) = sql_type(input, depth + 1)?;
    let (input, _) = symbol(',', input)?;
    let (input, value) = sql_type(input, depth + 1)?;
    let (input, _) = symbol('>', input)?;
    Ok((input, SqlType::Map(Box::new(key), Box::new(value))))
}

/// Grammar: struct_type
fn struct_type(input: &str, depth: usize) -> TypeResult<'_, SqlType> {
    let (mut input, _) = symbol('<', input)?;
    let mut fields = Vec::new();
    if let Ok((rest, _)) = symbol('>', input) {
        return Ok((rest, SqlType::Struct(fields)));
    }
    loop {
        let (rest, field) = struct_field(input, depth)?;
        fields.push(field);
        if let Ok((rest, _)) = symbol(',', rest) {
            input = rest;
            continue;
        }
        let (rest, _) = symbol('>', rest)?;
        return Ok((rest, SqlType::Struct(fields)));
    }
}

/// Grammar: struct_field
fn struct_field(input: &str, depth: usize) -> TypeResult<'_, StructField> {
    let (input, _) = multispace0(input)?;
    let (rest, name) = if input.starts_with('`') || input.starts_with('"') {
        quoted_name(input)?
    } else {
        match word(input) {
            Ok((rest, name)) => (rest, name.to_uppercase()),
            Err(_) => return failure(input, "expected a field name"),
        }
    };
    let (rest, ty) = sql_type(rest, depth + 1)?;
    Ok((rest, StructField { name, ty }))
}

/// The `duration` production for text outside a statement (`WINDOW_SIZE='5 SECONDS'`).
fn duration(input: &str) -> TypeResult<'_, Duration> {
    let (input, _) = multispace0(input)?;
    let (rest, amount) = number(input)?;
    let (rest, _) = multispace1(rest)?;
    let (after, unit_word) = word(rest)?;
    match TimeUnit::from_word(unit_word) {
        Some(unit) => Ok((after, Duration::new(amount, unit))),
        None => failure(rest, format!("expected a time unit, found '{unit_word}'")),
    }
}

/// An unquoted word: a letter or `_`, then letters, digits, `_` or `@`.
fn word(input: &str) -> TypeResult<'_, &str> {
    let (input, _) = multispace0(input)?;
    let (rest, first) = take_while1(|c: char| c.is_alphabetic() || c == '_').parse(input)?;
    let (rest, tail) =
        take_while(|c: char| c.is_alphanumeric() || c == '_' || c == '@').parse(rest)?;
    Ok((rest, &input[..first.len() + tail.len()]))
}

/// A backtick- or double-quoted name, the quote doubled inside.
fn quoted_name(input: &str) -> TypeResult<'_, String> {
    let (mut rest, quote) = alt((char('`'), char('"'))).parse(input)?;
    let mut name = String::new();
    loop {
        let (after, chunk) = take_while(|c: char| c != quote).parse(rest)?;
        name.push_str(chunk);
        let Some(after_quote) = after.strip_prefix(quote) else {
            return failure(input, "unterminated quoted name");
        };
        if let Some(after_double) = after_quote.strip_prefix(quote) {
            name.push(quote);
            rest = after_double;
        } else {
            return Ok((after_quote, name));
        }
    }
}

fn number(input: &str) -> TypeResult<'_, u64> {
    let (input, _) = multispace0(input)?;
    let (rest, digits) = digit1(input)?;
    match digits.parse::<u64>() {
        Ok(n) => Ok((rest, n)),
        Err(_) => failure(input, format!("number {digits} is too large")),
    }
}

fn symbol(expected: char, input: &str) -> TypeResult<'_, char> {
    let (input, _) = multispace0(input)?;
    let mut buf = [0u8; 4];
    match tag::<_, _, TypeError<'_>>(&*expected.encode_utf8(&mut buf)).parse(input) {
        Ok((rest, _)) => Ok((rest, expected)),
        Err(_) => failure(input, format!("expected '{expected}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_types_with_quoted_fields() {
        let ty = parse_type("STRUCT<A INT, `b` ARRAY<MAP<STRING, DECIMAL(4,2)>>>").expect("parses");
        assert_eq!(
            ty.to_string(),
            "STRUCT<A INTEGER, `b` ARRAY<MAP<STRING, DECIMAL(4, 2)>>>"
        );
        assert_eq!(parse_type(&ty.to_string()).expect("reparses"), ty);
    }

    #[test]
    fn custom_types_are_upper_cased() {
        assert_eq!(
            parse_type(" address ").expect("parses"),
            SqlType::Custom("ADDRESS".into())
        );
    }

    #[test]
    fn bad_decimal_says_why() {
        let err = parse_type("DECIMAL(3, 4)").expect_err("scale > precision");
        assert!(err.to_string().contains("must not exceed"), "{err}");
        assert!(parse_type("DECIMAL(0, 0)").is_err());
    }

    #[test]
    fn incomplete_types_fail() {
        for text in [
            "ARRAY<",
            "MAP<INT>",
            "STRUCT<A>",
            "INT garbage",
            "",
            "ARRAY<INT",
        ] {
            assert!(parse_type(text).is_err(), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}INT{}", "ARRAY<".repeat(10_000), ">".repeat(10_000));
        assert!(parse_type(&text).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("5 SECONDS").expect("parses"),
            Duration::new(5, TimeUnit::Seconds)
        );
        assert_eq!(
            parse_duration("1 hour").expect("parses").to_millis(),
            3_600_000
        );
        assert!(parse_duration("5 FORTNIGHTS").is_err());
    }
}

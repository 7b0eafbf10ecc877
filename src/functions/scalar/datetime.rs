//! Date and time functions: formatting and parsing with Java patterns, time zones,
//! epoch conversions.

use std::fmt::Write as _;
use std::str::FromStr;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use chrono::format::{Parsed, parse, parse_and_remainder};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use datafusion::common::ScalarValue;
use datafusion::error::Result as DFResult;
use datafusion::logical_expr::Volatility;

use crate::functions::error::exec_error;
use crate::functions::metadata::{FunctionMeta, is_integral, is_text};
use crate::functions::values::{as_i64, as_str};
use crate::sql::SqlType;

use super::ScalarFunction;
use super::java_format::JavaFormat;
use super::udf::{any_null, map_rows};

const CATEGORY: &str = "DATE / TIME";
const MILLIS_PER_DAY: i64 = 86_400_000;

/// `(value, STRING format [, STRING zone])` with the value of type `value`.
fn value_format_zone(
    args: &[SqlType],
    value: fn(&SqlType) -> bool,
    with_zone: bool,
    ret: SqlType,
) -> Option<SqlType> {
    match args {
        [v, f] if value(v) && is_text(f) => Some(ret),
        [v, f, z] if with_zone && value(v) && is_text(f) && is_text(z) => Some(ret),
        _ => None,
    }
}

/// The date-time functions.
pub fn functions() -> Vec<ScalarFunction> {
    vec![
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "TIMESTAMPTOSTRING",
                "Formats epoch milliseconds with a Java DateTimeFormatter pattern, in UTC or a given time zone.",
                &[
                    "TIMESTAMPTOSTRING(BIGINT epochMilli, STRING formatPattern)",
                    "TIMESTAMPTOSTRING(BIGINT epochMilli, STRING formatPattern, STRING timeZone)",
                ],
            ),
            |args| value_format_zone(args, is_integral, true, SqlType::String),
            |args, ret, rows| eval_format_instant(args, ret, rows, "TIMESTAMPTOSTRING"),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "FORMAT_TIMESTAMP",
                "Formats a TIMESTAMP with a Java DateTimeFormatter pattern, in UTC or a given time zone.",
                &[
                    "FORMAT_TIMESTAMP(TIMESTAMP timestamp, STRING formatPattern)",
                    "FORMAT_TIMESTAMP(TIMESTAMP timestamp, STRING formatPattern, STRING timeZone)",
                ],
            ),
            |args| value_format_zone(args, |t| *t == SqlType::Timestamp, true, SqlType::String),
            |args, ret, rows| eval_format_instant(args, ret, rows, "FORMAT_TIMESTAMP"),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "STRINGTOTIMESTAMP",
                "Parses a string with a Java DateTimeFormatter pattern into epoch milliseconds.",
                &[
                    "STRINGTOTIMESTAMP(STRING formattedTimestamp, STRING formatPattern)",
                    "STRINGTOTIMESTAMP(STRING formattedTimestamp, STRING formatPattern, STRING timeZone)",
                ],
            ),
            |args| value_format_zone(args, is_text, true, SqlType::BigInt),
            |args, ret, rows| eval_parse_instant(args, ret, rows, "STRINGTOTIMESTAMP"),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "PARSE_TIMESTAMP",
                "Parses a string with a Java DateTimeFormatter pattern into a TIMESTAMP.",
                &[
                    "PARSE_TIMESTAMP(STRING formattedTimestamp, STRING formatPattern)",
                    "PARSE_TIMESTAMP(STRING formattedTimestamp, STRING formatPattern, STRING timeZone)",
                ],
            ),
            |args| value_format_zone(args, is_text, true, SqlType::Timestamp),
            |args, ret, rows| eval_parse_instant(args, ret, rows, "PARSE_TIMESTAMP"),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "FORMAT_DATE",
                "Formats a DATE with a Java DateTimeFormatter pattern.",
                &["FORMAT_DATE(DATE date, STRING formatPattern)"],
            ),
            |args| value_format_zone(args, |t| *t == SqlType::Date, false, SqlType::String),
            |args, ret, rows| eval_format_days(args, ret, rows, "FORMAT_DATE"),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "DATETOSTRING",
                "Formats days since the epoch with a Java DateTimeFormatter pattern.",
                &["DATETOSTRING(INTEGER epochDays, STRING formatPattern)"],
            ),
            |args| value_format_zone(args, is_integral, false, SqlType::String),
            |args, ret, rows| eval_format_days(args, ret, rows, "DATETOSTRING"),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "PARSE_DATE",
                "Parses a string with a Java DateTimeFormatter pattern into a DATE.",
                &["PARSE_DATE(STRING formattedDate, STRING formatPattern)"],
            ),
            |args| value_format_zone(args, is_text, false, SqlType::Date),
            |args, ret, rows| eval_parse_days(args, ret, rows, "PARSE_DATE"),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "STRINGTODATE",
                "Parses a string with a Java DateTimeFormatter pattern into days since the epoch.",
                &["STRINGTODATE(STRING formattedDate, STRING formatPattern)"],
            ),
            |args| value_format_zone(args, is_text, false, SqlType::Int),
            |args, ret, rows| eval_parse_days(args, ret, rows, "STRINGTODATE"),
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "FORMAT_TIME",
                "Formats a TIME with a Java DateTimeFormatter pattern.",
                &["FORMAT_TIME(TIME time, STRING formatPattern)"],
            ),
            |args| value_format_zone(args, |t| *t == SqlType::Time, false, SqlType::String),
            eval_format_time,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "PARSE_TIME",
                "Parses a string with a Java DateTimeFormatter pattern into a TIME.",
                &["PARSE_TIME(STRING formattedTime, STRING formatPattern)"],
            ),
            |args| value_format_zone(args, is_text, false, SqlType::Time),
            eval_parse_time,
        ),
        ScalarFunction::with_volatility(
            FunctionMeta::scalar(
                CATEGORY,
                "UNIX_TIMESTAMP",
                "Milliseconds since the epoch: now, or of a given TIMESTAMP.",
                &["UNIX_TIMESTAMP()", "UNIX_TIMESTAMP(TIMESTAMP timestamp)"],
            ),
            |args| match args {
                [] | [SqlType::Timestamp] => Some(SqlType::BigInt),
                _ => None,
            },
            |args, ret, rows| match args {
                [] => now_column(ret, rows, Utc::now().timestamp_millis()),
                _ => map_rows(args, ret, rows, |row| {
                    Ok(ScalarValue::Int64(as_i64(&row[0])))
                }),
            },
            Volatility::Volatile,
        ),
        ScalarFunction::with_volatility(
            FunctionMeta::scalar(
                CATEGORY,
                "UNIX_DATE",
                "Days since the epoch: today, or of a given DATE.",
                &["UNIX_DATE()", "UNIX_DATE(DATE date)"],
            ),
            |args| match args {
                [] | [SqlType::Date] => Some(SqlType::Int),
                _ => None,
            },
            |args, ret, rows| match args {
                [] => now_column(
                    ret,
                    rows,
                    Utc::now().timestamp_millis().div_euclid(MILLIS_PER_DAY),
                ),
                _ => map_rows(args, ret, rows, |row| {
                    Ok(ScalarValue::Int32(
                        as_i64(&row[0]).and_then(|d| i32::try_from(d).ok()),
                    ))
                }),
            },
            Volatility::Volatile,
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "FROM_UNIXTIME",
                "The TIMESTAMP of epoch milliseconds.",
                &["FROM_UNIXTIME(BIGINT epochMilli)"],
            ),
            |args| matches!(args, [t] if is_integral(t)).then_some(SqlType::Timestamp),
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    Ok(ScalarValue::TimestampMillisecond(as_i64(&row[0]), None))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "FROM_DAYS",
                "The DATE of days since the epoch.",
                &["FROM_DAYS(INTEGER days)"],
            ),
            |args| matches!(args, [t] if is_integral(t)).then_some(SqlType::Date),
            |args, ret, rows| {
                map_rows(args, ret, rows, |row| {
                    Ok(ScalarValue::Date32(
                        as_i64(&row[0]).and_then(|d| i32::try_from(d).ok()),
                    ))
                })
            },
        ),
        ScalarFunction::new(
            FunctionMeta::scalar(
                CATEGORY,
                "CONVERT_TZ",
                "Converts a TIMESTAMP from one time zone to another.",
                &["CONVERT_TZ(TIMESTAMP timestamp, STRING fromTimeZone, STRING toTimeZone)"],
            ),
            |args| {
                matches!(args, [SqlType::Timestamp, a, b] if is_text(a) && is_text(b))
                    .then_some(SqlType::Timestamp)
            },
            eval_convert_tz,
        ),
    ]
}

fn now_column(ret: &DataType, rows: usize, value: i64) -> DFResult<ArrayRef> {
    let scalar = match ret {
        DataType::Int32 => ScalarValue::Int32(i32::try_from(value).ok()),
        _ => ScalarValue::Int64(Some(value)),
    };
    scalar.to_array_of_size(rows)
}

/// A time zone as Java's `ZoneId.of` accepts it: a region name, `UTC`, or an offset.
#[derive(Debug, Clone, Copy)]
pub enum Zone {
    Region(Tz),
    Fixed(FixedOffset),
}

impl Zone {
    pub fn parse(name: &str) -> Result<Zone, String> {
        if let Ok(tz) = Tz::from_str(name) {
            return Ok(Zone::Region(tz));
        }
        let offset_text = name
            .strip_prefix("UTC")
            .or_else(|| name.strip_prefix("GMT"))
            .unwrap_or(name);
        parse_offset(offset_text)
            .map(Zone::Fixed)
            .ok_or_else(|| format!("unknown time zone '{name}'"))
    }

    fn offset_at_utc(&self, utc: &NaiveDateTime) -> FixedOffset {
        match self {
            Zone::Region(tz) => tz.offset_from_utc_datetime(utc).fix(),
            Zone::Fixed(offset) => *offset,
        }
    }

    fn local_to_utc(&self, local: &NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Zone::Region(tz) => tz
                .from_local_datetime(local)
                .earliest()
                .map(|d| d.naive_utc()),
            Zone::Fixed(offset) => offset
                .from_local_datetime(local)
                .single()
                .map(|d| d.naive_utc()),
        }
    }
}

use chrono::Offset as _;

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.chars().next()? {
        '+' => (1, &text[1..]),
        '-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None if rest.len() <= 2 => (rest.parse::<i32>().ok()?, 0),
        None if rest.len() == 4 => (
            rest[..2].parse::<i32>().ok()?,
            rest[2..].parse::<i32>().ok()?,
        ),
        None => return None,
    };
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Keeps the compiled pattern and zone of the previous row (they are nearly always literals).
#[derive(Default)]
struct Compiled {
    format: Option<JavaFormat>,
    zone: Option<(String, Zone)>,
}

impl Compiled {
    fn format(&mut self, name: &str, pattern: &str) -> DFResult<&JavaFormat> {
        if self.format.as_ref().is_none_or(|f| f.pattern != pattern) {
            self.format = Some(JavaFormat::compile(pattern).map_err(|e| exec_error(name, e))?);
        }
        self.format
            .as_ref()
            .ok_or_else(|| exec_error(name, "format cache is empty (a bug)"))
    }

    fn zone(&mut self, name: &str, zone: Option<&ScalarValue>) -> DFResult<Zone> {
        let Some(zone_name) = zone.and_then(as_str) else {
            return Ok(Zone::Fixed(
                FixedOffset::east_opt(0).unwrap_or_else(|| Utc.fix()),
            ));
        };
        if let Some((cached, zone)) = &self.zone
            && cached == zone_name
        {
            return Ok(*zone);
        }
        let parsed = Zone::parse(zone_name).map_err(|e| exec_error(name, e))?;
        self.zone = Some((zone_name.to_string(), parsed));
        Ok(parsed)
    }
}

fn write_formatted(name: &str, formatted: impl std::fmt::Display) -> DFResult<String> {
    let mut out = String::new();
    write!(out, "{formatted}")
        .map_err(|_| exec_error(name, "the pattern asks for a field the value does not have"))?;
    Ok(out)
}

/// Formats epoch milliseconds in `zone`.
pub fn format_instant(
    name: &str,
    millis: i64,
    format: &JavaFormat,
    zone: Zone,
) -> DFResult<String> {
    let utc = DateTime::<Utc>::from_timestamp_millis(millis)
        .ok_or_else(|| exec_error(name, format!("timestamp {millis} is out of range")))?
        .naive_utc();
    let offset = zone.offset_at_utc(&utc);
    let local = DateTime::<FixedOffset>::from_naive_utc_and_offset(utc, offset);
    write_formatted(name, local.format_with_items(format.items.iter()))
}

/// Parses text into its fields; missing date fields default to 1970-01-01 and missing
/// time fields to midnight. Returns the local date-time and any offset the text gave.
/// With `allow_trailing_text`, text after the pattern is ignored (ksqlDB's PARSE_DATE).
fn parse_fields(
    name: &str,
    text: &str,
    format: &JavaFormat,
    allow_trailing_text: bool,
) -> DFResult<(NaiveDateTime, Option<i32>)> {
    let mut parsed = Parsed::new();
    let invalid = |e: chrono::format::ParseError| {
        exec_error(
            name,
            format!(
                "text '{text}' does not match pattern '{}': {e}",
                format.pattern
            ),
        )
    };
    if allow_trailing_text {
        parse_and_remainder(&mut parsed, text, format.items.iter()).map_err(invalid)?;
    } else {
        parse(&mut parsed, text, format.items.iter()).map_err(invalid)?;
    }
    if parsed.year().is_none() {
        match parsed.year_mod_100() {
            // Java's `yy` reads a year of 2000-2099.
            Some(_) => parsed.set_year_div_100(20).map_err(invalid)?,
            None => parsed.set_year(1970).map_err(invalid)?,
        }
    }
    if parsed.month().is_none() && parsed.ordinal().is_none() {
        parsed.set_month(1).map_err(invalid)?;
    }
    if parsed.day().is_none() && parsed.ordinal().is_none() {
        parsed.set_day(1).map_err(invalid)?;
    }
    if parsed.hour_mod_12().is_none() {
        parsed.set_hour(0).map_err(invalid)?;
    } else if parsed.hour_div_12().is_none() {
        parsed.set_ampm(false).map_err(invalid)?;
    }
    if parsed.minute().is_none() {
        parsed.set_minute(0).map_err(invalid)?;
    }
    if parsed.second().is_none() {
        parsed.set_second(0).map_err(invalid)?;
    }
    let date = parsed.to_naive_date().map_err(invalid)?;
    let time = parsed.to_naive_time().map_err(invalid)?;
    Ok((NaiveDateTime::new(date, time), parsed.offset()))
}

/// Parses text into epoch milliseconds, reading it in `zone` unless it carries an offset.
pub fn parse_instant(name: &str, text: &str, format: &JavaFormat, zone: Zone) -> DFResult<i64> {
    let (local, offset) = parse_fields(name, text, format, false)?;
    let utc = match offset {
        Some(seconds) => local
            .checked_sub_signed(chrono::TimeDelta::seconds(i64::from(seconds)))
            .ok_or_else(|| exec_error(name, format!("'{text}' is out of range")))?,
        None => zone
            .local_to_utc(&local)
            .ok_or_else(|| exec_error(name, format!("'{text}' does not exist in the time zone")))?,
    };
    Ok(utc.and_utc().timestamp_millis())
}

fn eval_format_instant(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    name: &'static str,
) -> DFResult<ArrayRef> {
    let mut compiled = Compiled::default();
    map_rows(args, ret, rows, |row| {
        if any_null(row) {
            return Ok(ScalarValue::Null);
        }
        let (Some(millis), Some(pattern)) = (as_i64(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let zone = compiled.zone(name, row.get(2))?;
        let format = compiled.format(name, pattern)?;
        Ok(ScalarValue::Utf8(Some(format_instant(
            name, millis, format, zone,
        )?)))
    })
}

fn eval_parse_instant(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    name: &'static str,
) -> DFResult<ArrayRef> {
    let mut compiled = Compiled::default();
    let timestamp = matches!(ret, DataType::Timestamp(..));
    map_rows(args, ret, rows, |row| {
        if any_null(row) {
            return Ok(ScalarValue::Null);
        }
        let (Some(text), Some(pattern)) = (as_str(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let zone = compiled.zone(name, row.get(2))?;
        let format = compiled.format(name, pattern)?;
        let millis = parse_instant(name, text, format, zone)?;
        Ok(if timestamp {
            ScalarValue::TimestampMillisecond(Some(millis), None)
        } else {
            ScalarValue::Int64(Some(millis))
        })
    })
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn eval_format_days(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    name: &'static str,
) -> DFResult<ArrayRef> {
    let mut compiled = Compiled::default();
    map_rows(args, ret, rows, |row| {
        let (Some(days), Some(pattern)) = (as_i64(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let format = compiled.format(name, pattern)?;
        let date = chrono::TimeDelta::try_days(days)
            .and_then(|delta| epoch().checked_add_signed(delta))
            .ok_or_else(|| exec_error(name, format!("date {days} is out of range")))?;
        Ok(ScalarValue::Utf8(Some(write_formatted(
            name,
            date.format_with_items(format.items.iter()),
        )?)))
    })
}

fn eval_parse_days(
    args: &[ArrayRef],
    ret: &DataType,
    rows: usize,
    name: &'static str,
) -> DFResult<ArrayRef> {
    let mut compiled = Compiled::default();
    let date_type = matches!(ret, DataType::Date32);
    map_rows(args, ret, rows, |row| {
        let (Some(text), Some(pattern)) = (as_str(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let format = compiled.format(name, pattern)?;
        // ksqlDB's PARSE_DATE stops where the pattern ends (the corpus parses
        // '2003-12-24-01-01' with 'yyyy-MM-dd').
        let (local, _) = parse_fields(name, text, format, true)?;
        let days = i32::try_from((local.date() - epoch()).num_days())
            .map_err(|_| exec_error(name, format!("date '{text}' is out of range")))?;
        Ok(if date_type {
            ScalarValue::Date32(Some(days))
        } else {
            ScalarValue::Int32(Some(days))
        })
    })
}

fn eval_format_time(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    let mut compiled = Compiled::default();
    map_rows(args, ret, rows, |row| {
        let (Some(millis), Some(pattern)) = (as_i64(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let format = compiled.format("FORMAT_TIME", pattern)?;
        let time = u32::try_from(millis)
            .ok()
            .and_then(|ms| {
                NaiveTime::from_num_seconds_from_midnight_opt(ms / 1000, (ms % 1000) * 1_000_000)
            })
            .ok_or_else(|| exec_error("FORMAT_TIME", format!("time {millis} is out of range")))?;
        Ok(ScalarValue::Utf8(Some(write_formatted(
            "FORMAT_TIME",
            time.format_with_items(format.items.iter()),
        )?)))
    })
}

fn eval_parse_time(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    let mut compiled = Compiled::default();
    map_rows(args, ret, rows, |row| {
        let (Some(text), Some(pattern)) = (as_str(&row[0]), as_str(&row[1])) else {
            return Ok(ScalarValue::Null);
        };
        let format = compiled.format("PARSE_TIME", pattern)?;
        let (local, _) = parse_fields("PARSE_TIME", text, format, false)?;
        let time = local.time();
        let millis = time.num_seconds_from_midnight() * 1000 + time.nanosecond() / 1_000_000;
        Ok(ScalarValue::Time32Millisecond(i32::try_from(millis).ok()))
    })
}

fn eval_convert_tz(args: &[ArrayRef], ret: &DataType, rows: usize) -> DFResult<ArrayRef> {
    let mut from_zone = Compiled::default();
    let mut to_zone = Compiled::default();
    map_rows(args, ret, rows, |row| {
        if any_null(row) {
            return Ok(ScalarValue::Null);
        }
        let Some(millis) = as_i64(&row[0]) else {
            return Ok(ScalarValue::Null);
        };
        let from = from_zone.zone("CONVERT_TZ", row.get(1))?;
        let to = to_zone.zone("CONVERT_TZ", row.get(2))?;
        // The value is a wall-clock time in `from`; the result is the same instant's
        // wall-clock time in `to`.
        let local = DateTime::<Utc>::from_timestamp_millis(millis)
            .ok_or_else(|| exec_error("CONVERT_TZ", format!("timestamp {millis} is out of range")))?
            .naive_utc();
        let utc = from.local_to_utc(&local).ok_or_else(|| {
            exec_error("CONVERT_TZ", "the time does not exist in the source zone")
        })?;
        let target = utc
            .checked_add_signed(chrono::TimeDelta::seconds(i64::from(
                to.offset_at_utc(&utc).local_minus_utc(),
            )))
            .ok_or_else(|| exec_error("CONVERT_TZ", "the result is out of range"))?;
        Ok(ScalarValue::TimestampMillisecond(
            Some(target.and_utc().timestamp_millis()),
            None,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> Zone {
        Zone::parse("UTC").expect("UTC exists")
    }

    #[test]
    fn formats_and_parses_instants() {
        let format = JavaFormat::compile("yyyy-MM-dd HH:mm:ss.SSS").expect("valid");
        assert_eq!(
            format_instant("T", 1_526_075_913_000, &format, utc()).expect("formats"),
            "2018-05-11 21:58:33.000"
        );
        let la = Zone::parse("America/Los_Angeles").expect("zone exists");
        assert_eq!(
            format_instant("T", 1_526_075_913_000, &format, la).expect("formats"),
            "2018-05-11 14:58:33.000"
        );
        assert_eq!(
            parse_instant("T", "2018-05-11 21:58:33.000", &format, utc()).expect("parses"),
            1_526_075_913_000
        );
        let zoned = JavaFormat::compile("yyyy-MM-dd HH:mm:ss Z").expect("valid");
        assert_eq!(
            format_instant("T", 1_580_318_385_000, &zoned, utc()).expect("formats"),
            "2020-01-29 17:19:45 +0000"
        );
        let with_offset = JavaFormat::compile("yyyy-MM-dd'T'HH:mm:ssXXX").expect("valid");
        assert_eq!(
            parse_instant("T", "2018-05-11T23:58:33+02:00", &with_offset, utc()).expect("parses"),
            1_526_075_913_000
        );
    }

    #[test]
    fn parses_dates_and_rejects_mismatches() {
        let format = JavaFormat::compile("yyyy-MM-dd").expect("valid");
        let (date, _) = parse_fields("PARSE_DATE", "2003-12-24", &format, false).expect("parses");
        assert_eq!((date.date() - epoch()).num_days(), 12410);
        assert!(parse_fields("PARSE_DATE", "2004", &format, false).is_err());
        assert!(parse_fields("PARSE_DATE", "2003-12-24-01", &format, false).is_err());
        let (date, _) =
            parse_fields("PARSE_DATE", "2003-12-24-01-01", &format, true).expect("stops early");
        assert_eq!((date.date() - epoch()).num_days(), 12410);
        let two_digit = JavaFormat::compile("dd/MM/yy").expect("valid");
        let (date, _) = parse_fields("PARSE_DATE", "24/12/03", &two_digit, false).expect("yy");
        assert_eq!((date.date() - epoch()).num_days(), 12410);
        let year_only = JavaFormat::compile("yyyy").expect("valid");
        let (date, _) =
            parse_fields("PARSE_DATE", "2004", &year_only, false).expect("defaults month and day");
        assert_eq!((date.date() - epoch()).num_days(), 12418);
    }

    #[test]
    fn zones_accept_offsets() {
        assert!(Zone::parse("+05:30").is_ok());
        assert!(Zone::parse("UTC-08:00").is_ok());
        assert!(Zone::parse("Mars/Olympus").is_err());
    }
}

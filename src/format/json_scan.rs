//! A one-pass JSON object scanner for the common record shape, falling back to serde otherwise.
//!
//! Most records are a flat object of scalars whose keys name columns. The scanner reads
//! such an object in one pass, borrowing strings without escapes, and coerces each value
//! with the same functions as the serde path. Anything else — nested values, escapes,
//! malformed input, a value that does not coerce — makes it give up ([`Scan::Fallback`]),
//! and the caller decodes the record with the serde path, which owns every error message.
//! The scanner therefore never reports an error of its own.
//!
//! Values land in a row of [`Scalar`]s, which own nothing, and the record's UTF-8 is
//! validated once, not once per string.

use std::borrow::Cow;

use crate::sql::{SqlType, StructField};

use super::coerce::text_to_cell;
use super::json_decode::{bool_to_cell, field_index, float_to_cell, integer_to_cell};
use super::scalar::Scalar;

/// What scanning one record gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The record is an object whose fields are in the row now.
    Object,
    /// The record is the literal `null`.
    Null,
    /// The record needs the serde path; the row holds leftovers.
    Fallback,
}

/// The column types a value lands in without a coercion; the others go through the
/// serde path's coercion functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direct {
    String,
    BigInt,
    Int,
    Double,
    Boolean,
    Coerced,
}

impl Direct {
    fn of(ty: &SqlType) -> Self {
        match ty {
            SqlType::String => Direct::String,
            SqlType::BigInt => Direct::BigInt,
            SqlType::Int => Direct::Int,
            SqlType::Double => Direct::Double,
            SqlType::Boolean => Direct::Boolean,
            _ => Direct::Coerced,
        }
    }
}

/// The field lookup of one row type, prepared once.
#[derive(Debug, Clone)]
pub struct JsonRowScanner {
    fields: Vec<StructField>,
    directs: Vec<Direct>,
    /// Per field, its name and the closing quote, when the name appears in JSON exactly
    /// as its bytes (no character JSON escapes): only then can a key be recognised by
    /// comparing bytes.
    quoted_names: Vec<Option<Box<[u8]>>>,
}

impl JsonRowScanner {
    pub fn new(fields: &[StructField]) -> Self {
        JsonRowScanner {
            fields: fields.to_vec(),
            directs: fields.iter().map(|f| Direct::of(&f.ty)).collect(),
            quoted_names: fields
                .iter()
                .map(|f| {
                    let name = f.name.as_bytes();
                    string_end(name).is_none().then(|| {
                        let mut quoted = name.to_vec();
                        quoted.push(b'"');
                        quoted.into_boxed_slice()
                    })
                })
                .collect(),
        }
    }

    /// The key at the cursor (on its opening quote) when it is the guessed field's
    /// name written plainly: one comparison instead of a scan for the closing quote.
    fn guessed_key(&self, cursor: &mut Cursor<'_>, guess: usize) -> Option<usize> {
        let quoted = self.quoted_names.get(guess)?.as_deref()?;
        let start = cursor.at + 1;
        let end = start + quoted.len();
        if same_short_bytes(cursor.bytes.get(start..end)?, quoted) {
            cursor.at = end;
            Some(guess)
        } else {
            None
        }
    }

    /// Scans `bytes` into `row` (one scalar per field, all null on entry).
    pub fn scan_into<'a>(&self, bytes: &'a [u8], row: &mut [Scalar<'a>]) -> Scan {
        // One validation of the whole record lets every string be sliced out of it; a
        // record that is not UTF-8 is the serde path's to word.
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Scan::Fallback;
        };
        let mut cursor = Cursor { text, bytes, at: 0 };
        let present = match self.scan_document(&mut cursor, row) {
            Some(present) => present,
            None => return Scan::Fallback,
        };
        match (cursor.token(), present) {
            (Some(_), _) => Scan::Fallback,
            (None, true) => Scan::Object,
            (None, false) => Scan::Null,
        }
    }

    /// `Some(true)` after an object, `Some(false)` after `null`, `None` to fall back.
    fn scan_document<'a>(&self, cursor: &mut Cursor<'a>, row: &mut [Scalar<'a>]) -> Option<bool> {
        match cursor.token()? {
            b'n' => {
                cursor.literal(b"null")?;
                return Some(false);
            }
            b'{' => cursor.at += 1,
            _ => return None,
        }
        let mut token = cursor.token()?;
        if token == b'}' {
            cursor.at += 1;
            return Some(true);
        }
        // Records of one stream list their fields in one order: guessing the field
        // after the last one found makes the usual lookup one comparison.
        let mut next_guess = 0;
        loop {
            if token != b'"' {
                return None;
            }
            let field = match self.guessed_key(cursor, next_guess) {
                Some(guessed) => Some(guessed),
                None => {
                    let key = cursor.plain_string()?;
                    self.field_index_from(key, next_guess)
                }
            };
            if cursor.token()? != b':' {
                return None;
            }
            cursor.at += 1;
            let first = cursor.token()?;
            match field {
                Some(i) => {
                    let (field, direct) = (self.fields.get(i)?, *self.directs.get(i)?);
                    let value = cursor.scalar(first, &field.ty, direct)?;
                    if let Some(slot) = row.get_mut(i) {
                        *slot = value;
                    }
                    next_guess = i + 1;
                }
                None => cursor.skip_scalar(first)?,
            }
            match cursor.token()? {
                b',' => {
                    cursor.at += 1;
                    token = cursor.token()?;
                }
                b'}' => {
                    cursor.at += 1;
                    return Some(true);
                }
                _ => return None,
            }
        }
    }

    /// The same lookup as the serde path: the guessed field by exact name, else the
    /// first exact match, else the first match ignoring ASCII case.
    fn field_index_from(&self, key: &str, guess: usize) -> Option<usize> {
        match self.fields.get(guess) {
            Some(field) if field.name == key => Some(guess),
            _ => field_index(&self.fields, key),
        }
    }
}

/// Whether two byte strings are equal, comparing short ones (keys, mostly) a word at a
/// time rather than through a call to `memcmp`.
fn same_short_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 16 {
        return a == b;
    }
    // Two possibly overlapping chunks cover the whole of a string of 8 to 16 bytes (4 to
    // 8 with the smaller chunks).
    if let (Some(a_first), Some(a_last), Some(b_first), Some(b_last)) = (
        a.first_chunk::<8>(),
        a.last_chunk::<8>(),
        b.first_chunk::<8>(),
        b.last_chunk::<8>(),
    ) {
        return a_first == b_first && a_last == b_last;
    }
    if let (Some(a_first), Some(a_last), Some(b_first), Some(b_last)) = (
        a.first_chunk::<4>(),
        a.last_chunk::<4>(),
        b.first_chunk::<4>(),
        b.last_chunk::<4>(),
    ) {
        return a_first == b_first && a_last == b_last;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// A position in one record, validated UTF-8.
struct Cursor<'a> {
    text: &'a str,
    /// `text` as bytes.
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// The byte of the next token, after any whitespace; `None` at the end.
    #[inline(always)]
    fn token(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        // Compact records have no whitespace between tokens: the common case is one test.
        if byte > b' ' {
            return Some(byte);
        }
        self.token_after_whitespace()
    }

    fn token_after_whitespace(&mut self) -> Option<u8> {
        loop {
            match *self.bytes.get(self.at)? {
                b' ' | b'\n' | b'\t' | b'\r' => self.at += 1,
                byte => return Some(byte),
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        if self.bytes.get(self.at..end)? != word {
            return None;
        }
        self.at = end;
        Some(())
    }

    /// A string at the cursor (on its opening quote) without escapes or control
    /// characters, borrowed; `None` for any other string.
    fn plain_string(&mut self) -> Option<&'a str> {
        let start = self.at + 1;
        let rest = self.bytes.get(start..)?;
        let length = string_end(rest)?;
        if rest[length] != b'"' {
            return None;
        }
        // Both ends are ASCII quotes, hence character boundaries.
        let text = self.text.get(start..start + length)?;
        self.at = start + length + 1;
        Some(text)
    }

    /// A scalar value, whose first byte is `first`, coerced to `ty`; `None` for a nested
    /// value, one that does not coerce (the serde path words that error) or one whose
    /// coercion allocates (a number into a STRING column: rare, left to the serde path).
    fn scalar(&mut self, first: u8, ty: &SqlType, direct: Direct) -> Option<Scalar<'a>> {
        let cell = match first {
            b'"' => {
                let text = self.plain_string()?;
                if direct == Direct::String {
                    return Some(Scalar::Str(text));
                }
                text_to_cell(Cow::Borrowed(text), ty).ok()?
            }
            b'n' => {
                self.literal(b"null")?;
                return Some(Scalar::Null);
            }
            b't' => {
                self.literal(b"true")?;
                if direct == Direct::Boolean {
                    return Some(Scalar::Bool(true));
                }
                bool_to_cell(true, ty).ok()?
            }
            b'f' => {
                self.literal(b"false")?;
                if direct == Direct::Boolean {
                    return Some(Scalar::Bool(false));
                }
                bool_to_cell(false, ty).ok()?
            }
            b'-' | b'0'..=b'9' => match (self.number(first)?, direct) {
                (Number::Integer(value), Direct::BigInt) => {
                    return i64::try_from(value).ok().map(Scalar::BigInt);
                }
                (Number::Integer(value), Direct::Int) => {
                    return i32::try_from(value).ok().map(Scalar::Int);
                }
                (Number::Float(value), Direct::Double) => return Some(Scalar::Double(value)),
                (Number::Integer(value), _) => integer_to_cell(value, ty).ok()?,
                (Number::Float(value), _) => float_to_cell(value, ty).ok()?,
            },
            _ => return None,
        };
        Scalar::from_cell(cell)
    }

    /// Steps over a scalar value, whose first byte is `first`, of a field no column names.
    fn skip_scalar(&mut self, first: u8) -> Option<()> {
        match first {
            b'"' => self.plain_string().map(|_| ()),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'-' | b'0'..=b'9' => self.number(first).map(|_| ()),
            _ => None,
        }
    }

    /// A number in JSON's grammar, whose first byte is `first`, read as serde_json reads
    /// it: an integer that fits in i64 (negative) or u64, else a float; `None` when
    /// malformed or when an integer does not fit (serde_json's float for it is left to
    /// the serde path). The digits are read once: the value accumulates as they are.
    fn number(&mut self, first: u8) -> Option<Number> {
        let start = self.at;
        let negative = first == b'-';
        if negative {
            self.at += 1;
        }
        let integer_start = self.at;
        let (mut mantissa, integer_digits) = match self.bytes.get(self.at)? {
            b'0' => {
                self.at += 1;
                (0, 1)
            }
            b'1'..=b'9' => self.digits(0),
            _ => return None,
        };
        let integer_end = self.at;
        let mut fraction_digits = 0;
        let mut is_float = false;
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            (mantissa, fraction_digits) = self.digits(mantissa);
            if fraction_digits == 0 {
                return None;
            }
            is_float = true;
        }
        // The written exponent, when it has at most four digits (longer ones cannot land
        // within the exact powers of ten).
        let mut written_exponent = Some(0);
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            let exponent_negative = match self.bytes.get(self.at) {
                Some(b'-') => {
                    self.at += 1;
                    true
                }
                Some(b'+') => {
                    self.at += 1;
                    false
                }
                _ => false,
            };
            let (value, digits) = self.digits(0);
            written_exponent = match digits {
                0 => return None,
                1..=4 => Some(if exponent_negative {
                    -(value as i32)
                } else {
                    value as i32
                }),
                _ => None,
            };
            is_float = true;
        }
        // Nineteen decimal digits always fit in a u64: no digit wrapped the mantissa.
        let mantissa_exact = integer_digits + fraction_digits <= 19;
        if is_float {
            let literal = self.bytes.get(start..self.at)?;
            let exact = match written_exponent {
                Some(exponent) if mantissa_exact => {
                    exact_float_of(negative, mantissa, exponent - fraction_digits as i32)
                }
                // Rare: the digit-by-digit exact path over the literal, as before.
                _ => exact_float(literal),
            };
            // serde_json's own float parsing for what the exact path cannot take, so that
            // every value rounds as it does.
            return exact
                .or_else(|| serde_json::from_slice::<f64>(literal).ok())
                .map(Number::Float);
        }
        let magnitude = if mantissa_exact {
            mantissa
        } else {
            checked_integer(self.bytes.get(integer_start..integer_end)?)?
        };
        if negative {
            // serde_json reads `-0` as a float, a negative integer as i64 and anything
            // below i64 as a float (left to the serde path here).
            if magnitude == 0 {
                return Some(Number::Float(-0.0));
            }
            let value = 0i64.checked_sub_unsigned(magnitude)?;
            Some(Number::Integer(i128::from(value)))
        } else {
            Some(Number::Integer(i128::from(magnitude)))
        }
    }

    /// Steps over a run of digits, appending them to `value` (wrapping on overflow) and
    /// counting them.
    #[inline(always)]
    fn digits(&mut self, mut value: u64) -> (u64, usize) {
        let start = self.at;
        while let Some(&digit @ b'0'..=b'9') = self.bytes.get(self.at) {
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
            self.at += 1;
        }
        (value, self.at - start)
    }
}

/// The value of a run of decimal digits, `None` when it does not fit in a u64.
fn checked_integer(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |value, digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// Where a plain string's bytes end: the first quote, backslash or control character,
/// looked for eight bytes at a time (strings are most of a record's bytes).
fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // `below(x, ONES * n)` flags the bytes of x below n (for n up to 0x80), a zero byte
    // when n is 1. A borrow may flag a byte after a true one, never before one, so the
    // first flag is exact.
    let below = |x: u64, bound: u64| x.wrapping_sub(bound) & !x & HIGHS;
    let mut offset = 0;
    // `first_chunk` hands over a whole word without a call to copy it.
    while let Some(chunk) = bytes.get(offset..).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_le_bytes(*chunk);
        let special = below(word ^ (ONES * u64::from(b'"')), ONES)
            | below(word ^ (ONES * u64::from(b'\\')), ONES)
            | below(word, ONES * 0x20);
        if special != 0 {
            return Some(offset + special.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    bytes
        .get(offset..)?
        .iter()
        .position(|b| *b == b'"' || *b == b'\\' || *b < 0x20)
        .map(|at| offset + at)
}

enum Number {
    Integer(i128),
    Float(f64),
}

/// Powers of ten that a double holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A well-formed JSON float literal whose digits fit in 53 bits and whose decimal
/// exponent is within 22, as the one correctly rounded multiplication or division that
/// serde_json (and any correct parser) also computes for it; `None` for the others.
fn exact_float(literal: &[u8]) -> Option<f64> {
    let (negative, body) = match literal.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, literal),
    };
    let (digits, written_exponent) = match body.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mut mantissa: u64 = 0;
    let mut exponent: i32 = 0;
    let mut in_fraction = false;
    for &byte in digits {
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa
                    .checked_mul(10)?
                    .checked_add(u64::from(byte - b'0'))?;
                if in_fraction {
                    exponent -= 1;
                }
            }
            b'.' => in_fraction = true,
            _ => return None,
        }
    }
    if let Some(written) = written_exponent {
        let (sign, digits) = match written.split_first() {
            Some((b'-', digits)) => (-1, digits),
            Some((b'+', digits)) => (1, digits),
            _ => (1, written),
        };
        // Longer exponents cannot land within 22; they are left to serde_json.
        if digits.is_empty() || digits.len() > 4 {
            return None;
        }
        let mut value: i32 = 0;
        for digit in digits {
            if !digit.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i32::from(digit - b'0');
        }
        exponent += sign * value;
    }
    exact_float_of(negative, mantissa, exponent)
}

/// `±mantissa × 10^exponent` by one correctly rounded multiplication or division, when
/// the mantissa fits in 53 bits and the exponent is within 22; `None` otherwise.
fn exact_float_of(negative: bool, mantissa: u64, exponent: i32) -> Option<f64> {
    if mantissa > 1 << 53 {
        return None;
    }
    let power = *EXACT_POWERS_OF_TEN.get(exponent.unsigned_abs() as usize)?;
    let magnitude = if exponent >= 0 {
        mantissa as f64 * power
    } else {
        mantissa as f64 / power
    };
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests;

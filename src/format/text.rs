//! Text forms of scalar values shared by JSON and DELIMITED: numbers, decimals, base64.

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, as ksqlDB writes BYTES in JSON and DELIMITED.
pub fn base64_encode(bytes: &[u8], out: &mut String) {
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64_ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// Decodes standard base64 (padding optional); `None` when the text is not base64.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A single leftover base64 digit cannot encode a byte.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

/// Writes a double as Java's `Double.toString` does (`10.0`, `1.0E10`, `1.5E-4`), which is
/// how ksqlDB prints doubles in JSON and DELIMITED.
///
/// The shortest round-trip digits come from `ryu` and are laid out here in Java's
/// notation, without going through `core::fmt`.
pub fn write_java_double(value: f64, out: &mut String) {
    if let Some(plain) = plain_java_double(&mut ryu::Buffer::new(), value) {
        out.push_str(plain);
        return;
    }
    if !value.is_finite() || value == 0.0 {
        write_java_double_by_fmt(value, out);
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let Some(digits) = ShortestDigits::parse(buffer.format_finite(value)) else {
        write_java_double_by_fmt(value, out);
        return;
    };
    let (count, point) = (digits.len(), digits.point);
    if (1e-3..1e7).contains(&value.abs()) {
        if value < 0.0 {
            out.push('-');
        }
        if point <= 0 {
            out.push_str("0.");
            push_zeros(out, point.unsigned_abs() as usize);
            digits.push(out, 0, count);
        } else if point as usize >= count {
            digits.push(out, 0, count);
            push_zeros(out, point as usize - count);
            out.push_str(".0");
        } else {
            digits.push(out, 0, point as usize);
            out.push('.');
            digits.push(out, point as usize, count);
        }
        return;
    }
    if count < 2 {
        // A single shortest digit: Java's second digit is the exact value's, which the
        // formatter below knows how to round.
        write_java_double_by_fmt(value, out);
        return;
    }
    if value < 0.0 {
        out.push('-');
    }
    digits.push(out, 0, 1);
    out.push('.');
    digits.push(out, 1, count);
    out.push('E');
    push_exponent(out, point - 1);
}

/// [`write_java_double`] appended to bytes, for encoders that write bytes.
pub fn write_java_double_bytes(value: f64, out: &mut Vec<u8>) {
    if let Some(plain) = plain_java_double(&mut ryu::Buffer::new(), value) {
        out.extend_from_slice(plain.as_bytes());
        return;
    }
    let mut text = String::new();
    write_java_double(value, &mut text);
    out.extend_from_slice(text.as_bytes());
}

/// A double between 1e-3 and 1e7 in magnitude as Java prints it, which is exactly ryu's
/// text: both write the shortest digits in plain notation with at least one digit after
/// the point (`1998.0`, `0.0015`). `None` outside that range, which needs Java's layout.
fn plain_java_double(buffer: &mut ryu::Buffer, value: f64) -> Option<&str> {
    (1e-3..1e7)
        .contains(&value.abs())
        .then(|| buffer.format_finite(value))
}

/// The shortest digits of a double without leading or trailing zeros, as two pieces of
/// ryu's text (the digits before and after its decimal point), and where the decimal
/// point goes: the value is `0.DIGITS * 10^point`.
struct ShortestDigits<'a> {
    head: &'a str,
    tail: &'a str,
    point: i32,
}

impl<'a> ShortestDigits<'a> {
    /// Reads ryu's output (`123.45`, `0.001`, `1e30`, `-1.5e-7`); `None` for anything
    /// else, which the caller formats the slow way.
    fn parse(text: &'a str) -> Option<Self> {
        let text = text.strip_prefix('-').unwrap_or(text);
        let (mantissa, exponent) = match text.split_once('e') {
            Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (int, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let fraction = fraction.trim_end_matches('0');
        let int_len = i32::try_from(int.len()).ok()?;
        let digits = if int == "0" {
            let significant = fraction.trim_start_matches('0');
            let zeros = i32::try_from(fraction.len() - significant.len()).ok()?;
            ShortestDigits {
                head: "",
                tail: significant,
                point: exponent - zeros,
            }
        } else if fraction.is_empty() {
            ShortestDigits {
                head: int.trim_end_matches('0'),
                tail: "",
                point: int_len + exponent,
            }
        } else {
            ShortestDigits {
                head: int,
                tail: fraction,
                point: int_len + exponent,
            }
        };
        let well_formed = digits.len() > 0
            && !digits.head.starts_with('0')
            && (digits.head.bytes().chain(digits.tail.bytes())).all(|b| b.is_ascii_digit());
        well_formed.then_some(digits)
    }

    fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Appends digits `from..to` (of all the digits).
    fn push(&self, out: &mut String, from: usize, to: usize) {
        let split = self.head.len();
        if from < split {
            out.push_str(self.head.get(from..to.min(split)).unwrap_or(""));
        }
        if to > split {
            out.push_str(
                self.tail
                    .get(from.max(split) - split..to - split)
                    .unwrap_or(""),
            );
        }
    }
}

fn push_zeros(out: &mut String, count: usize) {
    const ZEROS: &str = "0000000000000000";
    if count <= ZEROS.len() {
        out.push_str(&ZEROS[..count]);
    } else {
        out.extend(std::iter::repeat_n('0', count));
    }
}

/// Appends a double's decimal exponent (between -324 and 308) without `core::fmt`.
fn push_exponent(out: &mut String, exponent: i32) {
    if exponent < 0 {
        out.push('-');
    }
    let magnitude = exponent.unsigned_abs();
    let mut divisor = 1;
    while magnitude / divisor >= 10 {
        divisor *= 10;
    }
    while divisor > 0 {
        out.push(char::from(b'0' + (magnitude / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// [`write_java_double`] through `core::fmt`: the reference the fast path is tested
/// against, and what it falls back to for zeros, non-finite values and single digits.
fn write_java_double_by_fmt(value: f64, out: &mut String) {
    use std::fmt::Write as _;
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
    } else if value == 0.0 || (1e-3..1e7).contains(&value.abs()) {
        let start = out.len();
        let _ = write!(out, "{value}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    } else {
        let shortest = format!("{value:e}");
        // Java always prints a digit after the point, and picks the two-digit value
        // closest to the double: they differ for subnormals (4.9E-324, not 5.0E-324).
        let sci = if shortest
            .split_once('e')
            .is_some_and(|(m, _)| !m.contains('.'))
        {
            format!("{value:.1e}")
        } else {
            shortest
        };
        let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
        out.push_str(mantissa);
        out.push('E');
        out.push_str(exponent);
    }
}

/// Writes an unscaled decimal at `scale` in plain notation, keeping trailing zeros.
pub fn write_decimal(unscaled: i128, scale: u8, out: &mut String) {
    let digits = unscaled.unsigned_abs().to_string();
    if unscaled < 0 {
        out.push('-');
    }
    let scale = usize::from(scale);
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    }
}

/// Parses decimal text (`-12.5`, `.12`, `1e3`) into an unscaled value at `scale`, refusing
/// values that need rounding or more than `precision` digits, with ksqlDB's messages.
pub fn parse_decimal(text: &str, precision: u8, scale: u8) -> Result<i128, String> {
    let invalid = || {
        format!(
            "Can't coerce string to type. targetType: DECIMAL({precision}, {scale}), value: '{text}'"
        )
    };
    let t = text.trim();
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (
            &body[..i],
            body[i + 1..].parse::<i32>().map_err(|_| invalid())?,
        ),
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    // digits * 10^(exponent - frac_len) is the exact value; shift it to the target scale.
    let digits: String = int_part.chars().chain(frac_part.chars()).collect();
    let digits = digits.trim_start_matches('0');
    let value_scale = frac_part.len() as i64 - i64::from(exponent);
    let shift = i64::from(scale) - value_scale;
    let mut unscaled_digits = digits.to_string();
    if shift >= 0 {
        if !unscaled_digits.is_empty() {
            unscaled_digits.extend(std::iter::repeat_n('0', shift as usize));
        }
    } else {
        let drop = (-shift) as usize;
        let keep = unscaled_digits.len().saturating_sub(drop);
        if unscaled_digits[keep..].bytes().any(|b| b != b'0') {
            return Err(format!(
                "Cannot fit decimal '{t}' into DECIMAL({precision}, {scale}) without rounding."
            ));
        }
        unscaled_digits.truncate(keep);
    }
    let integer_digits = unscaled_digits.len().saturating_sub(usize::from(scale));
    if unscaled_digits.len() > usize::from(precision)
        || integer_digits > usize::from(precision - scale.min(precision))
    {
        return Err(format!(
            "Numeric field overflow: A field with precision {precision} and scale {scale} must round to an absolute value less than 10^{}. Got {t}",
            precision.saturating_sub(scale)
        ));
    }
    let magnitude: i128 = if unscaled_digits.is_empty() {
        0
    } else {
        unscaled_digits.parse().map_err(|_| invalid())?
    };
    Ok(if negative { -magnitude } else { magnitude })
}

/// Converts a double to a decimal through its shortest round-tripping text, so that the
/// JSON number `10.1` becomes exactly 10.1 and not the nearest binary fraction.
pub fn decimal_from_f64(value: f64, precision: u8, scale: u8) -> Result<i128, String> {
    if !value.is_finite() {
        return Err(format!(
            "Cannot convert {value} to DECIMAL({precision}, {scale})"
        ));
    }
    parse_decimal(&format!("{value}"), precision, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        for len in 0..10u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(97)).collect();
            let mut text = String::new();
            base64_encode(&bytes, &mut text);
            assert_eq!(base64_decode(&text), Some(bytes));
        }
        let mut text = String::new();
        base64_encode(b"hello", &mut text);
        assert_eq!(text, "aGVsbG8=");
        assert_eq!(base64_decode("a?"), None);
    }

    #[test]
    fn doubles_print_like_java() {
        let show = |v: f64| {
            let mut s = String::new();
            write_java_double(v, &mut s);
            s
        };
        assert_eq!(show(10.0), "10.0");
        assert_eq!(show(654.321), "654.321");
        assert_eq!(show(1e10), "1.0E10");
        assert_eq!(show(1.5e-5), "1.5E-5");
        assert_eq!(show(-0.5), "-0.5");
        assert_eq!(show(f64::MIN_POSITIVE), "2.2250738585072014E-308");
        assert_eq!(show(4.9e-324), "4.9E-324");
        assert_eq!(show(-4.9e-324), "-4.9E-324");
        assert_eq!(show(1e22), "1.0E22");
        assert_eq!(show(0.001), "0.001");
        assert_eq!(show(9999999.5), "9999999.5");
        assert_eq!(show(1e7), "1.0E7");
        assert_eq!(show(-1.25e-7), "-1.25E-7");
        assert_eq!(show(-0.0), "-0.0");
        assert_eq!(show(f64::NAN), "NaN");
    }

    fn by_fmt(value: f64) -> String {
        let mut text = String::new();
        write_java_double_by_fmt(value, &mut text);
        text
    }

    fn by_ryu(value: f64) -> String {
        let mut text = String::new();
        write_java_double(value, &mut text);
        text
    }

    /// The two texts are the same, or both are the shortest digits of `value` and the
    /// double lies exactly half-way between them: `core::fmt` then rounds the last digit
    /// up where ryu (and Java, checked with JDK 17: `1.4236430983163342E15`) picks the
    /// even one.
    fn same_or_tie_to_even(value: f64, by_ryu: &str, by_fmt: &str) -> bool {
        if by_ryu == by_fmt {
            return true;
        }
        let (Some(ryu_last), Some(fmt_last)) = (
            by_ryu
                .find('E')
                .map_or(by_ryu, |e| &by_ryu[..e])
                .bytes()
                .last(),
            by_fmt
                .find('E')
                .map_or(by_fmt, |e| &by_fmt[..e])
                .bytes()
                .last(),
        ) else {
            return false;
        };
        by_ryu.len() == by_fmt.len()
            && by_ryu.parse::<f64>().ok() == Some(value)
            && by_fmt.parse::<f64>().ok() == Some(value)
            && ryu_last % 2 == 0
            && fmt_last.abs_diff(ryu_last) == 1
    }

    #[test]
    fn a_tie_rounds_to_even_as_java_does() {
        let value = f64::from_bits(4833553372934437049);
        assert_eq!(by_ryu(value), "1.4236430983163342E15");
        assert!(same_or_tie_to_even(value, &by_ryu(value), &by_fmt(value)));
        assert!(!same_or_tie_to_even(
            value,
            "1.4236430983163341E15",
            &by_fmt(value)
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn ryu_layout_equals_the_fmt_layout(bits in proptest::prelude::any::<u64>()) {
            let value = f64::from_bits(bits);
            let (ryu, fmt) = (by_ryu(value), by_fmt(value));
            proptest::prop_assert!(same_or_tie_to_even(value, &ryu, &fmt), "{} vs {}", ryu, fmt);
        }

        #[test]
        fn ryu_layout_equals_the_fmt_layout_on_everyday_values(
            value in -1e9f64..1e9,
            scale in -12i32..12,
        ) {
            let value = value * 10f64.powi(scale);
            let (ryu, fmt) = (by_ryu(value), by_fmt(value));
            proptest::prop_assert!(same_or_tie_to_even(value, &ryu, &fmt), "{} vs {}", ryu, fmt);
        }

        #[test]
        fn short_decimals_print_exactly_as_before(cents in -100_000_000i64..100_000_000) {
            let value = cents as f64 / 100.0;
            proptest::prop_assert_eq!(by_ryu(value), by_fmt(value));
        }
    }

    #[test]
    fn decimals_parse_and_print_at_scale() {
        let show = |v: i128, s: u8| {
            let mut out = String::new();
            write_decimal(v, s, &mut out);
            out
        };
        assert_eq!(
            parse_decimal(".12", 33, 16).map(|v| show(v, 16)),
            Ok("0.1200000000000000".into())
        );
        assert_eq!(
            parse_decimal("-12345.12", 33, 16).map(|v| show(v, 16)),
            Ok("-12345.1200000000000000".into())
        );
        assert_eq!(parse_decimal("12.0", 6, 4), Ok(120000));
        assert_eq!(parse_decimal("1e2", 6, 2), Ok(10000));
        assert_eq!(parse_decimal("0", 4, 2), Ok(0));
        assert!(parse_decimal("12.36512", 6, 4).is_err_and(|e| e.contains("without rounding")));
        assert!(parse_decimal("123.1", 4, 2).is_err_and(|e| e.contains("Numeric field overflow")));
        assert!(parse_decimal("abc", 4, 2).is_err());
        assert_eq!(decimal_from_f64(10.1, 4, 2), Ok(1010));
        assert_eq!(show(5, 3), "0.005");
    }
}

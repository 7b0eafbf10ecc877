//! ksqlDB's rounding rules (ROUND, TRUNC) on doubles and on decimal mantissas.
//!
//! ROUND rounds half up for positive values and half down for negative ones, which is
//! `Math.round`'s "ties toward positive infinity"; TRUNC rounds toward zero. Doubles are
//! rounded on their shortest decimal text, as Java's `BigDecimal.valueOf` does, so
//! `ROUND(1.005, 2)` sees the digits the user sees.

/// How the dropped digits are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundMode {
    /// Ties toward positive infinity (ksqlDB's ROUND).
    HalfUp,
    /// Toward zero (ksqlDB's TRUNC).
    TowardZero,
}

/// Rounds `value` to `places` decimal places (negative: tens, hundreds, ...).
pub fn round_f64(value: f64, places: i32, mode: RoundMode) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let text = format!("{}", value.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b.wrapping_sub(b'0'))
        .collect();
    let point = int_part.len() as i64;
    let keep = point + i64::from(places);
    if keep >= digits.len() as i64 {
        return value;
    }
    let negative = value.is_sign_negative();
    let (mut kept, first_dropped, rest_nonzero) = if keep < 0 {
        (Vec::new(), 0, digits.iter().any(|d| *d != 0))
    } else {
        let keep = keep as usize;
        (
            digits[..keep].to_vec(),
            digits[keep],
            digits[keep + 1..].iter().any(|d| *d != 0),
        )
    };
    if away_from_zero(mode, negative, first_dropped, rest_nonzero) {
        increment_digits(&mut kept);
    }
    let mantissa: String = if kept.is_empty() {
        "0".to_string()
    } else {
        kept.iter().map(|d| char::from(b'0' + d)).collect()
    };
    let sign = if negative { "-" } else { "" };
    format!("{sign}{mantissa}e{}", -i64::from(places))
        .parse()
        .unwrap_or(value)
}

fn away_from_zero(mode: RoundMode, negative: bool, first_dropped: u8, rest_nonzero: bool) -> bool {
    match mode {
        RoundMode::TowardZero => false,
        RoundMode::HalfUp if negative => first_dropped > 5 || (first_dropped == 5 && rest_nonzero),
        RoundMode::HalfUp => first_dropped >= 5,
    }
}

fn increment_digits(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, 1);
}

/// Rounds a decimal mantissa at `scale` to `places` places, returning the mantissa at
/// `out_scale` (which is `scale` or 0); `None` when the result overflows 38 digits.
pub fn round_decimal(
    mantissa: i128,
    scale: i8,
    places: i32,
    out_scale: i8,
    mode: RoundMode,
) -> Option<i128> {
    let scale = i32::from(scale);
    let drop = scale - places;
    let rounded_units = if drop <= 0 {
        // Nothing to drop: the value already has at most `places` digits.
        return rescale(mantissa, scale, i32::from(out_scale));
    } else if drop > 38 {
        0
    } else {
        let divisor = 10i128.checked_pow(drop as u32)?;
        let quotient = mantissa / divisor;
        let remainder = (mantissa % divisor).abs();
        let negative = mantissa < 0;
        let half = divisor / 2;
        let up = match mode {
            RoundMode::TowardZero => false,
            RoundMode::HalfUp if negative => remainder > half,
            RoundMode::HalfUp => remainder >= half,
        };
        if up {
            if negative { quotient - 1 } else { quotient + 1 }
        } else {
            quotient
        }
    };
    // `rounded_units` counts units of 10^-places.
    rescale(rounded_units, places, i32::from(out_scale))
}

/// The mantissa `m` at `from` scale expressed at `to` scale (exact, or `None` on overflow
/// or when digits would be lost).
fn rescale(m: i128, from: i32, to: i32) -> Option<i128> {
    if m == 0 {
        return Some(0);
    }
    if to >= from {
        m.checked_mul(10i128.checked_pow((to - from) as u32)?)
    } else {
        let divisor = 10i128.checked_pow((from - to) as u32)?;
        (m % divisor == 0).then_some(m / divisor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_doubles_like_ksqldb() {
        let cases = [
            (1.5, 0, 2.0),
            (-1.5, 0, -1.0),
            (-1.7, 0, -2.0),
            (12345.678, 2, 12345.68),
            (-12345.678, 2, -12345.68),
            (12345.678, -1, 12350.0),
            (-12345.678, -2, -12300.0),
            (111.0, -1, 110.0),
            (1.2, -1, 0.0),
            (1.234567, 10, 1.234567),
            (9.99, 1, 10.0),
        ];
        for (value, places, expected) in cases {
            assert_eq!(
                round_f64(value, places, RoundMode::HalfUp),
                expected,
                "{value} {places}"
            );
        }
    }

    #[test]
    fn truncates_doubles_toward_zero() {
        assert_eq!(round_f64(-1.7, 0, RoundMode::TowardZero), -1.0);
        assert_eq!(round_f64(12345.678, 1, RoundMode::TowardZero), 12345.6);
        assert_eq!(round_f64(-12345.678, -1, RoundMode::TowardZero), -12340.0);
        assert!(round_f64(f64::NAN, 1, RoundMode::HalfUp).is_nan());
    }

    #[test]
    fn rounds_decimal_mantissas() {
        // 12345678987654321.2345678987654321 at scale 16.
        let m: i128 = 123456789876543212345678987654321;
        assert_eq!(
            round_decimal(m, 16, 0, 0, RoundMode::HalfUp),
            Some(12345678987654321)
        );
        assert_eq!(
            round_decimal(m, 16, 2, 16, RoundMode::HalfUp),
            Some(123456789876543212300000000000000)
        );
        assert_eq!(
            round_decimal(m, 16, -2, 16, RoundMode::HalfUp),
            Some(123456789876543000000000000000000)
        );
        assert_eq!(round_decimal(-15, 1, 0, 0, RoundMode::HalfUp), Some(-1));
        assert_eq!(
            round_decimal(-17, 1, 0, 1, RoundMode::TowardZero),
            Some(-10)
        );
        assert_eq!(round_decimal(5, 1, -50, 1, RoundMode::HalfUp), Some(0));
    }
}

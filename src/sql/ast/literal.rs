//! Literal values and durations as written in the text, keeping their kind.

/// A literal value. Numbers keep the kind their spelling gives them, as in ksqlDB:
/// an integer that fits 32 bits is `Int`, a larger one `BigInt`; a number with a
/// point is `Decimal` with the precision and scale of its digits (`1.50` is
/// DECIMAL(3, 2)); a number with an exponent (`1.5E1`) is `Double`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Boolean(bool),
    Int(i32),
    BigInt(i64),
    /// The digits as written, normalized to `[digits].[digits]` without a sign or
    /// redundant leading zeros (`01.50` is kept as `1.50`).
    Decimal(String),
    Double(f64),
    String(String),
}

impl Literal {
    /// Precision and scale of a decimal literal: `1.50` is (3, 2), `0.5` is (1, 1).
    pub fn decimal_precision_scale(&self) -> Option<(u8, u8)> {
        let Literal::Decimal(text) = self else {
            return None;
        };
        let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), ""));
        let int_digits = int_part.trim_start_matches('0').len();
        let scale = frac_part.len();
        let precision = (int_digits + scale).max(1).max(scale);
        Some((
            u8::try_from(precision).unwrap_or(u8::MAX),
            u8::try_from(scale).unwrap_or(u8::MAX),
        ))
    }
}

/// A length of time as written (`10 SECONDS`); the unit is kept for printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    pub amount: u64,
    pub unit: TimeUnit,
}

impl Duration {
    pub fn new(amount: u64, unit: TimeUnit) -> Self {
        Duration { amount, unit }
    }

    /// The duration in milliseconds, saturating at `u64::MAX`.
    pub fn to_millis(&self) -> u64 {
        self.amount.saturating_mul(self.unit.millis())
    }
}

/// The units a duration may be written in (singular or plural, any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub fn millis(&self) -> u64 {
        match self {
            TimeUnit::Milliseconds => 1,
            TimeUnit::Seconds => 1_000,
            TimeUnit::Minutes => 60_000,
            TimeUnit::Hours => 3_600_000,
            TimeUnit::Days => 86_400_000,
        }
    }

    /// The unit for a word such as `SECOND`, `seconds` or `MILLISECONDS`.
    pub fn from_word(word: &str) -> Option<TimeUnit> {
        let upper = word.to_ascii_uppercase();
        let singular = upper.strip_suffix('S').unwrap_or(&upper);
        Some(match singular {
            "MILLISECOND" => TimeUnit::Milliseconds,
            "SECOND" => TimeUnit::Seconds,
            "MINUTE" => TimeUnit::Minutes,
            "HOUR" => TimeUnit::Hours,
            "DAY" => TimeUnit::Days,
            _ => return None,
        })
    }

    /// The plural keyword, as the printer writes it.
    pub fn keyword(&self) -> &'static str {
        match self {
            TimeUnit::Milliseconds => "MILLISECONDS",
            TimeUnit::Seconds => "SECONDS",
            TimeUnit::Minutes => "MINUTES",
            TimeUnit::Hours => "HOURS",
            TimeUnit::Days => "DAYS",
        }
    }
}

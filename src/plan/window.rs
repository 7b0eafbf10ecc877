//! Window definitions in milliseconds: which windows a timestamp falls in, when they close.

use crate::catalog::{WindowInfo, WindowType};
use crate::sql::ast::{WindowKind, WindowSpec};

/// ksqlDB's grace period when a window declares none: 24 hours.
pub const DEFAULT_GRACE_MS: i64 = 24 * 60 * 60 * 1000;

/// A planned window, all durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPlan {
    pub kind: WindowType,
    /// Tumbling and hopping: the window size; session: the inactivity gap.
    pub size_ms: i64,
    /// Hopping: the advance; tumbling: the size.
    pub advance_ms: i64,
    pub grace_ms: i64,
    pub retention_ms: Option<i64>,
}

/// Parses a duration as a WITH property gives it (`'1 HOUR'`, `'30 SECONDS'`, or a bare
/// number of milliseconds) into milliseconds; `None` when it is not one.
pub fn parse_duration_ms(text: &str) -> Option<i64> {
    let mut words = text.split_whitespace();
    let amount: i64 = words.next()?.parse().ok()?;
    let unit = match words.next() {
        None => 1,
        Some(unit) => match unit.to_ascii_uppercase().trim_end_matches('S') {
            "MILLISECOND" => 1,
            "SECOND" => 1_000,
            "MINUTE" => 60_000,
            "HOUR" => 3_600_000,
            "DAY" => 86_400_000,
            _ => return None,
        },
    };
    if words.next().is_some() || amount < 0 {
        return None;
    }
    amount.checked_mul(unit)
}

fn millis(d: crate::sql::ast::Duration) -> i64 {
    i64::try_from(d.to_millis()).unwrap_or(i64::MAX)
}

impl WindowPlan {
    pub fn from_spec(spec: &WindowSpec) -> Self {
        let (kind, size_ms, advance_ms) = match spec.kind {
            WindowKind::Tumbling { size } => (WindowType::Tumbling, millis(size), millis(size)),
            WindowKind::Hopping { size, advance } => {
                (WindowType::Hopping, millis(size), millis(advance))
            }
            WindowKind::Session { gap } => (WindowType::Session, millis(gap), 0),
        };
        WindowPlan {
            kind,
            size_ms,
            advance_ms,
            grace_ms: spec.grace.map(millis).unwrap_or(DEFAULT_GRACE_MS),
            retention_ms: spec.retention.map(millis),
        }
    }

    /// The window as EMIT FINAL runs it: without a GRACE PERIOD a window closes at its
    /// end (ksqlDB's final results come at window end, not a day later).
    pub fn for_emit_final(mut self, spec: &WindowSpec) -> Self {
        if spec.grace.is_none() {
            self.grace_ms = 0;
        }
        self
    }

    /// How the catalog records the window of the output's keys.
    pub fn info(&self) -> WindowInfo {
        WindowInfo {
            kind: self.kind,
            size_ms: (self.kind != WindowType::Session).then_some(self.size_ms as u64),
        }
    }

    /// The time windows `[start, end)` holding `timestamp`, earliest first (not sessions).
    /// Windows start at or after 0; a window holds its start, not its end.
    pub fn windows_holding(&self, timestamp: i64) -> impl Iterator<Item = (i64, i64)> + use<> {
        let (size, advance) = (self.size_ms, self.advance_ms);
        let valid = size > 0 && advance > 0;
        let latest = if valid {
            timestamp - timestamp.rem_euclid(advance)
        } else {
            -1
        };
        let lowest = timestamp.saturating_sub(size).saturating_add(1).max(0);
        let earliest = if latest >= lowest {
            latest - (latest - lowest) / advance.max(1) * advance
        } else {
            latest.saturating_add(1)
        };
        std::iter::successors(Some(earliest), move |start| start.checked_add(advance))
            .take_while(move |&start| start <= latest)
            .map(move |start| (start, start.saturating_add(size)))
    }

    /// The stream time at which EMIT FINAL publishes the window `(start, end)`: when a
    /// time window closes (end plus grace), or once a session can no longer grow or
    /// take late records (end plus gap plus grace, exclusive).
    pub fn final_result_due(&self, (_, end): (i64, i64)) -> i64 {
        let due = end.saturating_add(self.grace_ms);
        match self.kind {
            WindowType::Session => due.saturating_add(self.size_ms).saturating_add(1),
            _ => due,
        }
    }

    /// How long the window store keeps a time window after the latest window start
    /// written: the RETENTION, or else size plus grace. EMIT FINAL drops a closing
    /// window already past it, as Kafka Streams' window store has forgotten it.
    pub fn store_retention_ms(&self) -> i64 {
        self.retention_ms
            .unwrap_or_else(|| self.size_ms.saturating_add(self.grace_ms))
    }

    /// Whether a time window ending at `end` no longer accepts records at `stream_time`.
    pub fn is_closed(&self, end: i64, stream_time: i64) -> bool {
        end.saturating_add(self.grace_ms) <= stream_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows_for(plan: &WindowPlan, timestamp: i64) -> Vec<(i64, i64)> {
        plan.windows_holding(timestamp).collect()
    }

    fn plan(kind: WindowType, size_ms: i64, advance_ms: i64) -> WindowPlan {
        WindowPlan {
            kind,
            size_ms,
            advance_ms,
            grace_ms: 0,
            retention_ms: None,
        }
    }

    #[test]
    fn the_windows_holding_a_timestamp_are_every_window_start_that_covers_it() {
        for size in [1, 3, 5, 10] {
            for advance in [1, 2, 3, 5, 10, 12] {
                let windows = plan(WindowType::Hopping, size, advance);
                for timestamp in -12..40 {
                    let covering: Vec<(i64, i64)> = (0..=timestamp)
                        .filter(|start| start % advance == 0 && timestamp < start + size)
                        .map(|start| (start, start + size))
                        .collect();
                    assert_eq!(
                        windows_for(&windows, timestamp),
                        covering,
                        "size {size}, advance {advance}, timestamp {timestamp}"
                    );
                }
            }
        }
        assert!(windows_for(&plan(WindowType::Hopping, 0, 5), 7).is_empty());
        assert!(windows_for(&plan(WindowType::Hopping, 5, 0), 7).is_empty());
        let far = windows_for(&plan(WindowType::Tumbling, 10, 10), i64::MAX);
        assert_eq!(far.len(), 1, "{far:?}");
    }

    #[test]
    fn tumbling_and_hopping_windows_hold_the_timestamp() {
        let tumbling = plan(WindowType::Tumbling, 30_000, 30_000);
        assert_eq!(windows_for(&tumbling, 89_999), vec![(60_000, 90_000)]);
        assert_eq!(windows_for(&tumbling, 0), vec![(0, 30_000)]);
        let hopping = plan(WindowType::Hopping, 30_000, 10_000);
        assert_eq!(
            windows_for(&hopping, 25_000),
            vec![(0, 30_000), (10_000, 40_000), (20_000, 50_000)]
        );
        assert_eq!(windows_for(&hopping, 5_000), vec![(0, 30_000)]);
    }

    #[test]
    fn durations_parse_from_property_text() {
        assert_eq!(parse_duration_ms("1 HOUR"), Some(3_600_000));
        assert_eq!(parse_duration_ms("30 seconds"), Some(30_000));
        assert_eq!(parse_duration_ms("1 DAY"), Some(86_400_000));
        assert_eq!(parse_duration_ms("250"), Some(250));
        assert_eq!(parse_duration_ms("1 FORTNIGHT"), None);
        assert_eq!(parse_duration_ms("-1 SECOND"), None);
        assert_eq!(parse_duration_ms("soon"), None);
    }

    #[test]
    fn a_window_closes_when_stream_time_passes_its_end_plus_grace() {
        let mut tumbling = plan(WindowType::Tumbling, 30_000, 30_000);
        tumbling.grace_ms = 60_000;
        assert!(!tumbling.is_closed(30_000, 89_999));
        assert!(tumbling.is_closed(30_000, 90_000));
    }
}

//! Changelog codecs for the aggregate's stores: window keys and per-window states.

use std::sync::Arc;

use super::aggregate_exec::{AggregateStates, WindowKey, WindowState};
use super::group_key::read_group;
use crate::functions::aggregate::{AggregateFunction, AggregateSpec};
use crate::state::StateCodec;
use crate::state::codec::{StateReader, StateWriter};
use crate::state::key_bytes::KeyBytes;

/// A group key: its values as `ScalarsCodec` writes them (they already are).
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupKeyCodec;

impl StateCodec<KeyBytes> for GroupKeyCodec {
    fn encode(&self, value: &KeyBytes, out: &mut StateWriter) -> Result<(), String> {
        out.raw(value.as_bytes());
        Ok(())
    }
    fn decode(&self, input: &mut StateReader<'_>) -> Result<KeyBytes, String> {
        read_group(input)
    }
}

/// A group's key and its window's start.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowKeyCodec;

impl StateCodec<WindowKey> for WindowKeyCodec {
    fn encode(&self, value: &WindowKey, out: &mut StateWriter) -> Result<(), String> {
        out.raw(value.group.as_bytes());
        out.i64(value.start);
        Ok(())
    }
    fn decode(&self, input: &mut StateReader<'_>) -> Result<WindowKey, String> {
        let group = read_group(input)?;
        Ok(WindowKey::new(group, input.i64()?))
    }
}

/// One group-window: each aggregate's state (`AggregateState::to_bytes`, read back by
/// `AggregateFunction::restore`), then its largest rowtime, the stream time it was last
/// touched (for RETENTION), start and end.
#[derive(Debug, Clone)]
pub struct WindowStateCodec {
    functions: Vec<(Arc<AggregateFunction>, AggregateSpec)>,
}

impl WindowStateCodec {
    pub fn new(functions: Vec<(Arc<AggregateFunction>, AggregateSpec)>) -> Self {
        WindowStateCodec { functions }
    }
}

impl StateCodec<WindowState> for WindowStateCodec {
    fn encode(&self, value: &WindowState, out: &mut StateWriter) -> Result<(), String> {
        let count = u32::try_from(value.aggregates.len()).map_err(|_| "too many aggregates")?;
        out.u32(count);
        for aggregate in &value.aggregates {
            aggregate.write_to(out).map_err(|e| e.to_string())?;
        }
        out.i64(value.max_rowtime);
        out.i64(value.touched);
        out.i64(value.start);
        out.i64(value.end);
        Ok(())
    }

    fn decode(&self, input: &mut StateReader<'_>) -> Result<WindowState, String> {
        let count = input.u32()? as usize;
        if count != self.functions.len() {
            return Err(format!(
                "{count} aggregate states where the query has {}",
                self.functions.len()
            ));
        }
        let mut aggregates = AggregateStates::with_capacity(count);
        for (function, spec) in &self.functions {
            let bytes = input.bytes()?;
            aggregates.push(
                function
                    .restore(spec, bytes)
                    .map_err(|e| format!("{}: {e}", spec.name))?,
            );
        }
        Ok(WindowState {
            aggregates,
            max_rowtime: input.i64()?,
            touched: input.i64()?,
            start: input.i64()?,
            end: input.i64()?,
            pending: false,
        })
    }
}

/// A codec behind an `Arc`, usable where a codec is taken by value.
pub struct SharedCodec<T>(pub Arc<dyn StateCodec<T>>);

impl<T> StateCodec<T> for SharedCodec<T> {
    fn encode(&self, value: &T, out: &mut StateWriter) -> Result<(), String> {
        self.0.encode(value, out)
    }
    fn decode(&self, input: &mut StateReader<'_>) -> Result<T, String> {
        self.0.decode(input)
    }
}

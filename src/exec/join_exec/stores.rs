//! The join steps' state in changelog-backed stores: naming, codecs, and the stream time
//! a windowed step must get back after a restart.

use std::sync::Arc;

use super::{JoinExec, Row, WindowedJoinExec};
use crate::state::codec::{I64Codec, ListCodec, PairCodec, ScalarsCodec, UnitCodec};
use crate::state::{DurableStore, KeyedStore};

/// A store of rows by join key (a table side, a stream-table join's table).
fn rows_store(name: &str) -> KeyedStore<Row, Row> {
    KeyedStore::with_changelog(name, Arc::new(ScalarsCodec), Arc::new(ScalarsCodec))
}

/// A store of row lists by join key (a window buffer, the unmatched rows).
fn buffer_store(name: &str) -> KeyedStore<Row, Vec<Row>> {
    KeyedStore::with_changelog(
        name,
        Arc::new(ScalarsCodec),
        Arc::new(ListCodec(ScalarsCodec)),
    )
}

impl JoinExec {
    /// Records the step's state in the task's changelog under names prefixed by `step`
    /// (its position in the query), so that a restarted task restores it instead of
    /// refolding its inputs. Call before restoring; any state held so far is dropped.
    pub fn make_durable(&mut self, step: usize) {
        let name = |store: &str| format!("join{step}-{store}");
        match self {
            JoinExec::Windowed(exec) => {
                exec.left_rows = buffer_store(&name("left"));
                exec.right_rows = buffer_store(&name("right"));
                exec.unmatched = buffer_store(&name("unmatched"));
                exec.clock = KeyedStore::with_changelog(
                    &name("clock"),
                    Arc::new(UnitCodec),
                    Arc::new(ListCodec(I64Codec)),
                );
            }
            JoinExec::StreamTable(exec) => {
                exec.table = rows_store(&name("table"));
                // Derived from the table, which a restore is about to replace.
                exec.lookup = None;
            }
            JoinExec::TableTable(exec) => {
                exec.left_rows = KeyedStore::with_changelog(
                    &name("left"),
                    Arc::new(ScalarsCodec),
                    Arc::new(PairCodec(ScalarsCodec, ScalarsCodec)),
                );
                exec.right_rows = rows_store(&name("right"));
                // Derived from the left rows, which a restore is about to replace.
                exec.index = None;
            }
        }
    }

    /// Every store of the step, for a commit or a restore.
    pub fn stores_mut(&mut self) -> Vec<&mut dyn DurableStore> {
        match self {
            JoinExec::Windowed(exec) => vec![
                &mut exec.left_rows,
                &mut exec.right_rows,
                &mut exec.unmatched,
                &mut exec.clock,
            ],
            JoinExec::StreamTable(exec) => vec![&mut exec.table],
            JoinExec::TableTable(exec) => vec![&mut exec.left_rows, &mut exec.right_rows],
        }
    }

    /// Takes up the stream time restored into the stores (windowed steps only).
    pub fn resume_clock(&mut self) {
        if let JoinExec::Windowed(exec) = self {
            exec.load_clock();
        }
    }
}

impl WindowedJoinExec {
    fn clock_values(&self) -> Vec<i64> {
        vec![self.left_seen, self.right_seen, self.stream_time]
    }

    /// Records the stream time in the clock store when it moved (once per batch).
    pub(super) fn save_clock(&mut self) {
        let now = self.clock_values();
        if self.clock.get(&()) != Some(&now) {
            self.clock.put((), now);
        }
    }

    fn load_clock(&mut self) {
        if let Some([left, right, stream]) = self.clock.get(&()).map(Vec::as_slice) {
            (self.left_seen, self.right_seen, self.stream_time) = (*left, *right, *stream);
        }
    }
}

//! A stream-table join's table as Arrow, for the columnar stream path: each row found by
//! its join key's row-format bytes (a batch of stream keys is encoded at once and each
//! key hashed as bytes), its columns kept in batches so results are gathered with
//! `interleave` instead of cloning scalars row by row.
//!
//! It is derived from the join's keyed store, which stays the state a changelog records:
//! changed keys are queued and folded in before the next lookup, and a table rebuilt
//! from the store when it is missing (a restored step) or mostly superseded rows.

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, ArrayRef};
use arrow::compute::interleave;
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::ScalarValue;

use super::Row;
use crate::exec::error::{ExecError, Result};
use crate::exec::join_rows::conform;
use crate::state::KeyedStore;
use crate::state::key_bytes::KeyBytes;

/// Where a table row's columns are: a chunk, and a row in it.
pub type Slot = (usize, usize);

/// The NULL row of a missing table row: chunk 0 holds it.
const NULL_SLOT: Slot = (0, 0);

/// A chunk beyond this many superseded rows (and more of them than live ones) is
/// worth a rebuild.
const REBUILD_MIN_DEAD: usize = 4_096;
const MAX_CHUNKS: usize = 4_096;

pub struct LookupTable {
    key_converter: RowConverter,
    key_types: Vec<DataType>,
    /// The table's column types (those of its NULL row).
    column_types: Vec<DataType>,
    slots: HashMap<KeyBytes, Slot, foldhash::fast::RandomState>,
    /// Column-major chunks of table rows; chunk 0 is the NULL row.
    chunks: Vec<Vec<ArrayRef>>,
    /// Rows in chunks that a later version or a delete superseded.
    dead: usize,
    /// Keys changed in the store since they were last folded in.
    changed: HashSet<Row>,
}

impl LookupTable {
    /// An empty table whose keys have `key_types` and whose missing row is `nulls`.
    pub fn try_new(key_types: Vec<DataType>, nulls: &[ScalarValue]) -> Result<Self> {
        let fields = key_types.iter().cloned().map(SortField::new).collect();
        let null_chunk = nulls
            .iter()
            .map(|n| n.to_array_of_size(1))
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        Ok(LookupTable {
            key_converter: RowConverter::new(fields)?,
            key_types,
            column_types: null_chunk.iter().map(|c| c.data_type().clone()).collect(),
            slots: HashMap::default(),
            chunks: vec![null_chunk],
            dead: 0,
            changed: HashSet::new(),
        })
    }

    /// Whether stream keys of `types` can be looked up here as they are.
    pub fn keys_have_types(&self, types: &[&DataType]) -> bool {
        self.key_types.len() == types.len()
            && self.key_types.iter().zip(types).all(|(a, b)| a == *b)
    }

    /// Notes that the store's row at `key` changed.
    pub fn changed(&mut self, key: &Row) {
        if !self.changed.contains(key) {
            self.changed.insert(key.clone());
        }
    }

    /// Folds the changed keys' current rows in from `store` (every key when `all`).
    pub fn refresh(&mut self, store: &KeyedStore<Row, Row>) -> Result<()> {
        let dead_too_many = self.dead > REBUILD_MIN_DEAD && self.dead > self.slots.len();
        if dead_too_many || self.chunks.len() > MAX_CHUNKS {
            self.slots.clear();
            self.chunks.truncate(1);
            self.dead = 0;
            self.changed.clear();
            return self.fold_in(store.iter().map(|(k, v)| (k, Some(v))));
        }
        if self.changed.is_empty() {
            return Ok(());
        }
        let changed = std::mem::take(&mut self.changed);
        self.fold_in(changed.iter().map(|k| (k, store.get(k))))
    }

    /// Every row of `store`.
    pub fn load(&mut self, store: &KeyedStore<Row, Row>) -> Result<()> {
        self.fold_in(store.iter().map(|(k, v)| (k, Some(v))))
    }

    /// Points each key at its new row (appended as one chunk), or drops it when `None`.
    fn fold_in<'a>(
        &mut self,
        entries: impl Iterator<Item = (&'a Row, Option<&'a Row>)>,
    ) -> Result<()> {
        let (mut present_keys, mut present_rows, mut gone_keys) =
            (Vec::new(), Vec::new(), Vec::new());
        for (key, row) in entries {
            // A NULL key matches no stream row: it need not be found.
            if key.iter().any(ScalarValue::is_null) {
                continue;
            }
            match row {
                Some(row) => {
                    present_keys.push(key);
                    present_rows.push(row);
                }
                None => gone_keys.push(key),
            }
        }
        if !gone_keys.is_empty() {
            let encoded = self.encode_keys(&gone_keys)?;
            for key in encoded.iter() {
                if self.slots.remove(key.as_ref()).is_some() {
                    self.dead += 1;
                }
            }
        }
        if present_keys.is_empty() {
            return Ok(());
        }
        let chunk = self.chunk_of(&present_rows)?;
        let chunk_index = self.chunks.len();
        self.chunks.push(chunk);
        let encoded = self.encode_keys(&present_keys)?;
        for (row, key) in encoded.iter().enumerate() {
            let previous = self
                .slots
                .insert(KeyBytes::new(key.as_ref()), (chunk_index, row));
            if previous.is_some() {
                self.dead += 1;
            }
        }
        Ok(())
    }

    /// The rows as column arrays of the table's types.
    fn chunk_of(&self, rows: &[&Row]) -> Result<Vec<ArrayRef>> {
        let mut columns = Vec::with_capacity(self.column_types.len());
        for (c, ty) in self.column_types.iter().enumerate() {
            let values = rows.iter().map(|row| {
                row.get(c)
                    .cloned()
                    .map_or_else(|| ScalarValue::try_from(ty), Ok)
            });
            let values = values.collect::<datafusion::error::Result<Vec<_>>>()?;
            columns.push(conform(ScalarValue::iter_to_array(values)?, ty)?);
        }
        Ok(columns)
    }

    fn encode_keys(&self, keys: &[&Row]) -> Result<Rows> {
        let mut columns = Vec::with_capacity(self.key_types.len());
        for (c, ty) in self.key_types.iter().enumerate() {
            let values = keys.iter().map(|key| {
                key.get(c)
                    .cloned()
                    .ok_or_else(|| ExecError::Internal("table key is missing a column".into()))
            });
            let values = values.collect::<Result<Vec<_>>>()?;
            columns.push(conform(ScalarValue::iter_to_array(values)?, ty)?);
        }
        Ok(self.key_converter.convert_columns(&columns)?)
    }

    /// The row-format encoding of stream keys (arrays of this table's key types).
    pub fn encode_stream_keys(&self, keys: &[ArrayRef]) -> Result<Rows> {
        Ok(self.key_converter.convert_columns(keys)?)
    }

    /// Where the row of the encoded key `key` is, if the table has it.
    pub fn slot(&self, key: &[u8]) -> Option<Slot> {
        self.slots.get(key).copied()
    }

    /// The table columns of the rows at `slots` (`None`: the NULL row).
    pub fn gather(&self, slots: &[Option<Slot>]) -> Result<Vec<ArrayRef>> {
        let indices: Vec<Slot> = slots.iter().map(|s| s.unwrap_or(NULL_SLOT)).collect();
        let mut columns = Vec::with_capacity(self.column_types.len());
        for c in 0..self.column_types.len() {
            let sources: Vec<&dyn Array> =
                self.chunks.iter().map(|chunk| chunk[c].as_ref()).collect();
            columns.push(interleave(&sources, &indices)?);
        }
        Ok(columns)
    }
}

impl std::fmt::Debug for LookupTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupTable")
            .field("keys", &self.slots.len())
            .field("chunks", &self.chunks.len())
            .finish()
    }
}

//! Transient push queries: `SELECT ... EMIT CHANGES [LIMIT n]` delivering rows to the
//! caller (the REPL, a server) as records arrive, without a sink topic.

use std::sync::Arc;

use serde_json::Value;

use crate::log::{Partition, ReadLimits};
use crate::sql::ast::{Query, StatementKind};

use super::pipeline::RowPipeline;
use super::rows::ResultColumn;
use super::{AUTO_OFFSET_RESET, Engine, EngineError, Result};

/// How many records one poll reads from each partition at most.
const POLL_BATCH: usize = 1_000;

/// A running push query. It holds its own read positions and needs no engine to poll,
/// so a caller can poll it while the engine runs persistent queries elsewhere.
pub struct PushQuery {
    pipeline: RowPipeline,
    /// Each source partition and the next offset to read from it.
    positions: Vec<(Arc<Partition>, u64)>,
    limit: Option<u64>,
    delivered: u64,
}

impl PushQuery {
    pub fn columns(&self) -> &[ResultColumn] {
        &self.pipeline.columns
    }

    /// The schema as ksqlDB's query header writes it.
    pub fn schema_text(&self) -> String {
        super::rows::QueryRows::new(self.pipeline.columns.clone()).schema_text()
    }

    /// Reads what has arrived since the last poll and returns the rows it produced
    /// (none when nothing new matched). Never blocks.
    pub fn poll(&mut self) -> Result<Vec<Vec<Value>>> {
        let mut rows = Vec::new();
        for (partition, offset) in &mut self.positions {
            if self
                .limit
                .is_some_and(|l| self.delivered + rows.len() as u64 >= l)
            {
                break;
            }
            *offset = (*offset).max(partition.log_start_offset());
            let records = partition.read(*offset, ReadLimits::records(POLL_BATCH))?;
            let Some(last) = records.last() else { continue };
            *offset = last.offset + 1;
            self.pipeline.run(partition.id(), &records, &mut rows)?;
        }
        if let Some(limit) = self.limit {
            let room = limit.saturating_sub(self.delivered);
            rows.truncate(usize::try_from(room).unwrap_or(usize::MAX));
        }
        self.delivered += rows.len() as u64;
        Ok(rows)
    }

    /// Whether the query delivered its LIMIT and will produce nothing more.
    pub fn is_done(&self) -> bool {
        self.limit.is_some_and(|l| self.delivered >= l)
    }
}

impl Engine {
    /// Starts the push query `sql` (one `SELECT ... EMIT CHANGES` statement).
    pub fn push_query(&mut self, sql: &str) -> Result<PushQuery> {
        let statements = crate::sql::parse_statements(sql)?;
        match statements.as_slice() {
            [statement] => match &statement.kind {
                StatementKind::Query(query) => self.start_push_query(query),
                _ => Err(EngineError::Statement(
                    "A push query must be a SELECT ... EMIT CHANGES statement.".into(),
                )),
            },
            _ => Err(EngineError::Statement(
                "A push query must be exactly one statement.".into(),
            )),
        }
    }

    /// Starts reading the query's source from where `auto.offset.reset` says: the end
    /// (`latest`, the default) or the beginning (`earliest`).
    pub fn start_push_query(&mut self, query: &Query) -> Result<PushQuery> {
        if query.emit.is_none() {
            return Err(EngineError::Statement(
                "A push query needs EMIT CHANGES; without it the query is a pull query.".into(),
            ));
        }
        if !query.from.joins.is_empty()
            || query.window.is_some()
            || !query.group_by.is_empty()
            || query.having.is_some()
            || !query.partition_by.is_empty()
        {
            return Err(EngineError::Unsupported(
                "Runnel's transient push queries read one source with WHERE and a projection; run joins and aggregations as CREATE ... AS SELECT and query the result".into(),
            ));
        }
        if query.emit == Some(crate::sql::ast::Emit::Final) {
            return Err(EngineError::Statement(
                crate::plan::select::EMIT_FINAL_NEEDS_WINDOW.into(),
            ));
        }
        let pipeline = RowPipeline::try_new(query, &self.catalog, self.functions(), &self.session)?;
        let from_earliest = self
            .property(AUTO_OFFSET_RESET)
            .is_some_and(|v| v.eq_ignore_ascii_case("earliest"));
        let topic = self.log.existing_topic(&pipeline.source.topic)?;
        let positions = topic
            .partitions()
            .iter()
            .map(|p| {
                let start = if from_earliest {
                    p.log_start_offset()
                } else {
                    p.end_offset()
                };
                (Arc::clone(p), start)
            })
            .collect();
        Ok(PushQuery {
            pipeline,
            positions,
            limit: query.limit,
            delivered: 0,
        })
    }
}

//! Transient push queries: `SELECT ... EMIT CHANGES [LIMIT n]` delivering rows to the
//! caller (the REPL, a server) as records arrive, without a sink topic.

use std::sync::Arc;

use serde_json::Value;

use crate::log::ReadLimits;
use crate::plan::SourceInput;
use crate::sql::ast::{Query, StatementKind};

use super::pipeline::RowPipeline;
use super::rows::{ResultColumn, append_rows};
use super::shared_source::{FeedBatch, Position, READ_BATCH, Received, SharedFeed, Subscription};
use super::{AUTO_OFFSET_RESET, Engine, EngineError, Result};

/// A running push query. It holds its own read positions and needs no engine to poll,
/// so a caller can poll it while the engine runs persistent queries elsewhere.
///
/// It follows its source's shared feed (see [`super::shared_source`]) once it has read
/// up to the feed's position; before that (starting at `earliest`), and after the feed
/// dropped it for being slow, it reads privately from its own positions.
pub struct PushQuery {
    pipeline: RowPipeline,
    /// Each source partition and the next offset this query has not delivered yet.
    positions: Vec<Position>,
    feed: Arc<SharedFeed>,
    subscription: Option<Subscription>,
    /// Rows produced while joining the feed, delivered by the next poll.
    pending: Vec<Vec<Value>>,
    limit: Option<u64>,
    delivered: u64,
    records_read_privately: u64,
}

impl PushQuery {
    pub fn columns(&self) -> &[ResultColumn] {
        &self.pipeline.columns
    }

    /// The schema as ksqlDB's query header writes it.
    pub fn schema_text(&self) -> String {
        super::rows::QueryRows::new(self.pipeline.columns.clone()).schema_text()
    }

    /// Reads what has arrived since the last poll and returns the rows it produced.
    /// Never blocks on new data: it returns no rows only when everything available now
    /// has been read.
    pub fn poll(&mut self) -> Result<Vec<Vec<Value>>> {
        let mut rows = std::mem::take(&mut self.pending);
        while rows.is_empty() && !self.is_done() {
            let progressed = if self.subscription.is_some() {
                self.poll_shared(&mut rows)?
            } else {
                self.poll_private(&mut rows)?
            };
            if !progressed {
                break;
            }
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

    /// Whether the query follows its source's shared feed now (it may read privately
    /// while it catches up, or after it fell behind).
    pub fn is_shared(&self) -> bool {
        self.subscription.is_some()
    }

    /// Records this query read and decoded itself rather than through the shared feed.
    pub fn records_read_privately(&self) -> u64 {
        self.records_read_privately
    }

    /// Takes what the feed queued for this query, advancing the feed when nothing is
    /// queued; false when there was nothing new.
    fn poll_shared(&mut self, rows: &mut Vec<Vec<Value>>) -> Result<bool> {
        let Some(subscription) = &self.subscription else {
            return Ok(false);
        };
        let batch = match subscription.next() {
            Received::Batch(batch) => batch,
            Received::Empty => return Ok(subscription.feed().advance()? > 0),
            Received::Dropped => {
                // Too slow for the feed: go on from our own positions, nothing lost.
                self.subscription = None;
                return Ok(true);
            }
        };
        self.take_batch(&batch, rows)?;
        Ok(true)
    }

    /// Applies one shared batch, skipping the part this query already delivered.
    fn take_batch(&mut self, batch: &FeedBatch, rows: &mut Vec<Vec<Value>>) -> Result<()> {
        let Some((_, offset)) = self
            .positions
            .iter_mut()
            .find(|(p, _)| p.id() == batch.partition)
        else {
            return Ok(());
        };
        if batch.from_offset > *offset {
            // Records between our position and the batch never reached us: read them
            // privately rather than skip them.
            self.subscription = None;
            return Ok(());
        }
        if let Some(fresh) = batch.rows_from(*offset)? {
            if let Some(arrays) = self.pipeline.filter_project(&fresh)? {
                append_rows(&self.pipeline.columns, &arrays, rows)?;
            }
        }
        *offset = (*offset).max(batch.next_offset);
        Ok(())
    }

    /// One private read of every partition; once a read finds nothing anywhere, the
    /// query has caught up and joins the shared feed. False when there was nothing new.
    fn poll_private(&mut self, rows: &mut Vec<Vec<Value>>) -> Result<bool> {
        let mut read = 0;
        for (partition, offset) in &mut self.positions {
            *offset = (*offset).max(partition.log_start_offset());
            let records = partition.read(*offset, ReadLimits::records(READ_BATCH))?;
            let Some(last) = records.last() else { continue };
            *offset = last.offset + 1;
            read += records.len();
            self.pipeline.run(partition.id(), &records, rows)?;
        }
        self.records_read_privately += read as u64;
        if read == 0 {
            self.join_feed(rows)?;
            return Ok(!rows.is_empty());
        }
        Ok(true)
    }

    /// Subscribes to the feed, delivering any records between our positions and the
    /// feed's into `rows`.
    fn join_feed(&mut self, rows: &mut Vec<Vec<Value>>) -> Result<()> {
        let pipeline = &self.pipeline;
        let mut caught_up = 0u64;
        let subscription = self
            .feed
            .subscribe(&mut self.positions, |partition, records| {
                caught_up += records.len() as u64;
                pipeline.run(partition, records, rows)
            })?;
        self.records_read_privately += caught_up;
        self.subscription = Some(subscription);
        Ok(())
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
        let input = SourceInput::new(Arc::clone(&pipeline.source), &pipeline.source.name);
        let feed = self.shared_sources.feed_for(&self.log, &input)?;
        let mut push = PushQuery {
            pipeline,
            positions,
            feed,
            subscription: None,
            pending: Vec::new(),
            limit: query.limit,
            delivered: 0,
            records_read_privately: 0,
        };
        if !from_earliest {
            // At the tail already: follow the feed from the start.
            let mut pending = Vec::new();
            push.join_feed(&mut pending)?;
            push.pending = pending;
        }
        Ok(push)
    }
}

//! Pull queries: a SELECT without EMIT answered from a table's materialization (or by
//! scanning a stream's log) at the moment it is issued.

use std::collections::BTreeMap;

use crate::log::{ConsumedRecord, ReadLimits};
use crate::sql::ast::Query;

use super::pipeline::RowPipeline;
use super::pull_rules::{
    check_key_lookup_only, check_key_values, lookup_keys, rewrite_window_bounds,
};
use super::rows::QueryRows;
use super::{Engine, EngineError, Result};

/// Disables pull queries that are not key lookups, as in ksqlDB.
pub const PULL_TABLE_SCAN_ENABLED: &str = "ksql.query.pull.table.scan.enabled";

/// How many records a stream scan reads from the log at a time.
const SCAN_BATCH: usize = 10_000;

impl Engine {
    /// Answers a pull query. It first lets every persistent query process what its
    /// sources hold, so the answer reflects every record appended before it was issued.
    pub fn pull_query(&mut self, query: &Query) -> Result<QueryRows> {
        if self.needs_snapshot_sql(query) {
            return self.snapshot_query(&query.to_string());
        }
        refuse_push_clauses(query)?;
        let (pipeline, inputs, limit) = self.pull_inputs(query)?;
        let mut rows = QueryRows::new(pipeline.columns.clone());
        for (partition, records) in inputs {
            pipeline.run(partition, &records, &mut rows.rows)?;
        }
        if let Some(limit) = limit {
            rows.rows
                .truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        Ok(rows)
    }

    /// Plans a pull query and gathers the records it reads, by partition: the table's
    /// looked-up keys or all its rows, or every record of a stream.
    pub(super) fn pull_inputs(
        &mut self,
        query: &Query,
    ) -> Result<(RowPipeline, Vec<(u32, Vec<ConsumedRecord>)>, Option<u64>)> {
        self.run_until_idle()?;
        let mut query = query.clone();
        if let Some(predicate) = &mut query.where_clause {
            rewrite_window_bounds(predicate)?;
        }
        let pipeline =
            RowPipeline::try_new(&query, &self.catalog, self.functions(), &self.session)?;
        let source = std::sync::Arc::clone(&pipeline.source);
        let mut inputs = Vec::new();
        if source.is_table() {
            check_key_values(query.where_clause.as_ref(), &source)?;
            let scans_enabled = self
                .property(PULL_TABLE_SCAN_ENABLED)
                .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
            if !scans_enabled {
                check_key_lookup_only(query.where_clause.as_ref(), &source)?;
            }
            let candidates =
                self.table_candidates(&source.topic, query.where_clause.as_ref(), &source)?;
            inputs.extend(candidates);
        } else {
            let topic = self.log.existing_topic(&source.topic)?;
            for partition in topic.partitions() {
                let end = partition.end_offset();
                let mut offset = partition.log_start_offset();
                while offset < end {
                    let records = partition.read(offset, ReadLimits::records(SCAN_BATCH))?;
                    let Some(last) = records.last() else { break };
                    offset = last.offset + 1;
                    let records: Vec<ConsumedRecord> =
                        records.into_iter().filter(|r| r.offset < end).collect();
                    inputs.push((partition.id(), records));
                }
            }
        }
        Ok((pipeline, inputs, query.limit))
    }

    /// The records of a table a pull query must look at, by partition: the looked-up
    /// keys when the WHERE pins them, else every row of the materialization.
    fn table_candidates(
        &mut self,
        topic_name: &str,
        where_clause: Option<&crate::sql::ast::Expr>,
        source: &crate::catalog::Source,
    ) -> Result<Vec<(u32, Vec<ConsumedRecord>)>> {
        let topic = self.log.existing_topic(topic_name)?;
        let table = self.materialized.entry(topic_name.to_string()).or_default();
        table.catch_up(&topic)?;
        let mut by_partition: BTreeMap<u32, Vec<ConsumedRecord>> = BTreeMap::new();
        match lookup_keys(where_clause, source) {
            Some(keys) => {
                for key in keys {
                    if source.window.is_some() {
                        for (partition, record) in table.with_prefix(&key) {
                            by_partition
                                .entry(partition)
                                .or_default()
                                .push(record.clone());
                        }
                    } else if let Some((partition, record)) = table.get(&key) {
                        by_partition
                            .entry(partition)
                            .or_default()
                            .push(record.clone());
                    }
                }
            }
            None => {
                for (partition, record) in table.iter() {
                    by_partition
                        .entry(partition)
                        .or_default()
                        .push(record.clone());
                }
            }
        }
        Ok(by_partition.into_iter().collect())
    }
}

/// ksqlDB's refusals of clauses a pull query cannot have.
fn refuse_push_clauses(query: &Query) -> Result<()> {
    let refuse = |clause: &str| {
        Err(EngineError::Statement(format!(
            "Pull queries don't support {clause} clauses."
        )))
    };
    if !query.from.joins.is_empty() {
        return refuse("JOIN");
    }
    if query.window.is_some() {
        return refuse("WINDOW");
    }
    if !query.group_by.is_empty() {
        return refuse("GROUP BY");
    }
    if query.having.is_some() {
        return refuse("HAVING");
    }
    if !query.partition_by.is_empty() {
        return refuse("PARTITION BY");
    }
    Ok(())
}

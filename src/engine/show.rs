//! SHOW/LIST statements: streams, tables, queries, topics, functions, types, properties.

use crate::catalog::Source;
use crate::sql::ast::{ShowTarget, SourceKind};

use super::rows::QueryRows;
use super::{Engine, EngineError, Outcome, Result};

impl Engine {
    pub(super) fn show(&self, target: &ShowTarget) -> Result<Outcome> {
        let rows = match target {
            ShowTarget::Streams { extended } => self.list_sources(SourceKind::Stream, *extended),
            ShowTarget::Tables { extended } => self.list_sources(SourceKind::Table, *extended),
            ShowTarget::Queries { extended } => self.list_queries(*extended),
            ShowTarget::Topics { all, extended } => self.list_topics(*all, *extended),
            ShowTarget::Functions => self.list_functions(),
            ShowTarget::Types => QueryRows::text(
                &["Type Name", "Schema"],
                self.catalog
                    .types
                    .iter()
                    .map(|(name, ty)| vec![name.clone(), crate::format::ksql_type_name(ty)])
                    .collect(),
            ),
            ShowTarget::Properties => QueryRows::text(
                &["Property", "Value"],
                self.properties
                    .iter()
                    .map(|(k, v)| vec![k.clone(), v.clone()])
                    .collect(),
            ),
            ShowTarget::Variables | ShowTarget::Connectors { .. } => {
                return Err(EngineError::Unsupported(
                    "Runnel has no variables or connectors to show".into(),
                ));
            }
        };
        Ok(Outcome::Rows(rows))
    }

    fn list_sources(&self, kind: SourceKind, extended: bool) -> QueryRows {
        let name_header = match kind {
            SourceKind::Stream => "Stream Name",
            SourceKind::Table => "Table Name",
        };
        let mut columns = vec![
            name_header,
            "Kafka Topic",
            "Key Format",
            "Value Format",
            "Windowed",
        ];
        if extended {
            columns.push("Columns");
        }
        let rows = self
            .catalog
            .sources()
            .filter(|s| s.kind == kind)
            .map(|s| {
                let mut row = vec![
                    s.name.clone(),
                    s.topic.clone(),
                    s.key_format.kind.name().to_string(),
                    s.value_format.kind.name().to_string(),
                    s.window.is_some().to_string(),
                ];
                if extended {
                    row.push(column_list(s));
                }
                row
            })
            .collect();
        QueryRows::text(&columns, rows)
    }

    fn list_queries(&self, extended: bool) -> QueryRows {
        let mut columns = vec![
            "Query ID",
            "Query Type",
            "Status",
            "Sink Name",
            "Sink Kafka Topic",
            "Query String",
        ];
        if extended {
            columns.extend(["Records In", "Records Out", "Errors", "Lag"]);
        }
        let metrics = self.query_metrics();
        let rows = self
            .queries()
            .map(|q| {
                let sink_topic = self
                    .catalog
                    .source(&q.info.sink)
                    .map(|s| s.topic.clone())
                    .unwrap_or_default();
                let mut row = vec![
                    q.info.id.clone(),
                    "PERSISTENT".to_string(),
                    self.query_status(&q.info.id).to_string(),
                    q.info.sink.clone(),
                    sink_topic,
                    q.info.sql.clone(),
                ];
                if extended {
                    let m = metrics
                        .iter()
                        .find(|(id, _)| *id == q.info.id)
                        .map(|(_, m)| *m)
                        .unwrap_or_default();
                    row.extend([
                        m.records_in.to_string(),
                        m.records_out.to_string(),
                        m.errors.to_string(),
                        self.query_lag(&q.info.id).to_string(),
                    ]);
                }
                row
            })
            .collect();
        QueryRows::text(&columns, rows)
    }

    /// RUNNING or PAUSED.
    pub(super) fn query_status(&self, id: &str) -> &'static str {
        if self.paused.contains(id) {
            "PAUSED"
        } else {
            "RUNNING"
        }
    }

    /// Records appended to a query's sources that it has not processed yet.
    pub(super) fn query_lag(&self, id: &str) -> u64 {
        let Some(query) = self.queries.get(id) else {
            return 0;
        };
        query
            .info
            .sources
            .iter()
            .filter_map(|name| self.catalog.source(name))
            .filter_map(|source| self.log.lag(id, Some(&source.topic)).ok())
            .flatten()
            .filter(|lag| {
                query
                    .info
                    .sources
                    .iter()
                    .filter_map(|name| self.catalog.source(name))
                    .any(|s| s.topic == lag.topic_partition.topic)
            })
            .map(|lag| lag.lag)
            .sum()
    }

    fn list_topics(&self, all: bool, extended: bool) -> QueryRows {
        let mut columns = vec!["Kafka Topic", "Partitions", "Partition Replicas"];
        if extended {
            columns.extend(["Records", "Consumer Groups"]);
        }
        let rows = self
            .log
            .topics()
            .iter()
            .filter(|t| all || !t.is_internal())
            .map(|t| {
                let mut row = vec![
                    t.name().to_string(),
                    t.partition_count().to_string(),
                    "1".to_string(),
                ];
                if extended {
                    let records: u64 = t
                        .partitions()
                        .iter()
                        .map(|p| p.end_offset() - p.log_start_offset())
                        .sum();
                    let readers = self
                        .queries()
                        .filter(|q| {
                            q.info.sources.iter().any(|s| {
                                self.catalog.source(s).is_some_and(|s| s.topic == t.name())
                            })
                        })
                        .count();
                    row.extend([records.to_string(), readers.to_string()]);
                }
                row
            })
            .collect();
        QueryRows::text(&columns, rows)
    }

    fn list_functions(&self) -> QueryRows {
        let mut functions: Vec<_> = self.registry.list();
        functions.sort_by_key(|f| f.name);
        QueryRows::text(
            &["Function Name", "Category"],
            functions
                .iter()
                .map(|f| vec![f.name.to_string(), f.category.to_string()])
                .collect(),
        )
    }
}

/// "`ID` STRING KEY, `V` INTEGER".
pub(super) fn column_list(source: &Source) -> String {
    source
        .schema
        .columns
        .iter()
        .map(|c| {
            let key = if c.namespace == crate::catalog::Namespace::Key {
                if source.is_table() {
                    " PRIMARY KEY"
                } else {
                    " KEY"
                }
            } else {
                ""
            };
            format!("{} {}{key}", c.name, crate::format::ksql_type_name(&c.ty))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

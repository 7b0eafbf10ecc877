//! DESCRIBE [EXTENDED] source, DESCRIBE STREAMS/TABLES and DESCRIBE FUNCTION.

use crate::catalog::{Namespace, Source};
use crate::sql::ast::{DescribeTarget, SourceKind};

use super::rows::QueryRows;
use super::show::column_list;
use super::{Engine, EngineError, Outcome, Result};

impl Engine {
    pub(super) fn describe(&self, target: &DescribeTarget) -> Result<Outcome> {
        let rows = match target {
            DescribeTarget::Source { name, extended } => {
                let source = self.catalog.source(name.as_str()).ok_or_else(|| {
                    EngineError::Statement(format!(
                        "Could not find STREAM/TABLE '{}' in the Metastore",
                        name.as_str()
                    ))
                })?;
                if *extended {
                    self.describe_extended(source)
                } else {
                    describe_columns(source)
                }
            }
            DescribeTarget::Streams { extended } => {
                self.describe_all(SourceKind::Stream, *extended)
            }
            DescribeTarget::Tables { extended } => self.describe_all(SourceKind::Table, *extended),
            DescribeTarget::Function { name } => self.describe_function(name.as_str())?,
            DescribeTarget::Connector { .. } => {
                return Err(EngineError::Unsupported(
                    "Runnel has no connectors to describe".into(),
                ));
            }
        };
        Ok(Outcome::Rows(rows))
    }

    fn describe_all(&self, kind: SourceKind, extended: bool) -> QueryRows {
        let mut rows = Vec::new();
        for source in self.catalog.sources().filter(|s| s.kind == kind) {
            let mut row = vec![
                source.name.clone(),
                source.topic.clone(),
                column_list(source),
            ];
            if extended {
                let (records_in, records_out, errors) = self.source_metrics(source);
                row.extend([
                    records_in.to_string(),
                    records_out.to_string(),
                    errors.to_string(),
                ]);
            }
            rows.push(row);
        }
        let mut columns = vec!["Name", "Kafka Topic", "Columns"];
        if extended {
            columns.extend(["Records In", "Records Out", "Errors"]);
        }
        QueryRows::text(&columns, rows)
    }

    /// Records in and out and errors of the queries that write `source`.
    fn source_metrics(&self, source: &Source) -> (u64, u64, u64) {
        let metrics = self.query_metrics();
        self.queries()
            .filter(|q| q.info.sink == source.name)
            .filter_map(|q| metrics.iter().find(|(id, _)| *id == q.info.id))
            .fold((0, 0, 0), |(i, o, e), (_, m)| {
                (i + m.records_in, o + m.records_out, e + m.errors)
            })
    }

    /// Everything known about a source, as property/value lines.
    fn describe_extended(&self, source: &Source) -> QueryRows {
        let mut lines: Vec<(String, String)> = vec![
            ("Name".into(), source.name.clone()),
            (
                "Type".into(),
                if source.is_table() { "TABLE" } else { "STREAM" }.into(),
            ),
            ("Kafka topic".into(), source.topic.clone()),
            ("Key format".into(), source.key_format.kind.name().into()),
            (
                "Value format".into(),
                source.value_format.kind.name().into(),
            ),
            (
                "Timestamp field".into(),
                source
                    .timestamp
                    .as_ref()
                    .map_or("Not set - using <ROWTIME>".into(), |t| t.column.clone()),
            ),
            (
                "Window".into(),
                source.window.map_or("none".into(), |w| match w.size_ms {
                    Some(size) => format!("{} ({size} ms)", w.kind.name()),
                    None => w.kind.name().to_string(),
                }),
            ),
            ("Columns".into(), column_list(source)),
        ];
        if let Some(topic) = self.log.topic(&source.topic) {
            let records: u64 = topic
                .partitions()
                .iter()
                .map(|p| p.end_offset() - p.log_start_offset())
                .sum();
            lines.push(("Partitions".into(), topic.partition_count().to_string()));
            lines.push(("Records in topic".into(), records.to_string()));
        }
        for query in self.queries() {
            let writes = query.info.sink == source.name;
            let reads = query.info.sources.iter().any(|s| *s == source.name);
            if !writes && !reads {
                continue;
            }
            let role = if writes { "Written by" } else { "Read by" };
            let metrics = self
                .query_metrics()
                .into_iter()
                .find(|(id, _)| *id == query.info.id)
                .map(|(_, m)| m)
                .unwrap_or_default();
            lines.push((
                role.into(),
                format!(
                    "{} ({}): {} records in, {} out, {} processing errors, lag {}",
                    query.info.id,
                    self.query_status(&query.info.id),
                    metrics.records_in,
                    metrics.records_out,
                    metrics.errors,
                    self.query_lag(&query.info.id)
                ),
            ));
        }
        if let Some(table) = self.materialized.get(&source.topic) {
            lines.push((
                "State".into(),
                format!("{} keys, about {} bytes", table.len(), table.size_bytes()),
            ));
        }
        lines.push(("Statement".into(), source.sql.clone()));
        QueryRows::text(
            &["Property", "Value"],
            lines.into_iter().map(|(k, v)| vec![k, v]).collect(),
        )
    }

    fn describe_function(&self, name: &str) -> Result<QueryRows> {
        let function = self.registry.lookup(name).ok_or_else(|| {
            EngineError::Statement(format!("Can't find any functions with the name '{name}'"))
        })?;
        let meta = function.meta();
        let mut lines = vec![
            vec!["Name".to_string(), meta.name.to_string()],
            vec![
                "Type".to_string(),
                format!("{:?}", meta.kind).to_uppercase(),
            ],
            vec!["Category".to_string(), meta.category.to_string()],
            vec!["Description".to_string(), meta.description.to_string()],
        ];
        for signature in meta.signatures {
            lines.push(vec!["Variation".to_string(), signature.to_string()]);
        }
        Ok(QueryRows::text(&["Property", "Value"], lines))
    }
}

/// The columns of a source as ksqlDB's DESCRIBE lists them.
fn describe_columns(source: &Source) -> QueryRows {
    let mut rows: Vec<Vec<String>> = source
        .schema
        .columns
        .iter()
        .map(|c| {
            let ty = crate::format::ksql_type_name(&c.ty);
            let ty = match (&c.namespace, source.is_table()) {
                (Namespace::Key, true) => format!("{ty} (primary key)"),
                (Namespace::Key, false) => format!("{ty} (key)"),
                (Namespace::Headers(_), _) => format!("{ty} (headers)"),
                (Namespace::Value, _) => ty,
            };
            vec![c.name.clone(), ty]
        })
        .collect();
    if let Some(window) = source.window {
        let ty = format!("BIGINT (window {})", window.kind.name().to_lowercase());
        rows.insert(
            source.schema.key_columns().count(),
            vec!["WINDOWSTART".into(), ty.clone()],
        );
        rows.insert(
            source.schema.key_columns().count() + 1,
            vec!["WINDOWEND".into(), ty],
        );
    }
    QueryRows::text(&["Field", "Type"], rows)
}

//! Beyond ksqlDB: any SELECT (ORDER BY, OFFSET, aggregates, joins between tables) over a
//! consistent snapshot of the sources it names, run by DataFusion on in-memory tables.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::DFSchema;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::rows::{QueryRows, ResultColumn, append_rows};
use super::{Engine, EngineError, Result};
use crate::catalog::Source;
use crate::sql::SqlType;
use crate::sql::ast::{Query, StatementKind};

fn datafusion_error(e: datafusion::error::DataFusionError) -> EngineError {
    EngineError::Exec(e.into())
}

impl Engine {
    /// Whether a parsed pull query is one only the snapshot path answers: an
    /// aggregation, or a join whose sources are all tables.
    pub(super) fn needs_snapshot_sql(&self, query: &Query) -> bool {
        if query.window.is_some() || !query.partition_by.is_empty() {
            return false;
        }
        // Sorting and skipping are DataFusion's: the row pipeline streams in log order.
        if !query.order_by.is_empty() || query.offset.is_some() {
            return true;
        }
        let is_table = |name: &str| self.catalog.source(name).is_some_and(|s| s.is_table());
        if !query.from.joins.is_empty() {
            return is_table(query.from.source.name.as_str())
                && query
                    .from
                    .joins
                    .iter()
                    .all(|j| is_table(j.source.name.as_str()));
        }
        crate::plan::is_aggregate_query(query, &self.registry)
    }

    /// Runs `sql` with DataFusion over snapshots of the streams and tables it names;
    /// names are matched without regard to case. Persistent queries first process
    /// everything their sources hold, so the snapshot includes every earlier write.
    pub fn snapshot_query(&mut self, sql: &str) -> Result<QueryRows> {
        self.run_until_idle()?;
        let words: HashSet<String> = sql
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(str::to_ascii_uppercase)
            .collect();
        let sources: Vec<Arc<Source>> = self
            .catalog
            .sources()
            .filter(|s| words.contains(&s.name.to_ascii_uppercase()))
            .cloned()
            .collect();
        // The context shares the engine session's catalog: the snapshot tables are
        // registered for this query only, and removed again below.
        let context = SessionContext::new_with_state(self.session.clone());
        // ROWTIME is a pseudo-column: `SELECT *` does not show it (as on the ksql path),
        // so a snapshot carries it only for a query that names it.
        let with_rowtime = words.contains("ROWTIME");
        let mut registered = Vec::new();
        let mut keys = SnapshotKeys::default();
        for source in sources {
            let (batch, key_columns) = self.snapshot_batch(&source, with_rowtime)?;
            let table =
                MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(datafusion_error)?;
            let name = source.name.to_ascii_lowercase();
            context
                .deregister_table(name.as_str())
                .map_err(datafusion_error)?;
            context
                .register_table(name.as_str(), Arc::new(table))
                .map_err(datafusion_error)?;
            keys.by_table.insert(name.clone(), key_columns);
            registered.push(name);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| EngineError::Statement(format!("cannot start a query runtime: {e}")))?;
        let result = runtime.block_on(async {
            let frame = context.sql(sql).await?;
            // The output columns' origins are known before execution only.
            let columns = keys.result_columns(frame.schema());
            Ok::<_, datafusion::error::DataFusionError>((columns, frame.collect().await?))
        });
        for name in registered {
            context
                .deregister_table(name.as_str())
                .map_err(datafusion_error)?;
        }
        let (columns, batches) = result.map_err(datafusion_error)?;
        to_rows(columns, &batches)
    }

    /// Every current row of `source` (a table's latest row per key, or a stream's every
    /// record) with its key, window bounds and, if asked, ROWTIME; columns named in
    /// lower case. Also the names of its key columns (key and window bounds).
    fn snapshot_batch(
        &mut self,
        source: &Source,
        with_rowtime: bool,
    ) -> Result<(RecordBatch, HashSet<String>)> {
        let rowtime = if with_rowtime { ", ROWTIME" } else { "" };
        let text = format!("SELECT *{rowtime} FROM `{}`;", source.name);
        let statements = crate::sql::parse_statements(&text)?;
        let Some(StatementKind::Query(query)) = statements.into_iter().next().map(|s| s.kind)
        else {
            return Err(EngineError::Statement(format!(
                "snapshot of {} did not plan: this is a bug",
                source.name
            )));
        };
        let (pipeline, inputs, _) = self.pull_inputs(&query)?;
        let mut parts: Vec<Vec<ArrayRef>> = vec![Vec::new(); pipeline.columns.len()];
        for (partition, records) in inputs {
            if let Some(arrays) = pipeline.run_arrays(partition, &records)? {
                for (part, array) in parts.iter_mut().zip(arrays) {
                    part.push(array);
                }
            }
        }
        let mut fields = Vec::new();
        let mut columns = Vec::new();
        let key_columns: HashSet<String> = pipeline
            .columns
            .iter()
            .filter(|c| c.is_key)
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
        for (column, part) in pipeline.columns.iter().zip(parts) {
            let data_type = column.ty.to_arrow().unwrap_or(DataType::Utf8);
            let array = if part.is_empty() {
                arrow::array::new_empty_array(&data_type)
            } else {
                let refs: Vec<&dyn arrow::array::Array> = part.iter().map(|a| a.as_ref()).collect();
                arrow::compute::concat(&refs).map_err(|e| EngineError::Exec(e.into()))?
            };
            fields.push(Field::new(
                column.name.to_ascii_lowercase(),
                array.data_type().clone(),
                true,
            ));
            columns.push(array);
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| EngineError::Exec(e.into()))?;
        Ok((batch, key_columns))
    }
}

/// The key columns of each snapshot table (names in lower case, as registered).
#[derive(Default)]
struct SnapshotKeys {
    by_table: HashMap<String, HashSet<String>>,
}

impl SnapshotKeys {
    /// The result's columns; as in a ksqlDB pull query, one is a KEY when it is a
    /// source's key column (or window bound) passed through unchanged: DataFusion keeps
    /// the table as the qualifier of such a column and drops it for anything computed.
    /// A column of a type Runnel has no SQL type for is shown as text.
    fn result_columns(&self, schema: &DFSchema) -> Vec<ResultColumn> {
        schema
            .iter()
            .map(|(qualifier, field)| {
                let is_key = qualifier
                    .and_then(|q| self.by_table.get(&q.table().to_ascii_lowercase()))
                    .is_some_and(|keys| keys.contains(&field.name().to_ascii_lowercase()));
                let ty = SqlType::from_arrow(field.data_type()).unwrap_or(SqlType::String);
                ResultColumn::new(field.name().to_ascii_uppercase(), ty, is_key)
            })
            .collect()
    }
}

/// DataFusion's result batches as rows of `columns`.
fn to_rows(columns: Vec<ResultColumn>, batches: &[RecordBatch]) -> Result<QueryRows> {
    let mut rows = QueryRows::new(columns);
    for batch in batches {
        let arrays = batch
            .columns()
            .iter()
            .zip(&rows.columns)
            .map(|(array, column)| {
                let wanted = column.ty.to_arrow().unwrap_or(DataType::Utf8);
                if array.data_type() == &wanted {
                    Ok(Arc::clone(array))
                } else {
                    arrow::compute::cast(array, &wanted).map_err(|e| EngineError::Exec(e.into()))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        append_rows(&rows.columns, &arrays, &mut rows.rows)?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use crate::engine::{AUTO_OFFSET_RESET, Engine, Outcome, QueryRows};
    use crate::log::{Log, LogOptions};

    fn engine_with_accounts() -> (tempfile::TempDir, Engine) {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
        let mut engine = Engine::new(Arc::clone(&log)).expect("engine");
        engine.set_property(AUTO_OFFSET_RESET, "earliest");
        engine
            .execute(
                "CREATE TABLE accounts (id STRING PRIMARY KEY, owner STRING, balance INT) \
                   WITH (kafka_topic='accounts', value_format='JSON', partitions=2);
                 INSERT INTO accounts (id, owner, balance) VALUES ('a', 'ann', 30);
                 INSERT INTO accounts (id, owner, balance) VALUES ('b', 'bob', 10);
                 INSERT INTO accounts (id, owner, balance) VALUES ('c', NULL, 20);
                 INSERT INTO accounts (id, owner, balance) VALUES ('d', 'dan', 40);",
            )
            .expect("setup");
        (dir, engine)
    }

    fn rows(engine: &mut Engine, sql: &str) -> QueryRows {
        match engine.execute(sql).expect(sql).pop() {
            Some(Outcome::Rows(rows)) => rows,
            other => panic!("{sql}: expected rows, got {other:?}"),
        }
    }

    fn names(rows: &QueryRows) -> Vec<&str> {
        rows.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn order_by_desc_with_limit_and_offset_sorts_then_skips() {
        let (_dir, mut engine) = engine_with_accounts();
        let result = rows(
            &mut engine,
            "SELECT id, balance FROM accounts ORDER BY balance DESC LIMIT 2 OFFSET 1;",
        );
        assert_eq!(names(&result), ["ID", "BALANCE"]);
        assert_eq!(
            result.rows,
            vec![vec![json!("a"), json!(30)], vec![json!("c"), json!(20)]]
        );
    }

    #[test]
    fn nulls_first_and_last_are_honoured() {
        let (_dir, mut engine) = engine_with_accounts();
        let first = rows(
            &mut engine,
            "SELECT owner FROM accounts ORDER BY owner NULLS FIRST;",
        );
        let owners: Vec<Value> = first.rows.into_iter().map(|mut r| r.remove(0)).collect();
        assert_eq!(
            owners,
            [Value::Null, json!("ann"), json!("bob"), json!("dan")]
        );
        let last = rows(
            &mut engine,
            "SELECT owner FROM accounts ORDER BY owner DESC NULLS LAST;",
        );
        let owners: Vec<Value> = last.rows.into_iter().map(|mut r| r.remove(0)).collect();
        assert_eq!(
            owners,
            [json!("dan"), json!("bob"), json!("ann"), Value::Null]
        );
    }

    #[test]
    fn select_star_has_the_same_columns_on_both_paths() {
        let (_dir, mut engine) = engine_with_accounts();
        let ksql_path = rows(&mut engine, "SELECT * FROM accounts;");
        let snapshot_path = rows(&mut engine, "SELECT * FROM accounts ORDER BY id;");
        assert_eq!(names(&ksql_path), ["ID", "OWNER", "BALANCE"]);
        assert_eq!(names(&snapshot_path), names(&ksql_path));
        assert_eq!(snapshot_path.rows.len(), 4);
        // A query naming ROWTIME still gets it.
        let with_rowtime = rows(
            &mut engine,
            "SELECT id, ROWTIME FROM accounts ORDER BY ROWTIME;",
        );
        assert_eq!(names(&with_rowtime), ["ID", "ROWTIME"]);
    }

    #[test]
    fn the_schema_marks_key_columns_passed_through() {
        let (_dir, mut engine) = engine_with_accounts();
        let all = rows(&mut engine, "SELECT * FROM accounts ORDER BY id;");
        assert_eq!(
            all.schema_text(),
            "`ID` STRING KEY, `OWNER` STRING, `BALANCE` INTEGER"
        );
        // Another column named like the key is no key.
        let renamed = rows(
            &mut engine,
            "SELECT owner AS id, balance FROM accounts ORDER BY balance;",
        );
        assert_eq!(renamed.schema_text(), "`ID` STRING, `BALANCE` INTEGER");
        // An empty answer still has its columns.
        let none = rows(
            &mut engine,
            "SELECT id, balance FROM accounts WHERE balance > 100 ORDER BY id;",
        );
        assert_eq!(none.schema_text(), "`ID` STRING KEY, `BALANCE` INTEGER");
        assert!(none.rows.is_empty());
    }

    #[test]
    fn select_star_shows_rowtime_when_the_query_mentions_it() {
        let (_dir, mut engine) = engine_with_accounts();
        let result = rows(&mut engine, "SELECT * FROM accounts ORDER BY ROWTIME, id;");
        assert_eq!(names(&result), ["ID", "OWNER", "BALANCE", "ROWTIME"]);
        assert!(result.rows.iter().all(|r| r[3].is_number()), "{result:?}");
        let without = rows(&mut engine, "SELECT * FROM accounts ORDER BY id;");
        assert_eq!(names(&without), ["ID", "OWNER", "BALANCE"]);
    }
}

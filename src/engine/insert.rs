//! INSERT INTO ... VALUES: one row, encoded like the target's records and appended.

use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch, RecordBatchOptions};
use arrow::datatypes::Schema;

use crate::catalog::{Namespace, Source};
use crate::exec::RowKind;
use crate::exec::eval::Evaluator;
use crate::exec::sink::SinkExec;
use crate::plan::expr::{ExprCompiler, cast_to};
use crate::plan::select::{ROWOFFSET, ROWPARTITION, ROWTIME};
use crate::plan::{PlanError, Scope, Typed};
use crate::sql::SqlType;
use crate::sql::ast::{Expr, InsertValues, Literal};

use super::{Engine, EngineError, Outcome, Result};

impl Engine {
    pub(super) fn insert_values(&mut self, insert: &InsertValues) -> Result<Outcome> {
        let target_name = insert.target.as_str();
        let target = self.insert_target(target_name)?;
        let ordered: Vec<&crate::catalog::Column> = target
            .schema
            .key_columns()
            .chain(
                target
                    .schema
                    .columns
                    .iter()
                    .filter(|c| c.namespace != Namespace::Key),
            )
            .collect();
        let names: Vec<String> = if insert.columns.is_empty() {
            ordered.iter().map(|c| c.name.clone()).collect()
        } else {
            insert
                .columns
                .iter()
                .map(|c| c.as_str().to_string())
                .collect()
        };
        if names.len() != insert.values.len() {
            return Err(EngineError::Statement(format!(
                "Failed to prepare statement: Expected number columns and values to match: {}, {}",
                names.len(),
                insert.values.len()
            )));
        }
        for name in &names {
            if name == ROWPARTITION || name == ROWOFFSET {
                return Err(EngineError::Statement(format!(
                    "Inserting into column `{name}` is not allowed."
                )));
            }
            if name != ROWTIME && target.schema.column(name).is_none() {
                return Err(EngineError::Statement(format!(
                    "Column name {name} does not exist."
                )));
            }
        }

        let empty = Scope::default();
        let compiler = ExprCompiler {
            scope: &empty,
            functions: self.functions(),
        };
        let value_of = |name: &str, ty: &SqlType| -> Result<Typed> {
            let Some(i) = names.iter().position(|n| n == name) else {
                return Ok(cast_to(crate::plan::expr::literal(&Literal::Null)?, ty)?);
            };
            let expr = &insert.values[i];
            let typed = compiler.compile(expr).map_err(|e| match e {
                PlanError::UnknownColumn(column) => {
                    let source = column.split('.').next().unwrap_or(&column).to_string();
                    EngineError::Statement(format!(
                        "Failed to prepare statement: '{source}' is not a valid stream/table name or alias."
                    ))
                }
                other => other.into(),
            })?;
            let compatible =
                matches!(expr, Expr::Literal(Literal::Null)) || assignable(&typed.ty, ty);
            if !compatible {
                return Err(EngineError::Statement(format!(
                    "Expected type {ty} for field {name} but got {expr}({})",
                    typed.ty
                )));
            }
            Ok(cast_to(typed, ty)?)
        };
        let mut exprs = Vec::with_capacity(ordered.len() + 1);
        let mut is_key = Vec::with_capacity(ordered.len());
        for column in target
            .schema
            .key_columns()
            .chain(target.schema.value_columns())
        {
            exprs.push(value_of(&column.name, &column.ty)?);
            is_key.push(column.namespace == Namespace::Key);
        }
        let rowtime = names
            .iter()
            .any(|n| n == ROWTIME)
            .then(|| value_of(ROWTIME, &SqlType::BigInt));

        let evaluator = Evaluator::try_new(&self.session, &empty, &exprs)?;
        let one_row = RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )
        .map_err(crate::exec::ExecError::from)?;
        let evaluated = evaluator.evaluate(&one_row)?;
        if let Some((_, message)) = evaluated.failures.first() {
            return Err(EngineError::Statement(format!(
                "Failed to insert values into '{target_name}'. {message}"
            )));
        }
        let timestamp = match rowtime {
            Some(t) => {
                let t = t?;
                let evaluated =
                    Evaluator::try_new(&self.session, &empty, &[t])?.evaluate(&one_row)?;
                evaluated.arrays[0]
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .filter(|a| !a.is_empty() && a.is_valid(0))
                    .map(|a| a.value(0))
            }
            None => None,
        }
        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        let topic = self.log.existing_topic(&target.topic)?;
        let mut sink = SinkExec::try_new(&target, topic, &is_key)?;
        sink.write(
            &evaluated.arrays,
            &[RowKind::Insert],
            &Int64Array::from(vec![timestamp]),
            None,
        )?;
        Ok(Outcome::RowInserted {
            target: target_name.to_string(),
        })
    }

    /// The stream or table to insert into, with ksqlDB's hints for a misspelt name.
    fn insert_target(&self, name: &str) -> Result<Arc<Source>> {
        if let Some(source) = self.catalog.source(name) {
            if source.read_only {
                return Err(EngineError::Statement(format!(
                    "Cannot insert values into read-only {}: {name}",
                    source.kind_name()
                )));
            }
            return Ok(Arc::clone(source));
        }
        let other_case = self
            .catalog
            .sources()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .map(|s| s.name.clone());
        let hint = match other_case {
            Some(found) if found == found.to_uppercase() => format!(
                "\nDid you mean {found}? Hint: try removing double quotes from the source name."
            ),
            Some(found) => format!(
                "\nDid you mean \"{found}\"? Hint: wrap the source name in double quotes to make it case-sensitive."
            ),
            None => String::new(),
        };
        Err(EngineError::Statement(format!(
            "Cannot insert values into an unknown stream/table: `{name}`{hint}"
        )))
    }
}

/// Whether a value of type `from` may be inserted into a column of type `to`: the same
/// type, a number into a number, and collections and structs whose elements are.
fn assignable(from: &SqlType, to: &SqlType) -> bool {
    match (from, to) {
        _ if from == to => true,
        _ if from.is_numeric() && to.is_numeric() => true,
        (SqlType::Array(a), SqlType::Array(b)) => assignable(a, b),
        (SqlType::Map(k1, v1), SqlType::Map(k2, v2)) => assignable(k1, k2) && assignable(v1, v2),
        // Fields pair up by name (case-insensitively, as ksqlDB resolves them).
        (SqlType::Struct(a), SqlType::Struct(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x.name.eq_ignore_ascii_case(&y.name) && assignable(&x.ty, &y.ty))
        }
        _ => false,
    }
}

//! The columns an expression may reference, and how names resolve to them.

use std::sync::Arc;

use arrow::datatypes::Field;
use datafusion::common::{Column as DfColumn, DFSchema, TableReference};

use super::error::{PlanError, Result};
use crate::sql::SqlType;

/// A column visible to expressions: its source (alias) qualifier, name and type.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeColumn {
    pub qualifier: Option<String>,
    pub name: String,
    pub ty: SqlType,
}

/// The input columns of an operator, in the order of its batches' columns.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
}

impl Scope {
    pub fn new(columns: Vec<ScopeColumn>) -> Self {
        Self { columns }
    }

    /// Finds the column `qualifier.name` or, unqualified, the only column called `name`.
    pub fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<(usize, &ScopeColumn)> {
        let mut found = self.columns.iter().enumerate().filter(|(_, c)| {
            c.name == name && qualifier.is_none_or(|q| c.qualifier.as_deref() == Some(q))
        });
        let Some(first) = found.next() else {
            let shown = match qualifier {
                Some(q) => format!("{q}.{name}"),
                None => name.to_string(),
            };
            return Err(PlanError::UnknownColumn(shown));
        };
        if found.next().is_some() {
            return Err(PlanError::AmbiguousColumn(name.to_string()));
        }
        Ok(first)
    }

    /// The DataFusion schema of this scope, each field qualified by its source.
    pub fn to_df_schema(&self) -> Result<DFSchema> {
        let fields = self
            .columns
            .iter()
            .map(|c| {
                let dt = c.ty.to_arrow().ok_or_else(|| {
                    PlanError::Internal(format!("unresolved type {} reached the planner", c.ty))
                })?;
                Ok((
                    c.qualifier.as_deref().map(TableReference::bare),
                    Arc::new(Field::new(&c.name, dt, true)),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        DFSchema::new_with_metadata(fields, Default::default())
            .map_err(|e| PlanError::Internal(format!("scope schema: {e}")))
    }

    /// The DataFusion column reference for the column at `index`.
    pub fn df_column(&self, index: usize) -> DfColumn {
        let c = &self.columns[index];
        DfColumn::new(c.qualifier.as_deref().map(TableReference::bare), &c.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(q: &str, name: &str) -> ScopeColumn {
        ScopeColumn {
            qualifier: Some(q.into()),
            name: name.into(),
            ty: SqlType::Int,
        }
    }

    #[test]
    fn unqualified_names_must_be_unique_and_qualified_ones_pick_their_source() {
        let scope = Scope::new(vec![col("L", "ID"), col("R", "ID"), col("R", "V")]);
        assert_eq!(scope.resolve(None, "V").map(|(i, _)| i).ok(), Some(2));
        assert_eq!(scope.resolve(Some("R"), "ID").map(|(i, _)| i).ok(), Some(1));
        assert!(matches!(
            scope.resolve(None, "ID"),
            Err(PlanError::AmbiguousColumn(_))
        ));
        assert!(matches!(
            scope.resolve(Some("L"), "V"),
            Err(PlanError::UnknownColumn(_))
        ));
        assert_eq!(scope.to_df_schema().map(|s| s.fields().len()).ok(), Some(3));
    }
}

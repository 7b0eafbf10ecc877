//! The in-memory catalog: sources by name, custom types and persistent queries.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::{CatalogError, Result};
use super::source::Source;
use super::types::TypeRegistry;

/// A persistent query as the catalog records it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryInfo {
    pub id: String,
    /// The statement that started it, as written.
    pub sql: String,
    pub sources: Vec<String>,
    pub sink: String,
}

/// Streams, tables, types and queries by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    sources: BTreeMap<String, Arc<Source>>,
    pub types: TypeRegistry,
    queries: BTreeMap<String, QueryInfo>,
}

impl Catalog {
    pub fn source(&self, name: &str) -> Option<&Arc<Source>> {
        self.sources.get(name)
    }

    /// The source called `name`, or ksqlDB's error for a missing one.
    pub fn existing_source(&self, name: &str) -> Result<&Arc<Source>> {
        self.sources
            .get(name)
            .ok_or_else(|| CatalogError::Invalid(format!("{name} does not exist.")))
    }

    pub fn sources(&self) -> impl Iterator<Item = &Arc<Source>> {
        self.sources.values()
    }

    /// Adds or (with `or_replace`) replaces a source.
    pub fn add_source(&mut self, source: Source, or_replace: bool) -> Result<Arc<Source>> {
        if let Some(existing) = self.sources.get(&source.name) {
            if !or_replace {
                return Err(CatalogError::Invalid(format!(
                    "Cannot add {} '{}': A {} with the same name already exists",
                    source.kind_name(),
                    source.name,
                    existing.kind_name()
                )));
            }
        }
        let source = Arc::new(source);
        self.sources
            .insert(source.name.clone(), Arc::clone(&source));
        Ok(source)
    }

    pub fn remove_source(&mut self, name: &str) -> Option<Arc<Source>> {
        self.sources.remove(name)
    }

    pub fn queries(&self) -> impl Iterator<Item = &QueryInfo> {
        self.queries.values()
    }

    pub fn add_query(&mut self, query: QueryInfo) {
        self.queries.insert(query.id.clone(), query);
    }

    pub fn remove_query(&mut self, id: &str) -> Option<QueryInfo> {
        self.queries.remove(id)
    }

    /// The queries that read from or write to `source`.
    pub fn queries_using(&self, source: &str) -> Vec<&QueryInfo> {
        self.queries
            .values()
            .filter(|q| q.sink == source || q.sources.iter().any(|s| s == source))
            .collect()
    }
}

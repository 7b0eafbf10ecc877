//! The function registry: every scalar, aggregate and table function by ksqlDB name.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::aggregate::{self, AggregateFunction};
use super::error::{FunctionError, Result};
use super::metadata::FunctionMeta;
use super::scalar::{self, ScalarFunction};
use super::table::{self, TableFunction};
use super::test_functions;

/// A function found by name.
#[derive(Debug, Clone)]
pub enum FunctionRef {
    Scalar(Arc<ScalarFunction>),
    Aggregate(Arc<AggregateFunction>),
    Table(Arc<TableFunction>),
}

impl FunctionRef {
    pub fn meta(&self) -> &FunctionMeta {
        match self {
            FunctionRef::Scalar(f) => &f.meta,
            FunctionRef::Aggregate(f) => &f.meta,
            FunctionRef::Table(f) => &f.meta,
        }
    }
}

/// Functions by upper-cased name (ksqlDB names are case-insensitive).
#[derive(Debug, Clone, Default)]
pub struct FunctionRegistry {
    by_name: BTreeMap<String, FunctionRef>,
}

impl FunctionRegistry {
    /// A registry holding ksqlDB's built-in functions.
    pub fn builtin() -> Self {
        let mut registry = FunctionRegistry::default();
        for f in scalar::builtins() {
            registry.register(FunctionRef::Scalar(Arc::new(f)));
        }
        for f in aggregate::builtins() {
            registry.register(FunctionRef::Aggregate(Arc::new(f)));
        }
        for f in table::builtins() {
            registry.register(FunctionRef::Table(Arc::new(f)));
        }
        registry
    }

    /// The shared built-in registry, built once.
    pub fn global() -> &'static FunctionRegistry {
        static GLOBAL: OnceLock<FunctionRegistry> = OnceLock::new();
        GLOBAL.get_or_init(FunctionRegistry::builtin)
    }

    /// Adds the functions ksqlDB's test corpus declares for itself (BAD_UDF,
    /// WHENCONDITION, WHENRESULT); for the `runnel test` runner only.
    pub fn with_test_functions(mut self) -> Self {
        for f in test_functions::functions() {
            self.register(FunctionRef::Scalar(Arc::new(f)));
        }
        self
    }

    /// Adds or replaces a function under its metadata name.
    pub fn register(&mut self, function: FunctionRef) {
        self.by_name
            .insert(function.meta().name.to_ascii_uppercase(), function);
    }

    /// The function called `name` (any case).
    pub fn lookup(&self, name: &str) -> Option<FunctionRef> {
        self.by_name.get(&name.to_ascii_uppercase()).cloned()
    }

    /// As [`Self::lookup`], with ksqlDB's error for an unknown name.
    pub fn resolve(&self, name: &str) -> Result<FunctionRef> {
        self.lookup(name)
            .ok_or_else(|| FunctionError::Unknown(name.to_string()))
    }

    pub fn scalar(&self, name: &str) -> Option<Arc<ScalarFunction>> {
        match self.lookup(name)? {
            FunctionRef::Scalar(f) => Some(f),
            _ => None,
        }
    }

    pub fn aggregate(&self, name: &str) -> Option<Arc<AggregateFunction>> {
        match self.lookup(name)? {
            FunctionRef::Aggregate(f) => Some(f),
            _ => None,
        }
    }

    pub fn table(&self, name: &str) -> Option<Arc<TableFunction>> {
        match self.lookup(name)? {
            FunctionRef::Table(f) => Some(f),
            _ => None,
        }
    }

    /// Every function's metadata, by name (for `SHOW FUNCTIONS`).
    pub fn list(&self) -> Vec<&FunctionMeta> {
        self.by_name.values().map(FunctionRef::meta).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::metadata::FunctionKind;

    #[test]
    fn lookup_is_case_insensitive_and_kinds_are_right() {
        let registry = FunctionRegistry::global();
        assert!(matches!(
            registry.lookup("substring"),
            Some(FunctionRef::Scalar(_))
        ));
        assert!(matches!(
            registry.lookup("Count"),
            Some(FunctionRef::Aggregate(_))
        ));
        assert!(matches!(
            registry.lookup("EXPLODE"),
            Some(FunctionRef::Table(_))
        ));
        assert!(registry.lookup("BAD_UDF").is_none());
        assert!(
            FunctionRegistry::builtin()
                .with_test_functions()
                .lookup("bad_udf")
                .is_some()
        );
    }

    #[test]
    fn unknown_names_get_ksqldb_message() {
        let err = FunctionRegistry::global()
            .resolve("WONT_FIND_ME")
            .expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "Can't find any functions with the name 'WONT_FIND_ME'"
        );
    }

    #[test]
    fn every_function_is_described() {
        let registry = FunctionRegistry::global();
        let metas = registry.list();
        assert!(metas.len() > 100, "{} functions", metas.len());
        for meta in metas {
            assert!(!meta.description.is_empty(), "{}", meta.name);
            assert!(!meta.signatures.is_empty(), "{}", meta.name);
            assert!(!meta.category.is_empty(), "{}", meta.name);
        }
        assert_eq!(
            registry.lookup("TOPK").map(|f| f.meta().kind),
            Some(FunctionKind::Aggregate)
        );
    }
}

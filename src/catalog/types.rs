//! Custom types from `CREATE TYPE`, resolved wherever a type is written.

use std::collections::BTreeMap;

use crate::sql::{SqlType, StructField};

use super::error::{CatalogError, Result};

/// The registered custom types by (normalised) name.
#[derive(Debug, Clone, Default)]
pub struct TypeRegistry {
    types: BTreeMap<String, SqlType>,
}

impl TypeRegistry {
    pub fn get(&self, name: &str) -> Option<&SqlType> {
        self.types.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &SqlType)> {
        self.types.iter()
    }

    /// Registers `name` as `ty` (resolved first, so custom types may nest).
    pub fn register(&mut self, name: &str, ty: &SqlType, if_not_exists: bool) -> Result<bool> {
        if self.types.contains_key(name) {
            return if if_not_exists {
                Ok(false)
            } else {
                Err(CatalogError::Invalid(format!(
                    "Cannot register custom type '{name}' since it is already registered with type: {}",
                    self.types[name]
                )))
            };
        }
        let resolved = self.resolve(ty)?;
        self.types.insert(name.to_string(), resolved);
        Ok(true)
    }

    pub fn drop_type(&mut self, name: &str, if_exists: bool) -> Result<()> {
        match self.types.remove(name) {
            Some(_) => Ok(()),
            None if if_exists => Ok(()),
            None => Err(CatalogError::Invalid(format!(
                "Type {name} does not exist."
            ))),
        }
    }

    /// Replaces every custom type name inside `ty` by its definition.
    pub fn resolve(&self, ty: &SqlType) -> Result<SqlType> {
        Ok(match ty {
            SqlType::Custom(name) => self
                .types
                .get(name)
                .cloned()
                .ok_or_else(|| CatalogError::Invalid(format!("Unknown type: {name}")))?,
            SqlType::Array(item) => SqlType::Array(Box::new(self.resolve(item)?)),
            SqlType::Map(k, v) => {
                SqlType::Map(Box::new(self.resolve(k)?), Box::new(self.resolve(v)?))
            }
            SqlType::Struct(fields) => SqlType::Struct(
                fields
                    .iter()
                    .map(|f| {
                        Ok(StructField {
                            name: f.name.clone(),
                            ty: self.resolve(&f.ty)?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            other => other.clone(),
        })
    }
}

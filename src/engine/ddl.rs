//! CREATE STREAM/TABLE over a topic, and DROP.

use crate::catalog::ddl::{property_map, source_from_create};
use crate::log::TopicConfig;
use crate::sql::ast::{CreateSource, DropSource};

use super::{Engine, EngineError, Outcome, Result};

impl Engine {
    pub(super) fn create_source(&mut self, create: &CreateSource, sql: &str) -> Result<Outcome> {
        let name = create.name.as_str();
        if create.if_not_exists && self.catalog.source(name).is_some() {
            return Ok(Outcome::SourceCreated {
                name: name.to_string(),
            });
        }
        let source = source_from_create(create, &self.catalog.types, sql)?;
        let props = property_map(&create.properties);
        if self.log.topic(&source.topic).is_none() {
            let Some(partitions) = props.get("PARTITIONS") else {
                return Err(EngineError::Statement(format!(
                    "Topic '{}' does not exist. If you want to create a new topic for the {} please re-run the statement providing the required 'PARTITIONS' configuration in the WITH clause (and optionally 'REPLICAS').",
                    source.topic,
                    source.kind_name()
                )));
            };
            let partitions: u32 = partitions.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                EngineError::Statement(format!(
                    "Invalid value {partitions} for property PARTITIONS: a positive integer is required"
                ))
            })?;
            let config = TopicConfig {
                partitions,
                ..TopicConfig::default()
            };
            self.log.create_topic(&source.topic, config)?;
        }
        let name = source.name.clone();
        self.catalog.add_source(source, create.or_replace)?;
        Ok(Outcome::SourceCreated { name })
    }

    pub(super) fn drop_source(&mut self, drop: &DropSource) -> Result<Outcome> {
        let name = drop.name.as_str();
        let Some(source) = self.catalog.source(name).cloned() else {
            return if drop.if_exists {
                Ok(Outcome::Message(format!(
                    "{name} does not exist; nothing to drop."
                )))
            } else {
                Err(EngineError::Statement(format!(
                    "Source {name} does not exist."
                )))
            };
        };
        if source.kind != drop.kind {
            return Err(EngineError::Statement(format!(
                "Incompatible data source type is {}, but statement was DROP {}",
                source.kind_name().to_uppercase(),
                match drop.kind {
                    crate::sql::ast::SourceKind::Stream => "STREAM",
                    crate::sql::ast::SourceKind::Table => "TABLE",
                }
            )));
        }
        let users = self.catalog.queries_using(name);
        if !users.is_empty() {
            let readers: Vec<&str> = users
                .iter()
                .filter(|q| q.sources.iter().any(|s| s == name))
                .map(|q| q.id.as_str())
                .collect();
            let writers: Vec<&str> = users
                .iter()
                .filter(|q| q.sink == name)
                .map(|q| q.id.as_str())
                .collect();
            return Err(EngineError::Statement(format!(
                "Cannot drop {name}.\nThe following queries read from this source: [{}].\nThe following queries write into this source: [{}].\nYou need to terminate them before dropping {name}.",
                readers.join(", "),
                writers.join(", ")
            )));
        }
        self.catalog.remove_source(name);
        if drop.delete_topic {
            self.log.delete_topic(&source.topic)?;
        }
        Ok(Outcome::SourceDropped {
            name: name.to_string(),
        })
    }
}

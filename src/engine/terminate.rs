//! A query's durable footprint: its changelog topic (and repartition topics), created
//! with the query and deleted by TERMINATE together with its committed offsets.

use std::sync::Arc;

use super::{Engine, Outcome, Result};
use crate::log::{CleanupPolicy, Topic, TopicConfig};
use crate::plan::repartition::is_repartition_topic_of;
use crate::sql::ast::QueryTarget;

/// The changelog topic of query `id`: `_runnel-<id>-changelog`, with any character a
/// topic name cannot hold replaced by `_`.
pub fn changelog_topic_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Keep the end of long ids: it holds the number that makes them unique.
    let skip = safe.len().saturating_sub(200);
    format!("_runnel-{}-changelog", &safe[skip..])
}

impl Engine {
    /// The changelog topic of query `id`, one partition per source partition. A new
    /// query (not a replayed one) never inherits an old topic of the same name.
    pub(super) fn query_changelog(&self, id: &str, partitions: u32) -> Result<Arc<Topic>> {
        let config = TopicConfig {
            partitions,
            cleanup_policy: CleanupPolicy::COMPACT,
            retention_ms: -1,
            ..TopicConfig::default()
        };
        self.query_topic(&changelog_topic_name(id), config)
    }

    /// An internal topic of a query: a replayed query keeps what it holds; a new query
    /// never inherits an old topic of the same name.
    pub(super) fn query_topic(&self, name: &str, config: TopicConfig) -> Result<Arc<Topic>> {
        if let Some(topic) = self.log.topic(name) {
            if self.is_replaying() && topic.partition_count() == config.partitions {
                return Ok(topic);
            }
            self.log.delete_topic(name)?;
        }
        Ok(self.log.create_topic(name, config)?)
    }

    /// TERMINATE id | ALL: stops the queries and forgets their state.
    pub(super) fn terminate(&mut self, target: &QueryTarget) -> Result<Outcome> {
        let ids = self.target_ids(target)?;
        for id in &ids {
            self.queries.remove(id);
            self.catalog.remove_query(id);
            self.paused.remove(id);
            let changelog = changelog_topic_name(id);
            if self.log.topic(&changelog).is_some() {
                self.log.delete_topic(&changelog)?;
            }
            for topic in self.log.topics() {
                if is_repartition_topic_of(topic.name(), id) {
                    self.log.delete_topic(topic.name())?;
                }
            }
            self.log.delete_group_offsets(id)?;
        }
        Ok(Outcome::QueryTerminated { ids })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_names_are_valid_topic_names() {
        assert_eq!(
            changelog_topic_name("CTAS_my table_3"),
            "_runnel-CTAS_my_table_3-changelog"
        );
        let long = format!("CSAS_{}_12", "X".repeat(400));
        let name = changelog_topic_name(&long);
        assert!(crate::log::validate_topic_name(&name).is_ok());
        assert!(name.ends_with("_12-changelog"));
    }
}

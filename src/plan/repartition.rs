//! Re-keying through an internal `-repartition` topic: when a GROUP BY or join key is not
//! the source's key, a first stage filters and routes each record to the partition of its
//! new key, so that every group is aggregated (every join key joined) by exactly one task.

use datafusion::logical_expr::Expr as DfExpr;

use super::aggregate::AggregatePlan;
use super::expr::Typed;
use super::select::SourceInput;

/// ksqlDB's default `ksql.service.id`, the prefix of its internal topics.
pub const DEFAULT_SERVICE_ID: &str = "default_";

/// The session property naming the service whose internal topics a query creates.
pub const SERVICE_ID_PROPERTY: &str = "ksql.service.id";

/// Where in a query a repartition happens; it names the internal topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepartitionSite {
    /// Before a GROUP BY on something other than the source key.
    GroupBy,
    /// Before a stream-stream join, on the left or right side whose key is not the
    /// join key (or is in another key format than the other side's). `depth` counts the
    /// joins that follow this one in an N-way join: ksqlDB prefixes an inner join's name
    /// with `L_` once per enclosing join.
    JoinLeft {
        depth: usize,
    },
    JoinRight {
        depth: usize,
    },
    /// Before a stream-table join, on the stream side.
    Join {
        depth: usize,
    },
}

/// The operations whose internal topics a query may have, without their `L_` prefixes.
const OPERATIONS: [&str; 4] = ["Aggregate-GroupBy", "Join-left", "Join-right", "Join"];

impl RepartitionSite {
    fn operation(self) -> String {
        let (depth, operation) = match self {
            RepartitionSite::GroupBy => (0, OPERATIONS[0]),
            RepartitionSite::JoinLeft { depth } => (depth, OPERATIONS[1]),
            RepartitionSite::JoinRight { depth } => (depth, OPERATIONS[2]),
            RepartitionSite::Join { depth } => (depth, OPERATIONS[3]),
        };
        format!("{}{operation}", "L_".repeat(depth))
    }
}

/// The internal topic of a query's repartition, named as ksqlDB names it:
/// `_confluent-ksql-<service id>query_<query id>-<operation>-repartition`.
pub fn repartition_topic_name(service_id: &str, query_id: &str, site: RepartitionSite) -> String {
    format!(
        "_confluent-ksql-{service_id}query_{query_id}-{}-repartition",
        site.operation()
    )
}

/// Whether `topic` is one of the repartition topics of query `query_id` (whatever the
/// service id it was created under), so that TERMINATE can delete them.
pub fn is_repartition_topic_of(topic: &str, query_id: &str) -> bool {
    let Some(rest) = topic
        .strip_prefix("_confluent-ksql-")
        .and_then(|t| t.strip_suffix("-repartition"))
    else {
        return false;
    };
    let marker = format!("query_{query_id}-");
    rest.find(&marker).is_some_and(|at| {
        let mut operation = &rest[at + marker.len()..];
        while let Some(inner) = operation.strip_prefix("L_") {
            operation = inner;
        }
        OPERATIONS.contains(&operation)
    })
}

/// The first stage of a re-keyed query: decode a source partition, keep the rows that
/// pass `filter`, compute `key` and append each record to the repartition partition the
/// Kafka partitioner picks for that key.
#[derive(Debug, Clone)]
pub struct RepartitionPlan {
    pub input: SourceInput,
    /// WHERE, applied before the re-key as ksqlDB does.
    pub filter: Option<Typed>,
    /// The new key, over the source scope.
    pub key: Vec<Typed>,
    pub site: RepartitionSite,
}

/// Whether the grouping expressions are exactly the source's key columns, in order: then
/// the source is already partitioned by the group and needs no repartition.
pub fn groups_by_source_key(plan: &AggregatePlan) -> bool {
    let key_count = plan.input.source.schema.key_columns().count();
    key_count > 0
        && plan.group_by.len() == key_count
        && plan
            .group_by
            .iter()
            .enumerate()
            .all(|(i, g)| g.expr == DfExpr::Column(plan.input.scope.df_column(i)))
}

/// Splits a GROUP BY plan whose key is not the source key into its repartition stage and
/// the aggregation that reads the repartition topic (the filter moves to the first
/// stage). `None` when the source is already keyed by the group.
pub fn split_group_by(plan: &AggregatePlan) -> Option<(RepartitionPlan, AggregatePlan)> {
    if groups_by_source_key(plan) {
        return None;
    }
    let stage = RepartitionPlan {
        input: plan.input.clone(),
        filter: plan.filter.clone(),
        key: plan.group_by.clone(),
        site: RepartitionSite::GroupBy,
    };
    let mut aggregate = plan.clone();
    aggregate.filter = None;
    Some((stage, aggregate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_named_as_ksqldb_names_them() {
        assert_eq!(
            repartition_topic_name("default_", "CTAS_COUNTS_3", RepartitionSite::GroupBy),
            "_confluent-ksql-default_query_CTAS_COUNTS_3-Aggregate-GroupBy-repartition"
        );
        assert_eq!(
            repartition_topic_name("svc_", "CSAS_J_1", RepartitionSite::JoinLeft { depth: 0 }),
            "_confluent-ksql-svc_query_CSAS_J_1-Join-left-repartition"
        );
    }

    #[test]
    fn a_query_recognises_only_its_own_repartition_topics() {
        let name = repartition_topic_name("x_", "CTAS_A_1", RepartitionSite::GroupBy);
        assert!(is_repartition_topic_of(&name, "CTAS_A_1"));
        assert!(!is_repartition_topic_of(&name, "CTAS_A_10"));
        assert!(!is_repartition_topic_of(&name, "A_1"));
        assert!(!is_repartition_topic_of(
            "_runnel-CTAS_A_1-changelog",
            "CTAS_A_1"
        ));
        let right = repartition_topic_name(
            "default_",
            "CSAS_J_2",
            RepartitionSite::JoinRight { depth: 0 },
        );
        assert!(is_repartition_topic_of(&right, "CSAS_J_2"));
        let stream_table =
            repartition_topic_name("default_", "CSAS_J_2", RepartitionSite::Join { depth: 0 });
        assert_eq!(
            stream_table,
            "_confluent-ksql-default_query_CSAS_J_2-Join-repartition"
        );
        assert!(is_repartition_topic_of(&stream_table, "CSAS_J_2"));
    }

    #[test]
    fn an_inner_join_of_an_n_way_join_is_prefixed_once_per_enclosing_join() {
        let inner = repartition_topic_name(
            "default_",
            "CSAS_J_3",
            RepartitionSite::JoinLeft { depth: 2 },
        );
        assert_eq!(
            inner,
            "_confluent-ksql-default_query_CSAS_J_3-L_L_Join-left-repartition"
        );
        assert!(is_repartition_topic_of(&inner, "CSAS_J_3"));
        assert!(!is_repartition_topic_of(
            "_confluent-ksql-default_query_CSAS_J_3-L_Other-repartition",
            "CSAS_J_3"
        ));
    }
}

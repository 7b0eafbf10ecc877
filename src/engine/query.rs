//! Persistent queries: CREATE STREAM/TABLE AS SELECT and INSERT INTO ... SELECT.

use std::sync::Arc;

use crate::catalog::ddl::{check_known_properties, property_map};
use crate::catalog::{LogicalSchema, QueryInfo, Source, WindowInfo};
use crate::exec::record_cache::CommitPolicy;
use crate::exec::{AggregateTask, JoinTask, RepartitionTask, SelectTask};
use crate::format::{FormatKind, FormatSpec, SerdePart};
use crate::log::{Partition, Topic, TopicConfig};
use crate::plan::join_layout::{JoinLayout, join_layout};
use crate::plan::repartition::{
    DEFAULT_SERVICE_ID, RepartitionPlan, RepartitionSite, SERVICE_ID_PROPERTY,
    repartition_topic_name, split_group_by,
};
use crate::plan::{
    AggregatePlan, JoinPlan, SelectPlan, SourceInput, is_aggregate_query, plan_aggregate,
    plan_join, plan_select,
};
use crate::sql::ast::{CreateAsSelect, InsertInto, SourceKind};

use super::{
    AUTO_OFFSET_RESET, Engine, EngineError, OUTPUT_TOPIC_PREFIX, Outcome, QueryTask, Result,
    RunningQuery,
};

/// The session property that makes an invalid source event time fail the query.
const TIMESTAMP_THROW_ON_INVALID: &str = "ksql.timestamp.throw.on.invalid";

/// The WITH properties `CREATE ... AS SELECT` accepts.
const SINK_PROPERTIES: &[&str] = &[
    "KAFKA_TOPIC",
    "PARTITIONS",
    "REPLICAS",
    "RETENTION_MS",
    "FORMAT",
    "KEY_FORMAT",
    "VALUE_FORMAT",
    "KEY_DELIMITER",
    "VALUE_DELIMITER",
    "WRAP_SINGLE_VALUE",
    "TIMESTAMP",
    "TIMESTAMP_FORMAT",
    "RETENTION",
];

/// The WITH property of a non-windowed CREATE TABLE AS SELECT ... GROUP BY that expires
/// groups untouched (by stream time) for longer than it: `RETENTION='1 HOUR'`.
const TABLE_RETENTION: &str = "RETENTION";

impl Engine {
    pub(super) fn create_as_select(
        &mut self,
        create: &CreateAsSelect,
        sql: &str,
    ) -> Result<Outcome> {
        let name = create.name.as_str().to_string();
        if create.if_not_exists && self.catalog.source(&name).is_some() {
            return Ok(Outcome::SourceCreated { name });
        }
        if !create.query.from.joins.is_empty() {
            return self.create_join(create, &name, sql);
        }
        if is_aggregate_query(&create.query, &self.registry) {
            return self.create_aggregate(create, &name, sql);
        }
        let plan = plan_select(&create.query, &self.catalog, self.functions(), &name)?;
        let source_kind = plan.input.source.kind;
        if create.kind == SourceKind::Table && source_kind == SourceKind::Stream {
            return Err(EngineError::Statement(
                "Invalid result type. Your SELECT query produces a STREAM. Please use CREATE STREAM AS SELECT statement instead.".into(),
            ));
        }
        if create.kind == SourceKind::Stream && source_kind == SourceKind::Table {
            return Err(EngineError::Statement(
                "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS SELECT statement instead.".into(),
            ));
        }
        let props = property_map(&create.properties);
        check_known_properties(&props, SINK_PROPERTIES)?;
        if props.contains_key(TABLE_RETENTION) {
            return Err(EngineError::Statement(
                "RETENTION applies only to a table built by GROUP BY without a WINDOW.".into(),
            ));
        }
        let unkeyed = plan.partition.as_ref().is_some_and(|p| p.is_unkeyed());
        if unkeyed && props.contains_key("KEY_FORMAT") {
            return Err(EngineError::Statement(
                "Key format specified for stream without key columns.".into(),
            ));
        }
        let mut sink = self.sink_source(
            &name,
            create.kind,
            (&plan.input, plan.schema(), plan.input.source.window),
            &props,
            sql,
        )?;
        if unkeyed {
            // PARTITION BY NULL: the records carry no key at all.
            sink.key_format = FormatSpec::new(FormatKind::None);
        }
        let prefix = match create.kind {
            SourceKind::Stream => "CSAS",
            SourceKind::Table => "CTAS",
        };
        let id = self.next_query_id(&format!("{prefix}_{name}"));
        let sink = self.catalog.add_source(sink, create.or_replace)?;
        self.start_query(id, sql, plan, &sink)
    }

    pub(super) fn insert_into(&mut self, insert: &InsertInto, sql: &str) -> Result<Outcome> {
        let target = insert.target.as_str();
        let sink =
            self.catalog.source(target).cloned().ok_or_else(|| {
                EngineError::Statement(format!("Source `{target}` does not exist."))
            })?;
        if sink.is_table() {
            return Err(EngineError::Statement(format!(
                "INSERT INTO can only be used to insert into a stream. {target} is a table."
            )));
        }
        if sink.read_only {
            return Err(EngineError::Statement(format!(
                "Cannot insert into read-only stream: {target}"
            )));
        }
        let join = if insert.query.from.joins.is_empty() {
            None
        } else {
            let plan = plan_join(&insert.query, &self.catalog, self.functions(), target)?;
            self.check_co_partitioning(&plan)?;
            Some(plan)
        };
        let plan = match &join {
            Some(_) => None,
            None => Some(plan_select(
                &insert.query,
                &self.catalog,
                self.functions(),
                target,
            )?),
        };
        let result = match (&join, &plan) {
            (Some(join), _) => join.schema(),
            (None, Some(plan)) => plan.schema(),
            (None, None) => return Err(EngineError::Statement("no plan (a bug)".into())),
        };
        if result
            .columns
            .iter()
            .map(|c| (&c.name, &c.ty, &c.namespace))
            .ne(sink
                .schema
                .key_columns()
                .chain(sink.schema.value_columns())
                .map(|c| (&c.name, &c.ty, &c.namespace)))
        {
            return Err(EngineError::Statement(format!(
                "Incompatible schema between results and sink.\nResult schema is {}\nSink schema is {}",
                quoted_schema(&result),
                quoted_schema(&sink.schema)
            )));
        }
        let id = self.next_query_id("INSERTQUERY");
        match (join, plan) {
            (Some(join), _) => self.start_join(id, sql, &join, &sink),
            (None, Some(plan)) => self.start_query(id, sql, plan, &sink),
            (None, None) => Err(EngineError::Statement("no plan (a bug)".into())),
        }
    }

    /// CREATE STREAM/TABLE AS SELECT over a join.
    fn create_join(&mut self, create: &CreateAsSelect, name: &str, sql: &str) -> Result<Outcome> {
        let plan = plan_join(&create.query, &self.catalog, self.functions(), name)?;
        if create.kind != plan.kind {
            let (produced, statement) = match plan.kind {
                SourceKind::Stream => ("STREAM", "CREATE STREAM AS SELECT"),
                SourceKind::Table => ("TABLE", "CREATE TABLE AS SELECT"),
            };
            return Err(EngineError::Statement(format!(
                "Invalid result type. Your SELECT query produces a {produced}. Please use {statement} statement instead."
            )));
        }
        self.check_co_partitioning(&plan)?;
        let props = property_map(&create.properties);
        check_known_properties(&props, SINK_PROPERTIES)?;
        // The result takes the left input's formats, but a key format from an input
        // that has a key when the left one has none.
        let mut format_input = plan.inputs[0].clone();
        if format_input.source.key_format.kind == FormatKind::None {
            let default_kind = self
                .property("ksql.persistence.default.format.key")
                .and_then(|name| FormatKind::parse(name).ok())
                .unwrap_or(FormatKind::Kafka);
            let keyed = plan
                .inputs
                .iter()
                .map(|i| &i.source.key_format)
                .find(|f| f.kind != FormatKind::None)
                .cloned()
                .unwrap_or_else(|| crate::format::FormatSpec::new(default_kind));
            let mut source = (*format_input.source).clone();
            source.key_format = keyed;
            format_input.source = Arc::new(source);
        }
        let sink = self.sink_source(
            name,
            create.kind,
            (&format_input, plan.schema(), None),
            &props,
            sql,
        )?;
        let prefix = match create.kind {
            SourceKind::Stream => "CSAS",
            SourceKind::Table => "CTAS",
        };
        let id = self.next_query_id(&format!("{prefix}_{name}"));
        let sink = self.catalog.add_source(sink, create.or_replace)?;
        self.start_join(id, sql, &plan, &sink)
    }

    /// ksqlDB's checks before a join starts: no table would need re-keying, and the
    /// inputs that stay in their own partitions have as many partitions each, since a
    /// task joins partition `p` of every input.
    fn check_co_partitioning(&self, plan: &JoinPlan) -> Result<()> {
        let staying: Vec<&SourceInput> = match join_layout(plan)? {
            JoinLayout::PerPartition { routes, .. } => plan
                .inputs
                .iter()
                .zip(&routes)
                .filter(|(_, route)| route.is_none())
                .map(|(input, _)| input)
                .collect(),
            // One task reads everything, but ksqlDB still refuses a first join on both
            // keys of inputs that differ in partition count.
            JoinLayout::Single if plan.steps.first().is_some_and(|s| s.co_partitioned) => {
                plan.inputs.iter().take(2).collect()
            }
            JoinLayout::Single => Vec::new(),
        };
        let mut staying = staying.into_iter();
        let Some(first) = staying.next() else {
            return Ok(());
        };
        let count = |input: &SourceInput| -> Result<u32> {
            Ok(self
                .log
                .existing_topic(&input.source.topic)?
                .partition_count())
        };
        let expected = count(first)?;
        for other in staying {
            let found = count(other)?;
            if found != expected {
                return Err(EngineError::Statement(partition_mismatch(
                    (first, expected),
                    (other, found),
                )));
            }
        }
        Ok(())
    }

    /// Starts the tasks of a join query and registers the query.
    fn start_join(
        &mut self,
        id: String,
        sql: &str,
        plan: &JoinPlan,
        sink: &Arc<Source>,
    ) -> Result<Outcome> {
        let tasks = if let JoinLayout::PerPartition { routes, hash_input } = join_layout(plan)? {
            self.partitioned_join(&id, plan, (&routes, hash_input), sink)?
        } else {
            let changelog = self.query_changelog(&id, 1)?;
            let task =
                JoinTask::try_new(&self.log, &self.session, plan, sink, &id, &|partition| {
                    self.start_offset(partition)
                })?
                .with_changelog(Arc::clone(changelog.partition(0)?))?;
            vec![QueryTask::Join(task)]
        };
        // Every input is a source of the query, so that none can be dropped under it.
        let info = QueryInfo {
            id: id.clone(),
            sql: sql.to_string(),
            sources: plan.inputs.iter().map(|i| i.source.name.clone()).collect(),
            sink: sink.name.clone(),
        };
        self.catalog.add_query(info.clone());
        self.queries
            .insert(id.clone(), RunningQuery { info, tasks });
        Ok(Outcome::QueryStarted {
            id,
            sink: sink.name.clone(),
        })
    }

    /// The tasks of a join partitioned by its key: a router per partition of each input
    /// with a route (re-keying it by join key into its internal topic, with as many
    /// partitions as the inputs that stay put, hashed in `hash_input`'s key format), then
    /// a join task per partition number reading that partition of every input. The
    /// query's changelog has a partition per task: the joins' first, the routers' after,
    /// in input order.
    fn partitioned_join(
        &mut self,
        id: &str,
        plan: &JoinPlan,
        (routes, hash_input): (&[Option<RepartitionPlan>], usize),
        sink: &Arc<Source>,
    ) -> Result<Vec<QueryTask>> {
        let sources = plan
            .inputs
            .iter()
            .map(|input| self.log.existing_topic(&input.source.topic))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        // The inputs that stay put share one partition count (checked before the sink
        // was created); when every input is routed, the largest one's count.
        let staying = sources
            .iter()
            .zip(routes)
            .find(|(_, route)| route.is_none())
            .map(|(source, _)| source.partition_count());
        let count = staying.unwrap_or_else(|| {
            sources
                .iter()
                .map(|s| s.partition_count())
                .max()
                .unwrap_or(1)
        });
        let hash_format = &plan.inputs[hash_input].source.key_format;
        let routers: u32 = routes
            .iter()
            .zip(&sources)
            .filter(|(route, _)| route.is_some())
            .map(|(_, source)| source.partition_count())
            .sum();
        let changelog = self.query_changelog(id, count + routers)?;
        let (join_changelogs, mut router_changelogs) =
            changelog.partitions().split_at(count as usize);
        let mut tasks = Vec::new();
        let mut sides: Vec<Vec<(Arc<Partition>, u64)>> = Vec::new();
        for (route, source) in routes.iter().zip(&sources) {
            let Some(stage) = route else {
                sides.push(
                    source
                        .partitions()
                        .iter()
                        .map(|p| (Arc::clone(p), self.start_offset(p)))
                        .collect(),
                );
                continue;
            };
            let repartition = self.repartition_topic(id, stage.site, count)?;
            let (mine, rest) = router_changelogs.split_at(source.partition_count() as usize);
            router_changelogs = rest;
            tasks.extend(self.routers(id, stage, hash_format, source, &repartition, mine)?);
            sides.push(
                repartition
                    .partitions()
                    .iter()
                    .map(|p| (Arc::clone(p), 0))
                    .collect(),
            );
        }
        for (p, changelog) in join_changelogs.iter().enumerate() {
            let partitions = sides
                .iter()
                .zip(&plan.inputs)
                .map(|(side, input)| {
                    side.get(p)
                        .map(|(partition, start)| vec![(Arc::clone(partition), *start)])
                        .ok_or_else(|| {
                            EngineError::Statement(format!(
                                "the join of query {id} has no partition {p} of `{}` (a bug: partition counts were checked)",
                                input.source.name
                            ))
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            tasks.push(QueryTask::Join(
                JoinTask::over_partitions(&self.log, &self.session, plan, sink, id, partitions)?
                    .with_changelog(Arc::clone(changelog))?,
            ));
        }
        Ok(tasks)
    }

    /// CREATE TABLE AS SELECT with GROUP BY (or aggregates, HAVING, WINDOW).
    fn create_aggregate(
        &mut self,
        create: &CreateAsSelect,
        name: &str,
        sql: &str,
    ) -> Result<Outcome> {
        // A bad cache or commit setting is refused before anything is created.
        self.commit_policy()?;
        let mut plan = plan_aggregate(
            &create.query,
            &self.catalog,
            self.functions(),
            &self.registry,
            name,
        )?;
        if let Some(raw) = property_map(&create.properties).get(TABLE_RETENTION) {
            if plan.window.is_some() {
                return Err(EngineError::Statement(
                    "RETENTION in WITH applies only to a table built by GROUP BY without a WINDOW; a windowed aggregation takes it in its WINDOW clause.".into(),
                ));
            }
            let millis = crate::plan::window::parse_duration_ms(raw).ok_or_else(|| {
                EngineError::Statement(format!(
                    "Invalid value {raw} for property RETENTION: expected a duration such as '1 HOUR' or '30 SECONDS'."
                ))
            })?;
            plan.retention_ms = Some(millis);
        }
        let value_format = plan.input.source.value_format.kind;
        if value_format == FormatKind::Kafka {
            return Err(EngineError::Statement(format!(
                "Source(s) {} are using the 'KAFKA' value format. This format does not yet support GROUP BY.",
                plan.input.source.name
            )));
        }
        // AVG keeps a STRUCT (sum, count) as its intermediate value, which ksqlDB writes
        // to internal topics in the source's value format: DELIMITED cannot hold it.
        if value_format == FormatKind::Delimited
            && plan.aggregates.iter().any(|a| a.spec.name == "AVG")
        {
            return Err(EngineError::Statement(
                "One of the functions used in the statement has an intermediate type that the value format can not handle. Please remove the function or change the format.".into(),
            ));
        }
        if create.kind == SourceKind::Stream {
            return Err(EngineError::Statement(
                "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS SELECT statement instead.".into(),
            ));
        }
        if plan.input.source.is_table() {
            let refused: Vec<&str> = plan
                .aggregates
                .iter()
                .filter(|a| !a.function.supports_retract)
                .map(|a| a.spec.name)
                .collect();
            if !refused.is_empty() {
                let mut names: Vec<&str> = Vec::new();
                for name in refused {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                let list = match names.as_slice() {
                    [one] => one.to_string(),
                    [init @ .., last] => format!("{} and {last}", init.join(", ")),
                    [] => String::new(),
                };
                let noun = if names.len() == 1 {
                    "function"
                } else {
                    "functions"
                };
                return Err(EngineError::Statement(format!(
                    "The aggregation {noun} {list} cannot be applied to a table source, only to a stream source."
                )));
            }
        }
        let props = property_map(&create.properties);
        check_known_properties(&props, SINK_PROPERTIES)?;
        let window = plan.window.map(|w| w.info());
        let sink = self.sink_source(
            name,
            create.kind,
            (&plan.input, plan.schema(), window),
            &props,
            sql,
        )?;
        let id = self.next_query_id(&format!("CTAS_{name}"));
        let sink = self.catalog.add_source(sink, create.or_replace)?;
        if !self.starts_tasks() {
            return Ok(Outcome::QueryStarted {
                id,
                sink: sink.name.clone(),
            });
        }
        if let Some((stage, aggregate)) = split_group_by(&plan) {
            let tasks = self.repartitioned_aggregate(&id, &stage, &aggregate, &sink)?;
            return self.register_query(id, sql, &plan.input.source.name, &sink, tasks);
        }
        let topic = self.log.existing_topic(&plan.input.source.topic)?;
        let changelog = self.query_changelog(&id, topic.partition_count())?;
        let policy = self
            .commit_policy()?
            .per_task(topic.partition_count() as usize);
        let mut tasks = Vec::new();
        for (partition, changelog) in topic.partitions().iter().zip(changelog.partitions()) {
            let start = self.start_offset(partition);
            tasks.push(QueryTask::Aggregate(
                AggregateTask::try_new(
                    &self.log,
                    &self.session,
                    &plan,
                    &sink,
                    Arc::clone(partition),
                    &id,
                    start,
                )?
                .with_changelog(Arc::clone(changelog))?
                .with_commit_policy(policy),
            ));
        }
        self.register_query(id, sql, &plan.input.source.name, &sink, tasks)
    }

    /// One router per partition of `source`, each writing `stage`'s records to
    /// `repartition` by murmur2 of the new key in `hash_format`, with its changelog
    /// partition from `changelogs` (in source partition order).
    fn routers(
        &self,
        id: &str,
        stage: &RepartitionPlan,
        hash_format: &FormatSpec,
        source: &Topic,
        repartition: &Arc<Topic>,
        changelogs: &[Arc<Partition>],
    ) -> Result<Vec<QueryTask>> {
        let mut routers = Vec::new();
        for (partition, changelog) in source.partitions().iter().zip(changelogs) {
            let start = self.start_offset(partition);
            routers.push(QueryTask::Repartition(RepartitionTask::try_new(
                &self.log,
                &self.session,
                stage,
                hash_format,
                (
                    Arc::clone(partition),
                    Arc::clone(repartition),
                    Arc::clone(changelog),
                ),
                id,
                start,
            )?));
        }
        Ok(routers)
    }

    /// The tasks of a GROUP BY whose key is not the source key: one per source partition
    /// routing records to the internal repartition topic by group (as many partitions as
    /// the source), then one aggregating each partition of that topic. The query's
    /// changelog has a partition per task: the aggregations' first, the routers' after.
    fn repartitioned_aggregate(
        &mut self,
        id: &str,
        stage: &RepartitionPlan,
        aggregate: &AggregatePlan,
        sink: &Arc<Source>,
    ) -> Result<Vec<QueryTask>> {
        let source = self.log.existing_topic(&stage.input.source.topic)?;
        let count = source.partition_count();
        let repartition = self.repartition_topic(id, stage.site, count)?;
        let changelog = self.query_changelog(id, 2 * count)?;
        let changelogs = changelog.partitions();
        let (aggregate_changelogs, router_changelogs) = changelogs.split_at(count as usize);
        let mut tasks = self.routers(
            id,
            stage,
            &sink.key_format,
            &source,
            &repartition,
            router_changelogs,
        )?;
        let policy = self.commit_policy()?.per_task(count as usize);
        for (partition, changelog) in repartition.partitions().iter().zip(aggregate_changelogs) {
            tasks.push(QueryTask::Aggregate(
                AggregateTask::try_new(
                    &self.log,
                    &self.session,
                    aggregate,
                    sink,
                    Arc::clone(partition),
                    id,
                    0,
                )?
                .reading_repartition_topic(&self.session, aggregate)?
                .with_changelog(Arc::clone(changelog))?
                .with_commit_policy(policy),
            ));
        }
        Ok(tasks)
    }

    /// The internal repartition topic of query `id` at `site`, with `partitions`
    /// partitions. A replayed query keeps the records its routers already wrote; a new
    /// one never inherits an old topic of the same name.
    fn repartition_topic(
        &self,
        id: &str,
        site: RepartitionSite,
        partitions: u32,
    ) -> Result<Arc<crate::log::Topic>> {
        let service_id = self
            .property(SERVICE_ID_PROPERTY)
            .unwrap_or(DEFAULT_SERVICE_ID);
        let config = TopicConfig {
            partitions,
            ..TopicConfig::default()
        };
        self.query_topic(&repartition_topic_name(service_id, id, site), config)
    }

    /// When an aggregate's tasks emit and commit, per `cache.max.bytes.buffering` and
    /// `commit.interval.ms`.
    fn commit_policy(&self) -> Result<CommitPolicy> {
        CommitPolicy::from_properties(|name| self.property(name)).map_err(EngineError::Statement)
    }

    /// Where a new query starts reading a partition, per `auto.offset.reset`.
    fn start_offset(&self, partition: &Partition) -> u64 {
        let from_latest = self
            .property(AUTO_OFFSET_RESET)
            .is_none_or(|v| v.eq_ignore_ascii_case("latest"));
        if from_latest {
            partition.end_offset()
        } else {
            0
        }
    }

    /// The catalog entry of a query's sink: its topic, formats and schema.
    fn sink_source(
        &mut self,
        name: &str,
        kind: SourceKind,
        (input, schema, window): (&SourceInput, LogicalSchema, Option<WindowInfo>),
        props: &std::collections::BTreeMap<String, String>,
        sql: &str,
    ) -> Result<Source> {
        let input = &input.source;
        let prefix = self.property(OUTPUT_TOPIC_PREFIX).unwrap_or("").to_string();
        let topic = props
            .get("KAFKA_TOPIC")
            .cloned()
            .unwrap_or_else(|| format!("{prefix}{name}"));
        let inherit = |part: SerdePart| -> Result<FormatSpec> {
            let explicit = match part {
                SerdePart::Key => props.contains_key("KEY_FORMAT"),
                SerdePart::Value => props.contains_key("VALUE_FORMAT"),
            } || props.contains_key("FORMAT");
            if explicit {
                return Ok(FormatSpec::from_properties(props, part)?);
            }
            let mut spec = match part {
                SerdePart::Key => input.key_format.clone(),
                SerdePart::Value => input.value_format.clone(),
            };
            // Options belong to the source's format; the sink's own WITH may override.
            spec.wrap_single_value = None;
            if part == SerdePart::Value {
                if let Some(raw) = props.get("WRAP_SINGLE_VALUE") {
                    let wrap = raw.eq_ignore_ascii_case("true");
                    spec = spec.with_wrap_single_value(wrap)?;
                }
            }
            let delimiter_property = match part {
                SerdePart::Key => "KEY_DELIMITER",
                SerdePart::Value => "VALUE_DELIMITER",
            };
            if let Some(raw) = props.get(delimiter_property) {
                spec.delimiter = crate::format::parse_delimiter(delimiter_property, raw)?;
            }
            Ok(spec)
        };
        let key_format = inherit(SerdePart::Key)?;
        let value_format = inherit(SerdePart::Value)?;
        let key_columns: Vec<crate::format::Column> = schema
            .key_columns()
            .map(|c| crate::format::Column::new(&c.name, c.ty.clone()))
            .collect();
        let value_columns: Vec<crate::format::Column> = schema
            .value_columns()
            .map(|c| crate::format::Column::new(&c.name, c.ty.clone()))
            .collect();
        crate::format::validate(&key_format, SerdePart::Key, &key_columns)?;
        crate::format::validate(&value_format, SerdePart::Value, &value_columns)?;

        if self.log.topic(&topic).is_none() {
            let source_partitions = self
                .log
                .topic(&input.topic)
                .map(|t| t.partition_count())
                .unwrap_or(1);
            let partitions = match props.get("PARTITIONS") {
                Some(p) => p.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                    EngineError::Statement(format!("Invalid value {p} for property PARTITIONS"))
                })?,
                None => source_partitions,
            };
            self.log.create_topic(
                &topic,
                TopicConfig {
                    partitions,
                    ..TopicConfig::default()
                },
            )?;
        }
        let timestamp = crate::catalog::ddl::timestamp_column(props, &schema)?;
        Ok(Source {
            name: name.to_string(),
            kind,
            topic,
            schema,
            key_format,
            value_format,
            timestamp,
            window,
            read_only: false,
            sql: sql.to_string(),
        })
    }

    /// Starts a task per source partition and registers the query.
    fn start_query(
        &mut self,
        id: String,
        sql: &str,
        plan: SelectPlan,
        sink: &Arc<Source>,
    ) -> Result<Outcome> {
        if !self.starts_tasks() {
            return Ok(Outcome::QueryStarted {
                id,
                sink: sink.name.clone(),
            });
        }
        let topic = self.log.existing_topic(&plan.input.source.topic)?;
        let throw_on_invalid = self
            .property(TIMESTAMP_THROW_ON_INVALID)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let changelog = self.query_changelog(&id, topic.partition_count())?;
        let mut tasks = Vec::new();
        for (partition, changelog) in topic.partitions().iter().zip(changelog.partitions()) {
            let start = self.start_offset(partition);
            tasks.push(QueryTask::Select(
                SelectTask::try_new(
                    &self.log,
                    &self.session,
                    &plan,
                    sink,
                    Arc::clone(partition),
                    &id,
                    start,
                )?
                .with_throw_on_invalid_timestamp(throw_on_invalid)
                .with_changelog(Arc::clone(changelog))?,
            ));
        }
        self.register_query(id, sql, &plan.input.source.name, sink, tasks)
    }

    /// Records a started query in the catalog and the registry of running queries.
    fn register_query(
        &mut self,
        id: String,
        sql: &str,
        source: &str,
        sink: &Arc<Source>,
        tasks: Vec<QueryTask>,
    ) -> Result<Outcome> {
        let info = QueryInfo {
            id: id.clone(),
            sql: sql.to_string(),
            sources: vec![source.to_string()],
            sink: sink.name.clone(),
        };
        self.catalog.add_query(info.clone());
        self.queries
            .insert(id.clone(), RunningQuery { info, tasks });
        Ok(Outcome::QueryStarted {
            id,
            sink: sink.name.clone(),
        })
    }
}

/// A schema as ksqlDB prints it in messages: "`K` STRING KEY, `V` INTEGER".
fn quoted_schema(schema: &crate::catalog::LogicalSchema) -> String {
    schema
        .key_columns()
        .chain(schema.value_columns())
        .map(|c| {
            let key = if c.namespace == crate::catalog::Namespace::Key {
                " KEY"
            } else {
                ""
            };
            format!("`{}` {}{key}", c.name, crate::format::ksql_type_name(&c.ty))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// ksqlDB's refusal of a join whose inputs joined on their keys differ in partition
/// count: no task could hold every partition that rows meeting on a key sit in.
fn partition_mismatch(
    (left, left_count): (&SourceInput, u32),
    (right, right_count): (&SourceInput, u32),
) -> String {
    let (l, r) = (&left.source.name, &right.source.name);
    format!(
        "Can't join `{l}` with `{r}` since the number of partitions don't match. `{l}` partitions = {left_count}; `{r}` partitions = {right_count}. Please repartition either one so that the number of partitions match."
    )
}

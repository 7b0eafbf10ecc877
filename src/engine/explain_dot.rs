//! EXPLAIN ... FORMAT DOT: a dataflow as a Graphviz digraph: its operators as boxes (as
//! in the indented tree), the topics it reads and writes, and its internal topics.

use super::explain::PlanNode;
use super::terminate::changelog_topic_name;
use super::{Engine, Outcome, Result};
use crate::sql::ast::ExplainTarget;

/// A topic drawn next to the operators: what it is called and which operator it hangs
/// off, with its role on the edge.
struct TopicNode {
    name: String,
    operator: usize,
    role: TopicRole,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TopicRole {
    /// Read by a SOURCE operator.
    Input,
    /// Written by the SINK.
    Output,
    /// Owned by the query (changelog, repartition): written and read back by it.
    Internal,
}

/// The operators in drawing order (a node's index is its DOT id) and the edges from
/// each input to its consumer.
#[derive(Default)]
struct Operators<'t> {
    nodes: Vec<&'t PlanNode>,
    edges: Vec<(usize, usize)>,
}

impl<'t> Operators<'t> {
    fn collect(node: &'t PlanNode) -> Self {
        let mut operators = Operators::default();
        operators.visit(node);
        operators
    }

    fn visit(&mut self, node: &'t PlanNode) -> usize {
        let id = self.nodes.len();
        self.nodes.push(node);
        for input in &node.inputs {
            let child = self.visit(input);
            self.edges.push((child, id));
        }
        id
    }

    fn find(&self, operator: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.operator == operator)
    }
}

/// The source or sink name in a SOURCE or SINK operator's detail (`NAME [AS alias]`).
fn named_source(node: &PlanNode) -> &str {
    node.detail.split(" AS ").next().unwrap_or("").trim()
}

/// `text` inside a DOT double-quoted string.
fn quoted(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}

/// The digraph of `tree` with `topics` around it; edges follow the data.
fn render(title: &str, operators: &Operators<'_>, topics: &[TopicNode]) -> String {
    let mut out = format!("digraph {} {{\n  node [shape=box];\n", quoted(title));
    for (id, node) in operators.nodes.iter().enumerate() {
        let label = if node.detail.is_empty() {
            node.operator.clone()
        } else {
            format!("{}\n{}", node.operator, node.detail)
        };
        out.push_str(&format!("  n{id} [label={}];\n", quoted(&label)));
    }
    for (id, topic) in topics.iter().enumerate() {
        let style = if topic.role == TopicRole::Internal {
            ", style=dashed"
        } else {
            ""
        };
        out.push_str(&format!(
            "  t{id} [shape=cylinder, label={}{style}];\n",
            quoted(&topic.name)
        ));
    }
    for (from, to) in &operators.edges {
        out.push_str(&format!("  n{from} -> n{to};\n"));
    }
    for (id, topic) in topics.iter().enumerate() {
        let operator = topic.operator;
        match topic.role {
            TopicRole::Input => out.push_str(&format!("  t{id} -> n{operator};\n")),
            TopicRole::Output => out.push_str(&format!("  n{operator} -> t{id};\n")),
            TopicRole::Internal => out.push_str(&format!(
                "  n{operator} -> t{id} [style=dashed, dir=both];\n"
            )),
        }
    }
    out.push('}');
    out
}

impl Engine {
    /// `EXPLAIN ... FORMAT DOT`: the dataflow as Graphviz DOT text.
    pub fn explain_dot(&self, target: &ExplainTarget) -> Result<String> {
        let tree = self.explain_tree(target)?;
        let operators = Operators::collect(&tree);
        let mut topics = Vec::new();
        for (id, node) in operators.nodes.iter().enumerate() {
            let role = match node.operator.as_str() {
                "SOURCE" => TopicRole::Input,
                "SINK" => TopicRole::Output,
                _ => continue,
            };
            let name = named_source(node);
            // A sink that a statement (not yet run) would create has no topic yet: its
            // name stands in for it, as ksqlDB names the topic after the sink.
            let topic = self
                .catalog
                .source(&name.to_ascii_uppercase())
                .or_else(|| self.catalog.source(name))
                .map_or_else(|| name.to_string(), |s| s.topic.clone());
            topics.push(TopicNode {
                name: topic,
                operator: id,
                role,
            });
        }
        let title = match target {
            ExplainTarget::QueryId(id) => {
                let stateful = ["AGGREGATE", "JOIN", "REPARTITION"]
                    .iter()
                    .find_map(|op| operators.find(op))
                    .unwrap_or(0);
                for name in self.internal_topics(id.as_str()) {
                    topics.push(TopicNode {
                        name,
                        operator: stateful,
                        role: TopicRole::Internal,
                    });
                }
                id.as_str().to_string()
            }
            ExplainTarget::Statement(_) => "dataflow".to_string(),
        };
        Ok(render(&title, &operators, &topics))
    }

    pub(super) fn explain_graph(&self, target: &ExplainTarget) -> Result<Outcome> {
        Ok(Outcome::Message(self.explain_dot(target)?))
    }

    /// The topics query `id` owns (its changelog, and any other `_runnel-<id>-` topic).
    fn internal_topics(&self, id: &str) -> Vec<String> {
        let changelog = changelog_topic_name(id);
        let prefix = changelog.trim_end_matches("changelog");
        self.log()
            .topics()
            .iter()
            .map(|t| t.name().to_string())
            .filter(|name| name.starts_with(prefix))
            .collect()
    }
}

//! EXPLAIN ... FORMAT DOT: the dataflow as a Graphviz digraph whose operator nodes are
//! the indented tree's, with the topics read, written and owned by the query.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use runnel::engine::{AUTO_OFFSET_RESET, Engine, Outcome};
use runnel::log::{Log, LogOptions};

fn engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Log::open(dir.path(), LogOptions::ephemeral()).expect("log");
    let mut engine = Engine::new(Arc::clone(&log)).expect("engine");
    engine.set_property(AUTO_OFFSET_RESET, "earliest");
    engine
        .execute(
            "CREATE STREAM views (user STRING KEY, page STRING, ms INT) \
               WITH (kafka_topic='views_topic', value_format='JSON', partitions=2);
             CREATE TABLE per_user AS SELECT user, COUNT(*) AS views \
               FROM views WHERE ms > 0 GROUP BY user;",
        )
        .expect("setup");
    (dir, engine)
}

fn last_outcome(engine: &mut Engine, sql: &str) -> Outcome {
    engine.execute(sql).expect(sql).pop().expect("an outcome")
}

/// A DOT digraph read back: node labels by id and edges, checking the shape as it goes.
struct Graph {
    labels: BTreeMap<String, String>,
    edges: Vec<(String, String)>,
}

/// Reads the subset of DOT that EXPLAIN writes: `digraph "name" {`, attribute lines,
/// `id [..., label="..."];` nodes and `a -> b [...];` edges, and a closing `}`.
fn parse_dot(text: &str) -> Graph {
    let mut lines = text.lines();
    let header = lines.next().expect("a header line");
    assert!(
        header.starts_with("digraph ") && header.ends_with('{'),
        "header: {header}"
    );
    assert_eq!(text.lines().last(), Some("}"), "closing brace:\n{text}");
    let mut labels = BTreeMap::new();
    let mut edges = Vec::new();
    for line in lines.map(str::trim).filter(|l| *l != "}") {
        assert!(line.ends_with(';'), "statement without ';': {line}");
        let statement = line.trim_end_matches(';');
        let (head, attributes) = match statement.split_once(" [") {
            Some((head, rest)) => (head, rest.strip_suffix(']').expect("closed attributes")),
            None => (statement, ""),
        };
        if head == "node" {
            continue;
        }
        if let Some((from, to)) = head.split_once(" -> ") {
            edges.push((from.to_string(), to.to_string()));
            continue;
        }
        assert!(
            head.chars().all(|c| c.is_ascii_alphanumeric()),
            "node id: {head}"
        );
        let label = attributes
            .split_once("label=\"")
            .map(|(_, rest)| rest.rsplit_once('"').expect("closed label").0)
            .expect("a node has a label");
        labels.insert(head.to_string(), label.replace("\\n", "\n"));
    }
    for (from, to) in &edges {
        assert!(labels.contains_key(from), "edge from undeclared {from}");
        assert!(labels.contains_key(to), "edge to undeclared {to}");
    }
    Graph { labels, edges }
}

/// The tree's operators as `(operator, detail)`, from lines like `  > [ OP ] | detail`.
fn tree_operators(lines: &[String]) -> BTreeSet<(String, String)> {
    lines
        .iter()
        .map(|line| {
            let rest = line.trim_start().trim_start_matches("> [ ");
            let (operator, detail) = rest.split_once(" ]").expect("operator");
            let detail = detail.trim_start_matches(" | ");
            (operator.to_string(), detail.to_string())
        })
        .collect()
}

#[test]
fn a_running_query_is_drawn_with_its_tree_and_topics() {
    let (_dir, mut engine) = engine();
    let id = engine
        .queries()
        .next()
        .map(|q| q.info.id.clone())
        .expect("a query");
    let tree = match last_outcome(&mut engine, &format!("EXPLAIN {id};")) {
        Outcome::Rows(rows) => rows
            .rows
            .iter()
            .filter_map(|r| r[0].as_str().map(str::to_string))
            .collect::<Vec<_>>(),
        other => panic!("expected the tree, got {other:?}"),
    };
    let dot = match last_outcome(&mut engine, &format!("EXPLAIN {id} FORMAT DOT;")) {
        Outcome::Message(dot) => dot,
        other => panic!("expected DOT text, got {other:?}"),
    };
    let graph = parse_dot(&dot);

    // Every operator of the tree is a node labelled as in the tree, and the operators
    // are linked as the tree nests them (one edge per input).
    let operators: BTreeSet<(String, String)> = graph
        .labels
        .iter()
        .filter(|(id, _)| id.starts_with('n'))
        .map(|(_, label)| match label.split_once('\n') {
            Some((op, detail)) => (op.to_string(), detail.to_string()),
            None => (label.clone(), String::new()),
        })
        .collect();
    assert_eq!(operators, tree_operators(&tree), "{dot}");
    let operator_edges = graph
        .edges
        .iter()
        .filter(|(a, b)| a.starts_with('n') && b.starts_with('n'))
        .count();
    assert_eq!(operator_edges, tree.len() - 1, "{dot}");

    // The topics: read by the source, written by the sink, and the query's changelog.
    let node_named = |label: &str| {
        graph
            .labels
            .iter()
            .find(|(_, l)| l.as_str() == label)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no node {label}:\n{dot}"))
    };
    let source = node_named("SOURCE\nVIEWS");
    let sink = node_named("SINK\nPER_USER");
    let input = node_named("views_topic");
    let output = node_named("PER_USER");
    assert!(graph.edges.contains(&(input, source)), "{dot}");
    assert!(graph.edges.contains(&(sink, output)), "{dot}");
    let changelog = format!("_runnel-{id}-changelog");
    let changelog_node = node_named(&changelog);
    let aggregate = graph
        .labels
        .iter()
        .find(|(_, l)| l.starts_with("AGGREGATE"))
        .map(|(id, _)| id.clone())
        .expect("an aggregate node");
    assert!(graph.edges.contains(&(aggregate, changelog_node)), "{dot}");
}

#[test]
fn a_statement_not_run_is_drawn_too() {
    let (_dir, mut engine) = engine();
    let dot = match last_outcome(
        &mut engine,
        "EXPLAIN SELECT page FROM views WHERE ms > 5 EMIT CHANGES FORMAT DOT;",
    ) {
        Outcome::Message(dot) => dot,
        other => panic!("expected DOT text, got {other:?}"),
    };
    let graph = parse_dot(&dot);
    let labels: Vec<&String> = graph.labels.values().collect();
    assert!(labels.iter().any(|l| l.starts_with("FILTER\n")), "{dot}");
    assert!(labels.iter().any(|l| l.starts_with("PROJECT\n")), "{dot}");
    assert!(labels.iter().any(|l| *l == "views_topic"), "{dot}");
    // An unknown query id is an error, not an empty graph.
    assert!(engine.execute("EXPLAIN NO_SUCH_QUERY FORMAT DOT;").is_err());
}

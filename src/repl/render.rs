//! Renders outcomes for a terminal: results as tables, statements as sentences.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;

use crate::engine::{Outcome, QueryRows};

/// A cell as the terminal shows it: text unquoted, NULL spelled out, JSON otherwise.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `rows` as a boxed table with a header line.
pub fn render_table(rows: &QueryRows) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(rows.columns.iter().map(|c| c.name.clone()));
    for row in &rows.rows {
        table.add_row(row.iter().map(cell_text));
    }
    table.to_string()
}

/// A row of a push query as one line: `|a |b |`, the way ksqlDB's CLI streams rows.
pub fn render_stream_row(row: &[Value]) -> String {
    let mut line = String::from("|");
    for cell in row {
        line.push_str(&cell_text(cell));
        line.push('|');
    }
    line
}

/// What the REPL prints for a statement's outcome.
pub fn render_outcome(outcome: &Outcome) -> String {
    match outcome {
        Outcome::SourceCreated { name } => format!("Created {name}."),
        Outcome::SourceDropped { name } => format!("Dropped {name}."),
        Outcome::TypeCreated { name } => format!("Created type {name}."),
        Outcome::TypeDropped { name } => format!("Dropped type {name}."),
        Outcome::QueryStarted { id, sink } => format!("Started query {id} writing {sink}."),
        Outcome::RowInserted { target } => format!("Inserted a row into {target}."),
        Outcome::PropertySet { name } => format!("Set {name}."),
        Outcome::Printed { lines } => lines.join("\n"),
        Outcome::Rows(rows) => {
            let count = rows.rows.len();
            let noun = if count == 1 { "row" } else { "rows" };
            format!("{}\n({count} {noun})", render_table(rows))
        }
        Outcome::Message(message) => message.clone(),
        Outcome::QueryTerminated { ids } => match ids.as_slice() {
            [one] => format!("Query {one} terminated."),
            many => format!("{} queries terminated.", many.len()),
        },
    }
}

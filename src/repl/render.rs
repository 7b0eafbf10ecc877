//! Renders outcomes for a terminal: results as tables, statements as sentences.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;

use crate::engine::{Outcome, QueryRows};
use crate::sql::SqlType;

/// A cell as the terminal shows it: text unquoted, NULL spelled out, JSON otherwise.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A cell of a column of type `ty`: a DECIMAL shows every digit of its scale
/// (`115.50`, not `115.5`), since the JSON cell holds it as a plain number.
pub fn typed_cell_text(value: &Value, ty: &SqlType) -> String {
    match (value, ty) {
        (Value::Number(number), SqlType::Decimal { scale, .. }) => match number.as_f64() {
            Some(decimal) => format!("{decimal:.*}", usize::from(*scale)),
            None => cell_text(value),
        },
        _ => cell_text(value),
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
        table.add_row(
            row.iter()
                .zip(&rows.columns)
                .map(|(cell, column)| typed_cell_text(cell, &column.ty)),
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ResultColumn;

    #[test]
    fn decimals_show_their_scale_and_other_numbers_are_unchanged() {
        let rows = QueryRows {
            columns: vec![
                ResultColumn::new("AMOUNT", SqlType::decimal(10, 2), false),
                ResultColumn::new("RATIO", SqlType::Double, false),
            ],
            rows: vec![
                vec![serde_json::json!(115.5), serde_json::json!(0.5)],
                vec![serde_json::json!(-3), Value::Null],
            ],
        };
        let table = render_table(&rows);
        assert!(table.contains("115.50"), "{table}");
        assert!(table.contains("-3.00"), "{table}");
        assert!(table.contains("0.5 "), "{table}");
        assert!(table.contains("null"), "{table}");
    }
}

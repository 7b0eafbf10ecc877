//! How query results are framed on the wire: `/query-stream`'s delimited rows or JSON
//! array, and `/query`'s chunked array of header and row objects.

use serde_json::{Value, json};

use super::error::SERVER_ERROR;
use crate::engine::ResultColumn;
use crate::format::ksql_type_name;

/// `/query-stream`'s content type for one JSON document per line.
pub const DELIMITED: &str = "application/vnd.ksqlapi.delimited.v1";

/// The shape of a query's response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `/query-stream` delimited: a metadata line, then one JSON array per row.
    Delimited,
    /// `/query-stream` with `application/json`: `[metadata, row, row, ...]`.
    JsonArray,
    /// `/query`: `[{"header":..}, {"row":{"columns":..}}, ..., {"finalMessage":..}]`.
    QueryArray,
}

impl Framing {
    /// The `/query-stream` framing the Accept header asks for (delimited by default).
    pub fn for_accept(accept: Option<&str>) -> Self {
        match accept {
            Some(accept) if accept.contains("application/json") => Framing::JsonArray,
            _ => Framing::Delimited,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Framing::Delimited => DELIMITED,
            Framing::JsonArray | Framing::QueryArray => "application/json",
        }
    }

    /// What comes before the first row.
    pub fn header(self, query_id: &str, columns: &[ResultColumn]) -> String {
        match self {
            Framing::Delimited | Framing::JsonArray => {
                let metadata = json!({
                    "queryId": query_id,
                    "columnNames": columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
                    "columnTypes": columns.iter().map(|c| ksql_type_name(&c.ty)).collect::<Vec<_>>(),
                });
                if self == Framing::Delimited {
                    format!("{metadata}\n")
                } else {
                    format!("[{metadata}")
                }
            }
            Framing::QueryArray => {
                let schema = crate::engine::QueryRows::new(columns.to_vec()).schema_text();
                format!(
                    "[{}",
                    json!({"header": {"queryId": query_id, "schema": schema}})
                )
            }
        }
    }

    pub fn row(self, row: &[Value]) -> String {
        let cells = Value::Array(row.to_vec());
        match self {
            Framing::Delimited => format!("{cells}\n"),
            Framing::JsonArray => format!(",\n{cells}"),
            Framing::QueryArray => format!(",\n{}", json!({"row": {"columns": cells}})),
        }
    }

    /// What closes the body; `limit_reached` when the query delivered its LIMIT.
    pub fn end(self, limit_reached: bool) -> String {
        match self {
            Framing::Delimited => String::new(),
            Framing::JsonArray => "]\n".to_string(),
            Framing::QueryArray if limit_reached => {
                format!(",\n{}]\n", json!({"finalMessage": "Limit Reached"}))
            }
            Framing::QueryArray => "]\n".to_string(),
        }
    }

    /// An error met while the body streams: the status line is already sent.
    pub fn error(self, message: &str) -> String {
        let error = json!({
            "@type": "generic_error",
            "error_code": SERVER_ERROR,
            "message": message,
        });
        match self {
            Framing::Delimited => format!("{error}\n"),
            Framing::JsonArray => format!(",\n{error}]\n"),
            Framing::QueryArray => format!(",\n{}]\n", json!({"errorMessage": error})),
        }
    }

    /// A whole result at once (a pull query).
    pub fn whole(self, query_id: &str, columns: &[ResultColumn], rows: &[Vec<Value>]) -> String {
        let mut body = self.header(query_id, columns);
        for row in rows {
            body.push_str(&self.row(row));
        }
        body.push_str(&self.end(false));
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlType;

    fn columns() -> Vec<ResultColumn> {
        vec![
            ResultColumn::new("ID", SqlType::String, true),
            ResultColumn::new("N", SqlType::BigInt, false),
        ]
    }

    #[test]
    fn delimited_is_a_metadata_line_then_one_array_per_row() {
        let body = Framing::Delimited.whole("q1", &columns(), &[vec![json!("a"), json!(2)]]);
        let lines: Vec<Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines[0]["queryId"], "q1");
        assert_eq!(lines[0]["columnNames"], json!(["ID", "N"]));
        assert_eq!(lines[0]["columnTypes"], json!(["STRING", "BIGINT"]));
        assert_eq!(lines[1], json!(["a", 2]));
    }

    #[test]
    fn json_array_and_query_array_are_one_json_document() {
        let rows = [vec![json!("a"), json!(2)], vec![json!("b"), Value::Null]];
        let array: Value =
            serde_json::from_str(&Framing::JsonArray.whole("q", &columns(), &rows)).expect("json");
        assert_eq!(array[2], json!(["b", null]));
        let mut query = Framing::QueryArray.header("q", &columns());
        query.push_str(&Framing::QueryArray.row(&rows[0]));
        query.push_str(&Framing::QueryArray.end(true));
        let query: Value = serde_json::from_str(&query).expect("json");
        assert_eq!(query[0]["header"]["schema"], "`ID` STRING KEY, `N` BIGINT");
        assert_eq!(query[1]["row"]["columns"], json!(["a", 2]));
        assert_eq!(query[2]["finalMessage"], "Limit Reached");
    }
}

//! TERMINATE, PAUSE and RESUME of persistent queries.

use crate::sql::ast::QueryTarget;

use super::{Engine, EngineError, Outcome, Result};

/// What a lifecycle statement does to a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryAction {
    Terminate,
    Pause,
    Resume,
}

impl Engine {
    /// Applies `action` to the targeted queries (every query for `ALL`).
    pub fn control_query(&mut self, target: &QueryTarget, action: QueryAction) -> Result<Outcome> {
        let ids: Vec<String> = match target {
            QueryTarget::All => self.queries.keys().cloned().collect(),
            QueryTarget::Query(id) => {
                let wanted = id.as_str();
                let found = self
                    .queries
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(wanted))
                    .cloned()
                    .ok_or_else(|| EngineError::Statement(format!("Unknown queryId: {wanted}")))?;
                vec![found]
            }
        };
        for id in &ids {
            match action {
                QueryAction::Terminate => {
                    self.queries.remove(id);
                    self.catalog.remove_query(id);
                    self.paused.remove(id);
                }
                QueryAction::Pause => {
                    self.paused.insert(id.clone());
                }
                QueryAction::Resume => {
                    self.paused.remove(id);
                }
            }
        }
        let verb = match action {
            QueryAction::Terminate => "terminated",
            QueryAction::Pause => "paused",
            QueryAction::Resume => "resumed",
        };
        Ok(Outcome::Message(match ids.as_slice() {
            [one] => format!("Query {one} {verb}."),
            many => format!("{} queries {verb}.", many.len()),
        }))
    }
}

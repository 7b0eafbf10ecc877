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
    /// The ids of the queries `target` names (every query for `ALL`).
    pub(super) fn target_ids(&self, target: &QueryTarget) -> Result<Vec<String>> {
        Ok(match target {
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
        })
    }

    /// Applies `action` to the targeted queries (every query for `ALL`).
    pub fn control_query(&mut self, target: &QueryTarget, action: QueryAction) -> Result<Outcome> {
        let ids = self.target_ids(target)?;
        let verb = match action {
            QueryAction::Terminate => return self.terminate(target),
            QueryAction::Pause => {
                self.paused.extend(ids.iter().cloned());
                "paused"
            }
            QueryAction::Resume => {
                ids.iter().for_each(|id| {
                    self.paused.remove(id);
                });
                "resumed"
            }
        };
        Ok(Outcome::Message(match ids.as_slice() {
            [one] => format!("Query {one} {verb}."),
            many => format!("{} queries {verb}.", many.len()),
        }))
    }
}

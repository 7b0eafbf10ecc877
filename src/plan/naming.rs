//! The names ksqlDB gives to select items that have no alias.

use crate::sql::ast::Expr;

/// Names select items as ksqlDB does: a column keeps its name, a struct field access
/// takes the field's name, anything else becomes `KSQL_COL_<n>` with `n` counting the
/// generated names so far (skipping names already taken).
#[derive(Debug, Default)]
pub struct ColumnNamer {
    next: usize,
}

impl ColumnNamer {
    pub fn name_for(&mut self, expr: &Expr, taken: &dyn Fn(&str) -> bool) -> String {
        match expr {
            Expr::Column { name, .. } => name.as_str().to_string(),
            Expr::Dereference { field, .. } => field.as_str().to_string(),
            _ => loop {
                let candidate = format!("KSQL_COL_{}", self.next);
                self.next += 1;
                if !taken(&candidate) {
                    break candidate;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ast::{BinaryOp, Ident};

    #[test]
    fn generated_names_count_only_generated_items() {
        let mut namer = ColumnNamer::default();
        let none_taken = |_: &str| false;
        let sum = Expr::binary(Expr::column("F2"), BinaryOp::Plus, Expr::column("F1"));
        assert_eq!(namer.name_for(&Expr::column("F2"), &none_taken), "F2");
        assert_eq!(namer.name_for(&sum, &none_taken), "KSQL_COL_0");
        let deref = Expr::Dereference {
            base: Box::new(Expr::column("A")),
            field: Ident::new("TOWN"),
        };
        assert_eq!(namer.name_for(&deref, &none_taken), "TOWN");
        assert_eq!(
            namer.name_for(&sum, &|n: &str| n == "KSQL_COL_1"),
            "KSQL_COL_2"
        );
    }
}

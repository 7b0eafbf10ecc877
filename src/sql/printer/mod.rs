//! The printer: `Display` for every AST node, writing SQL that parses back to the same tree.

mod expr;
mod query;
mod statement;

use std::fmt;

/// Writes a single-quoted SQL string, doubling quotes inside.
pub(crate) fn write_string(f: &mut impl fmt::Write, value: &str) -> fmt::Result {
    write!(f, "'{}'", value.replace('\'', "''"))
}

/// Writes items separated by `", "`.
pub(crate) fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

//! Reserved words: keywords that cannot be used as unquoted names.

/// Words that start or end a clause or an operator, so an unquoted identifier with
/// this spelling would be ambiguous. Everything else (`SOURCE`, `KEY`, `SIZE`,
/// `TIMESTAMP`, ...) may name a column or source. Sorted for binary search.
const RESERVED: &[&str] = &[
    "AND",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CREATE",
    "DISTINCT",
    "ELSE",
    "EMIT",
    "END",
    "ESCAPE",
    "EXISTS",
    "FALSE",
    "FROM",
    "FULL",
    "GRACE",
    "GROUP",
    "HAVING",
    "IN",
    "INNER",
    "INSERT",
    "INTO",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "OUTER",
    "PARTITION",
    "RIGHT",
    "SELECT",
    "THEN",
    "TRUE",
    "VALUES",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHIN",
];

/// Whether `word` (any case) is reserved.
pub fn is_reserved(word: &str) -> bool {
    if word.len() > 9 || !word.is_ascii() {
        return false;
    }
    let upper = word.to_ascii_uppercase();
    RESERVED.binary_search(&upper.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_for_binary_search() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn reserved_is_case_insensitive() {
        assert!(is_reserved("select"));
        assert!(is_reserved("End"));
        assert!(!is_reserved("SOURCE"));
        assert!(!is_reserved("WINDOWSTART"));
    }
}

//! The projection of a join: ksqlDB's column names (`L_ID` for a name both sides have)
//! and its rules for the result key (which select items carry it, and the errors when
//! none or several do).

use super::error::{PlanError, Result};
use super::expr::ExprCompiler;
use super::join::KeyPart;
use super::naming::ColumnNamer;
use super::scope::Scope;
use super::select::{OutputColumn, SourceInput};
use crate::sql::ast::{Expr, Ident, Query, SelectItem};

/// One select item after wildcard expansion: its explicit or default name.
pub(super) struct Item {
    pub(super) expr: Expr,
    pub(super) alias: Option<String>,
}

/// Expands, names and compiles the select list of a join over `scope`.
pub fn project_join(
    query: &Query,
    inputs: &[SourceInput],
    scope: &Scope,
    key_parts: &[KeyPart],
    compiler: &ExprCompiler<'_>,
    sink: &str,
) -> Result<Vec<OutputColumn>> {
    let items = expand(query, inputs, key_parts)?;
    let names = item_names(&items, inputs);

    // Which key part each item carries: the items selecting the part's most preferred
    // column that is selected at all (the synthesized key, then the left side's
    // column, then the right side's).
    let resolved: Vec<Option<usize>> = items
        .iter()
        .map(|item| match &item.expr {
            Expr::Column { source, name } => scope
                .resolve(source.as_ref().map(Ident::as_str), name.as_str())
                .ok()
                .map(|(index, _)| index),
            _ => None,
        })
        .collect();
    let mut key_of: Vec<Option<usize>> = vec![None; items.len()];
    let mut chosen: Vec<Option<usize>> = vec![None; key_parts.len()];
    let mut repeats: Vec<Vec<String>> = vec![Vec::new(); key_parts.len()];
    for (p, part) in key_parts.iter().enumerate() {
        let candidates = std::iter::once(part.index).chain(part.viable.iter().copied());
        for candidate in candidates {
            let selecting: Vec<usize> = (0..items.len())
                .filter(|i| resolved[*i] == Some(candidate) && key_of[*i].is_none())
                .collect();
            if selecting.is_empty() {
                continue;
            }
            chosen[p] = Some(candidate);
            for i in selecting {
                key_of[i] = Some(p);
                repeats[p].push(names[i].clone());
            }
            break;
        }
    }
    for (p, aliases) in repeats.iter().enumerate() {
        if aliases.len() > 1 {
            let mut sorted = aliases.clone();
            sorted.sort();
            let column = chosen[p]
                .map(|index| qualified_name(&scope.columns[index]))
                .unwrap_or_default();
            return Err(PlanError::Type(format!(
                "The projection contains a key column (`{column}`) more than once, aliased as: {}.",
                join_and(&sorted)
            )));
        }
    }
    for (p, part) in key_parts.iter().enumerate() {
        if chosen[p].is_some() {
            continue;
        }
        return Err(PlanError::Type(missing_key(part, scope, sink)));
    }

    let mut keys: Vec<(usize, OutputColumn)> = Vec::new();
    let mut values: Vec<OutputColumn> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let expr = match key_of[i] {
            // The key column holds the join key even where the selected side is NULL.
            Some(p) => Expr::column(&scope.columns[key_parts[p].index].name),
            None => item.expr.clone(),
        };
        if matches!(expr, Expr::Literal(crate::sql::ast::Literal::Null)) {
            return Err(PlanError::Type(
                "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).".into(),
            ));
        }
        let typed = compiler.compile(&expr).map_err(|e| match e {
            PlanError::UnknownColumn(name) => {
                PlanError::Type(format!("SELECT column '{name}' cannot be resolved."))
            }
            other => other,
        })?;
        let column = OutputColumn {
            name: names[i].clone(),
            expr: typed,
            is_key: key_of[i].is_some(),
        };
        match key_of[i] {
            Some(p) => keys.push((p, column)),
            None => values.push(column),
        }
    }
    for key in &keys {
        if key.1.expr.ty.to_string().contains("MAP") {
            return Err(PlanError::Type(format!(
                "Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: `{}`. Column type: {}. See https://github.com/confluentinc/ksql/issues/6621 for more.",
                key.1.name,
                crate::format::ksql_type_name(&key.1.expr.ty)
            )));
        }
    }
    if values.is_empty() {
        return Err(PlanError::Type(
            "The projection contains no value columns.".into(),
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for column in keys.iter().map(|(_, c)| c).chain(&values) {
        if seen.contains(&column.name.as_str()) {
            return Err(PlanError::Type(format!(
                "Duplicate value columns found in schema: `{}` {}",
                column.name, column.expr.ty
            )));
        }
        seen.push(&column.name);
    }
    keys.sort_by_key(|(p, _)| *p);
    Ok(keys.into_iter().map(|(_, c)| c).chain(values).collect())
}

/// Wildcards become each input's key and value columns, qualified (a bare `*` starts
/// with the synthesized key columns).
pub(super) fn expand(
    query: &Query,
    inputs: &[SourceInput],
    key_parts: &[KeyPart],
) -> Result<Vec<Item>> {
    let columns_of = |input: &SourceInput| -> Vec<Item> {
        let schema = &input.source.schema;
        schema
            .key_columns()
            .chain(schema.value_columns())
            .map(|c| Item {
                expr: Expr::Column {
                    source: Some(Ident::new(input.alias.as_str())),
                    name: Ident::new(c.name.as_str()),
                },
                alias: Some(format!("{}_{}", input.alias, c.name)),
            })
            .collect()
    };
    let mut items = Vec::new();
    for item in &query.select {
        match item {
            SelectItem::Wildcard => {
                for part in key_parts {
                    if let Some(name) = &part.synthetic {
                        items.push(Item {
                            expr: Expr::column(name),
                            alias: Some(name.clone()),
                        });
                    }
                }
                for input in inputs {
                    items.extend(columns_of(input));
                }
            }
            SelectItem::QualifiedWildcard(q) => {
                let input = inputs
                    .iter()
                    .find(|i| i.alias == q.as_str())
                    .ok_or_else(|| {
                        PlanError::Type(format!(
                            "'{}' is not a valid stream/table name or alias.",
                            q.as_str()
                        ))
                    })?;
                items.extend(columns_of(input));
            }
            SelectItem::Expr { expr, alias } => items.push(Item {
                expr: expr.clone(),
                alias: alias.as_ref().map(|a| a.as_str().to_string()),
            }),
        }
    }
    Ok(items)
}

/// Each select item's output name: its alias, a column's own name (prefixed as ksqlDB
/// prefixes joined columns), or a generated `KSQL_COL_n` that no other name takes.
pub(super) fn item_names(items: &[Item], inputs: &[SourceInput]) -> Vec<String> {
    let explicit: Vec<String> = items.iter().filter_map(|i| i.alias.clone()).collect();
    let mut namer = ColumnNamer::default();
    let mut names: Vec<String> = Vec::new();
    for item in items {
        let name = match (&item.alias, &item.expr) {
            (Some(a), _) => a.clone(),
            (None, Expr::Column { source, name }) => default_name(source.as_ref(), name, inputs),
            (None, expr) => namer.name_for(expr, &|n: &str| {
                explicit.iter().any(|e| e == n) || names.iter().any(|v| v == n)
            }),
        };
        names.push(name);
    }
    names
}

/// A column's name in the result: its own name, or `ALIAS_NAME` when another input has
/// a column of that name too.
pub(super) fn default_name(source: Option<&Ident>, name: &Ident, inputs: &[SourceInput]) -> String {
    let owners: Vec<&SourceInput> = inputs
        .iter()
        .filter(|i| i.scope.resolve(None, name.as_str()).is_ok())
        .collect();
    if owners.len() <= 1 {
        return name.as_str().to_string();
    }
    let alias = source
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| owners[0].alias.clone());
    format!("{alias}_{}", name.as_str())
}

fn qualified_name(column: &super::scope::ScopeColumn) -> String {
    match &column.qualifier {
        Some(q) => format!("{q}_{}", column.name),
        None => column.name.clone(),
    }
}

/// ksqlDB's message when the projection lacks the result key.
fn missing_key(part: &KeyPart, scope: &Scope, sink: &str) -> String {
    const PREFIX: &str = "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.";
    if let Some(name) = &part.synthetic {
        return format!(
            "{PREFIX}\nThe query used to build `{sink}` must include the join expression {name} in its projection (eg, SELECT {name}...).\n{name} was added as a synthetic key column because the join criteria did not match any source column. This expression must be included in the projection and may be aliased."
        );
    }
    let shown: Vec<String> = part
        .viable
        .iter()
        .map(|i| {
            let c = &scope.columns[*i];
            match &c.qualifier {
                Some(q) => format!("{q}.{}", c.name),
                None => c.name.clone(),
            }
        })
        .collect();
    let (noun, list) = if shown.len() == 1 {
        ("join expression", shown[0].clone())
    } else {
        ("join expressions", shown.join(" or "))
    };
    format!(
        "{PREFIX}\nThe query used to build `{sink}` must include the {noun} {list} in its projection (eg, SELECT {}...).",
        shown.first().cloned().unwrap_or_default()
    )
}

/// `A`, `A and B`, `A, B and C`.
fn join_and(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

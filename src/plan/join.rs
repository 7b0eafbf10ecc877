//! Plans a query whose FROM clause joins sources into a [`JoinPlan`]: which rows meet
//! (the ON conditions, windows), the result's key, and ksqlDB's refusals.
//!
//! Joins are left-deep: step `i` joins the result of inputs `0..=i` with input `i + 1`.
//! Every step's rows are laid out as the inputs' scopes side by side; the plan's scope
//! appends the result key columns, which the projection refers to as the key.

use std::sync::Arc;

use super::error::{PlanError, Result};
use super::expr::{ExprCompiler, FunctionResolver, Typed};
use super::join_partition::project_partitioned_join;
use super::join_projection::project_join;
use super::rewrite::rewrite;
use super::scope::{Scope, ScopeColumn};
use super::select::{OutputColumn, SourceInput, output_schema, plan_where};
use crate::catalog::{Catalog, LogicalSchema, Source};
use crate::format::FormatKind;
use crate::sql::SqlType;
use crate::sql::ast::{BinaryOp, Emit, Expr, Ident, JoinKind, JoinWindow, Query, SourceKind};

/// ksqlDB's default grace for a stream-stream join without `GRACE PERIOD` (24 hours,
/// less the window): results are emitted eagerly and late rows kept this long.
const DEFAULT_GRACE_MS: i64 = 24 * 60 * 60 * 1000;

/// How the rows of one join step meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinFlavor {
    /// Two streams: a right row at time `r` meets a left row at time `l` when
    /// `l - before <= r <= l + after`. With `grace`, outer results wait for the
    /// window to close; without it they are emitted eagerly.
    Windowed {
        before_ms: i64,
        after_ms: i64,
        grace_ms: Option<i64>,
    },
    /// A stream looks each row up in a table materialized by its primary key.
    StreamTable,
    /// Two tables; `foreign` when the left side joins on a column that is not its key
    /// (the result is then keyed by the left row's key).
    TableTable { foreign: bool },
}

impl JoinFlavor {
    /// How long a windowed step keeps a row: the window plus the grace period.
    pub fn retention_ms(&self) -> i64 {
        match self {
            JoinFlavor::Windowed {
                before_ms,
                after_ms,
                grace_ms,
            } => {
                let window = before_ms + after_ms;
                window + grace_ms.unwrap_or((DEFAULT_GRACE_MS - window).max(0))
            }
            _ => 0,
        }
    }
}

/// One binary join: the result so far (left) with the next input (right).
#[derive(Debug, Clone)]
pub struct JoinStep {
    pub kind: JoinKind,
    pub flavor: JoinFlavor,
    /// Over the scope of inputs `0..=i` side by side.
    pub left_keys: Vec<Typed>,
    /// Over the scope of input `i + 1`.
    pub right_keys: Vec<Typed>,
    /// Whether both sides join on their sources' own keys, so that rows that meet sit
    /// in partitions of the same number (no repartitioning needed).
    pub co_partitioned: bool,
}

impl JoinStep {
    /// Whether a left row without a match is still a result.
    pub fn keeps_left(&self) -> bool {
        matches!(self.kind, JoinKind::Left | JoinKind::Full)
    }

    /// Whether a right row without a match is still a result.
    pub fn keeps_right(&self) -> bool {
        matches!(self.kind, JoinKind::Right | JoinKind::Full)
    }
}

/// A continuous join query: inputs joined step by step, filtered and projected.
#[derive(Debug, Clone)]
pub struct JoinPlan {
    pub inputs: Vec<SourceInput>,
    pub steps: Vec<JoinStep>,
    /// The inputs' scopes side by side, then the result key columns.
    pub scope: Scope,
    pub key_count: usize,
    pub filter: Option<Typed>,
    /// Over `scope`; key columns first.
    pub output: Vec<OutputColumn>,
    /// A STREAM when any input is one, else a TABLE.
    pub kind: SourceKind,
}

impl JoinPlan {
    /// The logical schema of what the query produces.
    pub fn schema(&self) -> LogicalSchema {
        output_schema(&self.output)
    }

    /// The width of the scope of inputs `0..=index`.
    pub fn prefix_width(&self, index: usize) -> usize {
        self.inputs[..=index]
            .iter()
            .map(|i| i.scope.columns.len())
            .sum()
    }
}

/// One part of the result key: the column the projection must select, either one of
/// the source columns the join equates (`viable`) or a synthesized column.
#[derive(Debug, Clone)]
pub struct KeyPart {
    /// Scope indexes of the source columns that carry the key's value.
    pub viable: Vec<usize>,
    /// The name of the key column when no source column carries it (`ROWKEY`).
    pub synthetic: Option<String>,
    /// The key column's index in the plan's scope.
    pub index: usize,
}

/// One `left = right` condition with each side resolved to the inputs it reads.
struct Condition {
    left: Expr,
    right: Expr,
    /// As written, with columns qualified, for messages.
    shown: String,
}

/// Plans `query` whose FROM clause has joins; `sink` names the output in messages.
pub fn plan_join(
    query: &Query,
    catalog: &Catalog,
    functions: &dyn FunctionResolver,
    sink: &str,
) -> Result<JoinPlan> {
    if query.window.is_some() || !query.group_by.is_empty() || query.having.is_some() {
        return Err(PlanError::Unsupported(
            "Aggregating a join (WINDOW, GROUP BY, HAVING) is not supported by Runnel yet".into(),
        ));
    }
    if query.emit == Some(Emit::Final) {
        return Err(PlanError::Type(
            super::select::EMIT_FINAL_NEEDS_WINDOW.into(),
        ));
    }
    let lookup = |name: &Ident| -> Result<Arc<Source>> {
        catalog
            .source(name.as_str())
            .cloned()
            .ok_or_else(|| PlanError::Type(format!("{} does not exist.", name.as_str())))
    };
    let mut inputs = vec![SourceInput::new(
        lookup(&query.from.source.name)?,
        query.from.source.visible_name().as_str(),
    )];
    for join in &query.from.joins {
        let source = lookup(&join.source.name)?;
        if let Some(same) = inputs.iter().find(|i| i.source.name == source.name) {
            return Err(PlanError::Type(format!(
                "Can not join '{}' to '{}': self joins are not yet supported.",
                same.source.name, source.name
            )));
        }
        inputs.push(SourceInput::new(
            source,
            join.source.visible_name().as_str(),
        ));
    }
    check_formats(&inputs)?;
    check_windows(&inputs)?;

    let mut steps = Vec::with_capacity(query.from.joins.len());
    let mut left_kind = inputs[0].source.kind;
    let mut key_parts: Vec<KeyPart> = Vec::new();
    let base_width: usize = inputs.iter().map(|i| i.scope.columns.len()).sum();
    for (i, join) in query.from.joins.iter().enumerate() {
        let left_inputs = &inputs[..=i];
        let right = &inputs[i + 1];
        let conditions = conditions(&join.on, left_inputs, right)?;
        for (n, c) in conditions.iter().enumerate() {
            if conditions[..n]
                .iter()
                .any(|d| d.left == c.left && d.right == c.right)
            {
                return Err(PlanError::Type(format!(
                    "Invalid join condition: the condition {} appears more than once (Runnel joins on several conditions, but each must compare different columns). Got {}.",
                    c.shown, join.on
                )));
            }
        }
        let left_scope = Scope::new(
            left_inputs
                .iter()
                .flat_map(|i| i.scope.columns.iter().cloned())
                .collect(),
        );
        let left_compiler = ExprCompiler {
            scope: &left_scope,
            functions,
        };
        let right_compiler = ExprCompiler {
            scope: &right.scope,
            functions,
        };
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        for c in &conditions {
            let l = left_compiler.compile(&c.left).map_err(join_on)?;
            let r = right_compiler.compile(&c.right).map_err(join_on)?;
            if l.ty != r.ty {
                return Err(PlanError::Type(format!(
                    "Invalid join condition: types don't match. Got {}{{{}}} = {}{{{}}}.",
                    shown(&c.left),
                    l.ty,
                    shown(&c.right),
                    r.ty
                )));
            }
            left_keys.push(l);
            right_keys.push(r);
        }
        let got = conditions
            .iter()
            .map(|c| c.shown.clone())
            .collect::<Vec<_>>()
            .join(" AND ");
        let right_is_key = is_source_key(&conditions, right, |c| &c.right);
        let flavor = match (left_kind, right.source.kind) {
            (SourceKind::Stream, SourceKind::Stream) => {
                let within = join.within.ok_or_else(|| {
                    PlanError::Type("Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn about how to specify a WITHIN clause with a stream-stream join, please visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select".into())
                })?;
                let (before, after) = match within {
                    JoinWindow::Symmetric(d) => (d, d),
                    JoinWindow::Asymmetric { before, after } => (before, after),
                };
                JoinFlavor::Windowed {
                    before_ms: millis(before.to_millis()),
                    after_ms: millis(after.to_millis()),
                    grace_ms: join.grace.map(|g| millis(g.to_millis())),
                }
            }
            (SourceKind::Stream, SourceKind::Table) => {
                if matches!(join.kind, JoinKind::Full | JoinKind::Right) {
                    return Err(PlanError::Type(format!(
                        "Invalid join type: {} join not supported for stream-table join. Got {} {} {}.",
                        kind_word(join.kind),
                        left_inputs[i].source.name,
                        kind_text(join.kind),
                        right.source.name
                    )));
                }
                if join.within.is_some() {
                    return Err(PlanError::Type("A window definition was provided for a Stream-Table join. These joins are not windowed. Please drop the window definition (ie. the WITHIN clause) and try to execute your Stream-Table join again.".into()));
                }
                if !right_is_key {
                    return Err(PlanError::Type(format!(
                        "Invalid join condition: stream-table joins require to join on the table's primary key. Got {got}."
                    )));
                }
                JoinFlavor::StreamTable
            }
            (SourceKind::Table, SourceKind::Stream) => {
                return Err(PlanError::Type(format!(
                    "Invalid join order: table-stream joins are not supported; only stream-table joins. Got {} {} {}.",
                    left_inputs[i].source.name,
                    kind_text(join.kind),
                    right.source.name
                )));
            }
            (SourceKind::Table, SourceKind::Table) => {
                if join.within.is_some() {
                    return Err(PlanError::Type("A window definition was provided for a Table-Table join. These joins are not windowed. Please drop the window definition (i.e. the WITHIN clause) and try to execute your Table-Table join again.".into()));
                }
                if !right_is_key {
                    return Err(PlanError::Type(format!(
                        "Invalid join condition: table-table joins require to join on the primary key of the right input table. Got {got}."
                    )));
                }
                let foreign = i > 0 || !is_source_key(&conditions, &inputs[0], |c| &c.left);
                if foreign && matches!(join.kind, JoinKind::Right | JoinKind::Full) {
                    return Err(PlanError::Unsupported(format!(
                        "Invalid join type: {} joins on a column that is not the left table's key (foreign-key joins) support only INNER and LEFT joins. Got {got}.",
                        kind_word(join.kind)
                    )));
                }
                JoinFlavor::TableTable { foreign }
            }
        };
        if left_kind == SourceKind::Table && right.source.kind == SourceKind::Table {
            left_kind = SourceKind::Table;
        } else {
            left_kind = SourceKind::Stream;
        }
        if i + 1 == query.from.joins.len() {
            key_parts = result_key(&conditions, flavor, join.kind, &inputs, i, base_width)?;
        }
        let co_partitioned =
            i == 0 && right_is_key && is_source_key(&conditions, &inputs[0], |c| &c.left);
        steps.push(JoinStep {
            kind: join.kind,
            flavor,
            left_keys,
            right_keys,
            co_partitioned,
        });
    }

    let mut columns: Vec<ScopeColumn> = inputs
        .iter()
        .flat_map(|i| i.scope.columns.iter().cloned())
        .collect();
    let key_types: Vec<SqlType> = match steps.last().map(|s| s.flavor) {
        Some(JoinFlavor::TableTable { foreign: true }) => key_parts
            .iter()
            .map(|p| columns[p.viable[0]].ty.clone())
            .collect(),
        _ => steps
            .last()
            .map(|s| s.left_keys.iter().map(|k| k.ty.clone()).collect())
            .unwrap_or_default(),
    };
    for (part, ty) in key_parts.iter().zip(key_types) {
        columns.push(ScopeColumn {
            qualifier: None,
            name: part
                .synthetic
                .clone()
                .unwrap_or_else(|| format!("__JOIN_KEY_{}", part.index - base_width)),
            ty,
        });
    }
    let scope = Scope::new(columns);
    let compiler = ExprCompiler {
        scope: &scope,
        functions,
    };
    let filter = plan_where(query, &compiler)?;
    let output = if query.partition_by.is_empty() {
        project_join(query, &inputs, &scope, &key_parts, &compiler, sink)?
    } else if left_kind == SourceKind::Table {
        return Err(PlanError::Type(
            "PARTITION BY is only supported on streams: a join of tables is a table, whose key changes only through GROUP BY.".into(),
        ));
    } else {
        project_partitioned_join(query, &inputs, &key_parts, &compiler, sink)?
    };
    Ok(JoinPlan {
        key_count: key_parts.len(),
        inputs,
        steps,
        scope,
        filter,
        output,
        kind: left_kind,
    })
}

fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// "JOIN ON column 'T.IID' cannot be resolved.", as ksqlDB words it.
fn join_on(err: PlanError) -> PlanError {
    match err {
        PlanError::UnknownColumn(name) => {
            PlanError::Type(format!("JOIN ON column '{name}' cannot be resolved."))
        }
        other => other,
    }
}

fn kind_word(kind: JoinKind) -> &'static str {
    match kind {
        JoinKind::Inner => "inner",
        JoinKind::Left => "left",
        JoinKind::Right => "right",
        JoinKind::Full => "full-outer",
    }
}

fn kind_text(kind: JoinKind) -> &'static str {
    match kind {
        JoinKind::Inner => "[INNER] JOIN",
        JoinKind::Left => "LEFT [OUTER] JOIN",
        JoinKind::Right => "RIGHT [OUTER] JOIN",
        JoinKind::Full => "[FULL] OUTER JOIN",
    }
}

/// Refuses sources whose value format cannot take part in a join.
fn check_formats(inputs: &[SourceInput]) -> Result<()> {
    let kafka: Vec<&str> = inputs
        .iter()
        .filter(|i| i.source.value_format.kind == FormatKind::Kafka)
        .map(|i| i.source.name.as_str())
        .collect();
    if kafka.is_empty() {
        return Ok(());
    }
    Err(PlanError::Type(format!(
        "Source(s) {} are using the 'KAFKA' value format. This format does not yet support JOIN.",
        kafka.join(", ")
    )))
}

/// ksqlDB's rules for windowed sources; Runnel joins only non-windowed ones so far.
fn check_windows(inputs: &[SourceInput]) -> Result<()> {
    for pair in inputs.windows(2) {
        let (l, r) = (&pair[0].source, &pair[1].source);
        match (l.window, r.window) {
            (None, None) => {}
            (Some(w), None) | (None, Some(w)) => {
                let (windowed, plain) = if l.window.is_some() { (l, r) } else { (r, l) };
                return Err(PlanError::Type(format!(
                    "Can not join windowed source to non-windowed source.\n`{}` is {} windowed\n`{}` is not windowed",
                    windowed.name,
                    w.kind.name(),
                    plain.name
                )));
            }
            (Some(a), Some(b)) => {
                let session =
                    |w: crate::catalog::WindowInfo| w.kind == crate::catalog::WindowType::Session;
                if session(a) != session(b) {
                    return Err(PlanError::Type(format!(
                        "Incompatible windowed sources.\nLeft source: {}\nRight source: {}\nSession windowed sources can only be joined to other session windowed sources, and may still not result in expected behaviour as session bounds must be an exact match for the join to work\nHopping and tumbling windowed sources can only be joined to other hopping and tumbling windowed sources",
                        a.kind.name(),
                        b.kind.name()
                    )));
                }
                return Err(PlanError::Unsupported(
                    "Joins of windowed sources are not supported by Runnel yet".into(),
                ));
            }
        }
    }
    Ok(())
}

/// The column references of `expr`.
fn column_refs(expr: &Expr) -> Vec<(Option<String>, String)> {
    let mut found = Vec::new();
    let _ = rewrite::<()>(expr, &mut |e| {
        if let Expr::Column { source, name } = e {
            found.push((
                source.as_ref().map(|s| s.as_str().to_string()),
                name.as_str().to_string(),
            ));
        }
        Ok(None)
    });
    found
}

/// Qualifies every column of `expr` with the alias of the input it belongs to.
pub(super) fn qualify(expr: &Expr, inputs: &[&SourceInput]) -> Result<Expr> {
    rewrite(expr, &mut |e| {
        let Expr::Column { source, name } = e else {
            return Ok(None);
        };
        let alias = owner(source.as_ref().map(Ident::as_str), name.as_str(), inputs)?;
        Ok(Some(Expr::Column {
            source: Some(Ident::new(inputs[alias].alias.as_str())),
            name: name.clone(),
        }))
    })
}

/// Which of `inputs` the column `qualifier.name` belongs to.
fn owner(qualifier: Option<&str>, name: &str, inputs: &[&SourceInput]) -> Result<usize> {
    if let Some(q) = qualifier {
        let index = inputs.iter().position(|i| i.alias == q).ok_or_else(|| {
            PlanError::Type(format!("'{q}' is not a valid stream/table name or alias."))
        })?;
        if inputs[index].scope.resolve(Some(q), name).is_err() {
            return Err(PlanError::Type(format!(
                "JOIN ON column '{q}.{name}' cannot be resolved."
            )));
        }
        return Ok(index);
    }
    let owners: Vec<usize> = (0..inputs.len())
        .filter(|i| inputs[*i].scope.resolve(None, name).is_ok())
        .collect();
    match owners.as_slice() {
        [one] => Ok(*one),
        [] => Err(PlanError::Type(format!(
            "JOIN ON column '{name}' cannot be resolved."
        ))),
        many => Err(PlanError::Type(format!(
            "Column '{name}' is ambiguous. Could be {}.",
            many.iter()
                .map(|i| format!("{}.{name}", inputs[*i].alias))
                .collect::<Vec<_>>()
                .join(" or ")
        ))),
    }
}

fn shown(expr: &Expr) -> String {
    let text = expr.to_string();
    text.strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .filter(|_| matches!(expr, Expr::Binary { .. }))
        .map(str::to_string)
        .unwrap_or(text)
}

/// Splits the ON clause into equalities, each side reading either only the left inputs
/// or only the right one (sides as written may be swapped).
fn conditions(on: &Expr, left: &[SourceInput], right: &SourceInput) -> Result<Vec<Condition>> {
    let mut equalities = Vec::new();
    let mut pending = vec![on];
    while let Some(e) = pending.pop() {
        match e {
            Expr::Binary {
                left: a,
                op: BinaryOp::And,
                right: b,
            } => {
                pending.push(b);
                pending.push(a);
            }
            Expr::Binary {
                left: a,
                op: BinaryOp::Eq,
                right: b,
            } => equalities.push((a.as_ref(), b.as_ref())),
            other => {
                return Err(PlanError::Type(format!(
                    "Unsupported join expression: {other}. Joins must be equalities (a = b), optionally combined with AND."
                )));
            }
        }
    }
    let all: Vec<&SourceInput> = left.iter().chain(std::iter::once(right)).collect();
    let right_index = all.len() - 1;
    let mut out = Vec::new();
    for (a, b) in equalities {
        let whole = Expr::binary(a.clone(), BinaryOp::Eq, b.clone());
        let side_of = |e: &Expr| -> Result<Option<bool>> {
            let refs = column_refs(e);
            let mut sides = Vec::new();
            for (q, name) in &refs {
                let is_right = owner(q.as_deref(), name, &all)? == right_index;
                if !sides.contains(&is_right) {
                    sides.push(is_right);
                }
            }
            Ok(match sides.as_slice() {
                [one] => Some(*one),
                _ => None,
            })
        };
        let (sa, sb) = (side_of(a)?, side_of(b)?);
        let invalid = |e: &Expr| {
            PlanError::Type(format!(
                "Invalid comparison expression '{e}' in join '{whole}'. Each side of the join comparision must contain references from exactly one source."
            ))
        };
        let (l, r) = match (sa, sb) {
            (Some(false), Some(true)) => (a, b),
            (Some(true), Some(false)) => (b, a),
            (None, _) => return Err(invalid(a)),
            (_, None) => return Err(invalid(b)),
            _ => {
                return Err(PlanError::Type(format!(
                    "Invalid join condition: {whole} compares two columns of the same side of the join."
                )));
            }
        };
        let (qa, qb) = (qualify(a, &all)?, qualify(b, &all)?);
        out.push(Condition {
            left: qualify(l, &all)?,
            right: qualify(r, &all)?,
            shown: format!("{} = {}", shown(&qa), shown(&qb)),
        });
    }
    Ok(out)
}

/// Whether the conditions' `side` expressions are exactly `input`'s key columns.
fn is_source_key(
    conditions: &[Condition],
    input: &SourceInput,
    side: impl Fn(&Condition) -> &Expr,
) -> bool {
    let keys: Vec<&str> = input
        .source
        .schema
        .key_columns()
        .map(|c| c.name.as_str())
        .collect();
    if keys.is_empty() || keys.len() != conditions.len() {
        return false;
    }
    let mut used: Vec<&str> = Vec::new();
    for c in conditions {
        match side(c) {
            Expr::Column {
                source: Some(q),
                name,
            } if q.as_str() == input.alias && keys.contains(&name.as_str()) => {
                used.push(name.as_str())
            }
            _ => return false,
        }
    }
    keys.iter().all(|k| used.contains(k))
}

/// The result key of the last step: one part per condition, carried by the columns the
/// condition equates, or synthesized (`ROWKEY`) when no column does or the join is FULL
/// OUTER; a foreign-key join keeps the left table's key.
fn result_key(
    conditions: &[Condition],
    flavor: JoinFlavor,
    kind: JoinKind,
    inputs: &[SourceInput],
    step: usize,
    base_width: usize,
) -> Result<Vec<KeyPart>> {
    let all: Vec<&SourceInput> = inputs.iter().collect();
    let offsets: Vec<usize> = inputs
        .iter()
        .scan(0, |offset, i| {
            let start = *offset;
            *offset += i.scope.columns.len();
            Some(start)
        })
        .collect();
    let scope_index = |e: &Expr| -> Option<usize> {
        let Expr::Column {
            source: Some(q),
            name,
        } = e
        else {
            return None;
        };
        let input = all.iter().position(|i| i.alias == q.as_str())?;
        let (index, _) = inputs[input]
            .scope
            .resolve(Some(q.as_str()), name.as_str())
            .ok()?;
        Some(offsets[input] + index)
    };
    if flavor == (JoinFlavor::TableTable { foreign: true }) {
        // The left table's own key columns carry the result key.
        let left = &inputs[0];
        let keys: Vec<usize> = (0..left.source.schema.key_columns().count()).collect();
        if step > 0 || keys.is_empty() {
            return Err(PlanError::Unsupported(
                "A foreign-key join must have a keyed table on its left".into(),
            ));
        }
        return Ok(keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| KeyPart {
                viable: vec![k],
                synthetic: None,
                index: base_width + i,
            })
            .collect());
    }
    let taken: Vec<&str> = inputs
        .iter()
        .flat_map(|i| i.source.schema.columns.iter().map(|c| c.name.as_str()))
        .collect();
    let mut synthetic_names: Vec<String> = Vec::new();
    let mut synthetic_name = || -> String {
        let mut n = 0;
        loop {
            let candidate = if n == 0 {
                "ROWKEY".to_string()
            } else {
                format!("ROWKEY_{n}")
            };
            if !taken.contains(&candidate.as_str()) && !synthetic_names.contains(&candidate) {
                synthetic_names.push(candidate.clone());
                return candidate;
            }
            n += 1;
        }
    };
    let mut parts = Vec::new();
    for (i, c) in conditions.iter().enumerate() {
        let viable: Vec<usize> = if kind == JoinKind::Full {
            Vec::new()
        } else {
            [&c.left, &c.right]
                .into_iter()
                .filter_map(|e| scope_index(e))
                .collect()
        };
        let synthetic = viable.is_empty().then(&mut synthetic_name);
        parts.push(KeyPart {
            viable,
            synthetic,
            index: base_width + i,
        });
    }
    Ok(parts)
}

//! How the tasks of a join query are laid out: a task per partition when every step's
//! rows meet in partitions of one number (each stream side whose join key is not its key
//! routed through an internal topic), one task over everything otherwise.

use datafusion::logical_expr::Expr as DfExpr;

use super::error::{PlanError, Result};
use super::expr::Typed;
use super::join::{JoinFlavor, JoinPlan};
use super::repartition::{RepartitionPlan, RepartitionSite};
use super::select::SourceInput;

/// How the tasks of a join query are laid out.
#[derive(Debug, Clone)]
pub enum JoinLayout {
    /// One task reads every partition of every input and re-keys in memory: a join
    /// whose first step is a foreign-key join, or a later step whose left key is not the
    /// key the joined rows are partitioned by (an intermediate re-key).
    Single,
    /// A task per partition `p` joins partition `p` of every input. `routes[i]` is the
    /// re-key of input `i` through its internal topic, when its join key is not its key
    /// (or it is keyed in another format than `hash_input`'s).
    PerPartition {
        routes: Vec<Option<RepartitionPlan>>,
        /// The input whose key format every router hashes the new key in.
        hash_input: usize,
    },
}

/// The keys input `index` enters the join on: the first step's left keys for input 0,
/// step `index - 1`'s right keys for the others.
pub fn entry_keys(plan: &JoinPlan, index: usize) -> &[Typed] {
    if index == 0 {
        &plan.steps[0].left_keys
    } else {
        &plan.steps[index - 1].right_keys
    }
}

/// Lays out a join; refuses a table that would have to be re-keyed, as ksqlDB does.
pub fn join_layout(plan: &JoinPlan) -> Result<JoinLayout> {
    let Some(first) = plan.steps.first() else {
        return Ok(JoinLayout::Single);
    };
    // A foreign-key step looks the left table's value column up in the right table's
    // key: the rows that meet sit in partitions of different numbers.
    if matches!(first.flavor, JoinFlavor::TableTable { foreign: true }) {
        return Ok(JoinLayout::Single);
    }
    if !later_steps_keep_partitioning(plan) {
        return Ok(JoinLayout::Single);
    }
    let mut routed: Vec<bool> = (0..plan.inputs.len())
        .map(|i| !keyed_by(&plan.inputs[i], entry_keys(plan, i)))
        .collect();
    for (i, input) in plan.inputs.iter().enumerate() {
        if routed[i] && input.source.is_table() {
            return Err(cannot_repartition_table(input, entry_keys(plan, i)));
        }
    }
    // Keys hash alike only in one format: the inputs that stay put anchor it (a table
    // first, as it cannot move), and a stream keyed in another one is re-keyed into it.
    let staying = |table: bool| {
        (0..plan.inputs.len()).find(|&i| !routed[i] && plan.inputs[i].source.is_table() == table)
    };
    let hash_input = staying(true).or_else(|| staying(false)).unwrap_or(0);
    let anchor = plan.inputs[hash_input].source.key_format.kind;
    for (i, input) in plan.inputs.iter().enumerate() {
        if !routed[i] && input.source.key_format.kind != anchor {
            if input.source.is_table() {
                // Two tables keyed in different formats: one task joins them unmoved.
                return Ok(JoinLayout::Single);
            }
            routed[i] = true;
        }
    }
    let depth = plan.steps.len() - 1;
    let routes = routed
        .iter()
        .enumerate()
        .map(|(i, &route)| {
            route.then(|| {
                let site = if i > 0 {
                    RepartitionSite::JoinRight {
                        depth: depth + 1 - i,
                    }
                } else if plan.inputs[1].source.is_table() {
                    RepartitionSite::Join { depth }
                } else {
                    RepartitionSite::JoinLeft { depth }
                };
                RepartitionPlan {
                    input: plan.inputs[i].clone(),
                    filter: None,
                    key: entry_keys(plan, i).to_vec(),
                    site,
                }
            })
        })
        .collect();
    Ok(JoinLayout::PerPartition { routes, hash_input })
}

/// Whether `keys` are exactly `input`'s key columns, in order: its records then sit in
/// the partition their join key hashes to.
fn keyed_by(input: &SourceInput, keys: &[Typed]) -> bool {
    let key_count = input.source.schema.key_columns().count();
    key_count > 0
        && keys.len() == key_count
        && keys
            .iter()
            .enumerate()
            .all(|(i, k)| k.expr == DfExpr::Column(input.scope.df_column(i)))
}

/// The index in `input`'s scope of the column `key` is exactly, if it is one.
fn column_of(input: &SourceInput, key: &Typed) -> Option<usize> {
    (0..input.scope.columns.len()).find(|&i| key.expr == DfExpr::Column(input.scope.df_column(i)))
}

/// Whether every step after the first joins on columns that carry the first step's
/// key, part by part: the joined rows then already sit in the partition of the next
/// step's key, and only the new input may need routing. Otherwise the joined rows would
/// need re-keying between steps.
fn later_steps_keep_partitioning(plan: &JoinPlan) -> bool {
    let first = &plan.steps[0];
    let mut offsets = Vec::with_capacity(plan.inputs.len());
    let mut width = 0;
    for input in &plan.inputs {
        offsets.push(width);
        width += input.scope.columns.len();
    }
    // Per key part, the plan-scope indexes of the columns that carry its value.
    let mut carriers: Vec<Vec<usize>> = first
        .left_keys
        .iter()
        .zip(&first.right_keys)
        .map(|(l, r)| {
            let left = column_of(&plan.inputs[0], l);
            let right = column_of(&plan.inputs[1], r).map(|c| offsets[1] + c);
            left.into_iter().chain(right).collect()
        })
        .collect();
    for (s, step) in plan.steps.iter().enumerate().skip(1) {
        if step.left_keys.len() != carriers.len() {
            return false;
        }
        for (part, (left, right)) in step.left_keys.iter().zip(&step.right_keys).enumerate() {
            let carried = carriers[part]
                .iter()
                .any(|&c| left.expr == DfExpr::Column(plan.scope.df_column(c)));
            if !carried {
                return false;
            }
            if let Some(c) = column_of(&plan.inputs[s + 1], right) {
                carriers[part].push(offsets[s + 1] + c);
            }
        }
    }
    true
}

/// ksqlDB's refusal of a join that would re-key a table: a table is materialized by its
/// primary key and is joined only on it.
fn cannot_repartition_table(input: &SourceInput, keys: &[Typed]) -> PlanError {
    let key_names: Vec<&str> = input
        .source
        .schema
        .key_columns()
        .map(|c| c.name.as_str())
        .collect();
    let shown: Vec<String> = keys
        .iter()
        .map(|k| match column_of(input, k) {
            Some(c) => input.scope.columns[c].name.clone(),
            None => k.expr.to_string(),
        })
        .collect();
    PlanError::Type(format!(
        "Cannot repartition a TABLE source. If this is a join, make sure that the criteria uses the TABLE's key column {} instead of [{}]",
        key_names.join(", "),
        shown.join(", ")
    ))
}

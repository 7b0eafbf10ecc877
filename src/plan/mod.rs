//! Planning: AST to a typed logical dataflow, with ksqlDB's errors.

pub mod aggregate;
pub mod error;
pub mod expr;
pub mod functions;
pub mod join;
pub mod join_layout;
pub mod join_partition;
pub mod join_projection;
pub mod naming;
pub mod partition;
pub mod repartition;
pub mod rewrite;
pub mod scope;
pub mod select;
pub mod table_function;
pub mod types;
pub mod window;

pub use aggregate::{AggregateCall, AggregatePlan, is_aggregate_query, plan_aggregate};
pub use error::{PlanError, Result};
pub use expr::{ExprCompiler, FunctionResolver, Typed};
pub use join::{JoinPlan, plan_join};
pub use scope::{Scope, ScopeColumn};
pub use select::{OutputColumn, SelectPlan, SourceInput, plan_select};
pub use window::WindowPlan;

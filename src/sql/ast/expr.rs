//! Expressions: column references, operators, function calls, constructors, lambdas.

use super::{Ident, Literal};
use crate::sql::types::SqlType;

/// A scalar expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Literal),
    /// `name` or `source.name`.
    Column {
        source: Option<Ident>,
        name: Ident,
    },
    /// Struct field access `base->field`.
    Dereference {
        base: Box<Expr>,
        field: Ident,
    },
    /// `base[index]`: 1-based array index (negative counts from the end) or map key.
    Subscript {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        left: Box<Expr>,
        op: BinaryOp,
        right: Box<Expr>,
    },
    /// `expr [NOT] BETWEEN low AND high`.
    Between {
        expr: Box<Expr>,
        negated: bool,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    /// `expr [NOT] IN (list)`.
    InList {
        expr: Box<Expr>,
        negated: bool,
        list: Vec<Expr>,
    },
    /// `expr [NOT] LIKE pattern [ESCAPE escape]`.
    Like {
        expr: Box<Expr>,
        negated: bool,
        pattern: Box<Expr>,
        escape: Option<Box<Expr>>,
    },
    /// `expr IS [NOT] NULL`.
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `left IS [NOT] DISTINCT FROM right`.
    IsDistinctFrom {
        left: Box<Expr>,
        negated: bool,
        right: Box<Expr>,
    },
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`; `operand` is set for the
    /// simple form, which compares it with each `WHEN` value.
    Case {
        operand: Option<Box<Expr>>,
        branches: Vec<WhenThen>,
        else_result: Option<Box<Expr>>,
    },
    Cast {
        expr: Box<Expr>,
        ty: SqlType,
    },
    Function {
        name: Ident,
        args: FunctionArgs,
    },
    /// `ARRAY[a, b, ...]`.
    Array(Vec<Expr>),
    /// `MAP(k := v, ...)`.
    Map(Vec<(Expr, Expr)>),
    /// `STRUCT(name := v, ...)`.
    Struct(Vec<(Ident, Expr)>),
    /// `x => body` or `(x, y) => body`; only valid as a function argument.
    Lambda {
        params: Vec<Ident>,
        body: Box<Expr>,
    },
}

/// The arguments of a function call.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionArgs {
    /// `COUNT(*)`.
    Star,
    /// `f([DISTINCT] a, b, ...)`.
    List { distinct: bool, args: Vec<Expr> },
}

/// One `WHEN condition THEN result` of a CASE.
#[derive(Debug, Clone, PartialEq)]
pub struct WhenThen {
    pub when: Expr,
    pub then: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Minus,
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Multiply,
    Divide,
    Modulo,
    /// `||`.
    Concat,
}

impl BinaryOp {
    /// Binding strength; a higher number binds tighter.
    pub fn precedence(&self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 4,
            BinaryOp::Concat => 5,
            BinaryOp::Plus | BinaryOp::Minus => 6,
            BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo => 7,
        }
    }

    pub fn symbol(&self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Concat => "||",
        }
    }
}

impl Expr {
    pub fn column(name: &str) -> Expr {
        Expr::Column {
            source: None,
            name: Ident::new(name),
        }
    }

    pub fn binary(left: Expr, op: BinaryOp, right: Expr) -> Expr {
        Expr::Binary {
            left: Box::new(left),
            op,
            right: Box::new(right),
        }
    }
}

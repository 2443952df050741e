//! The QBO query language subset (docs/quickbooks.md §6): a pure parser and an evaluator over
//! stored entities, with the documented 4000/4001 errors.

pub mod eval;
pub mod parser;

pub use parser::{
    Comparison, Literal, Operator, OrderBy, Projection, QueryError, Statement, parse,
};

//! Vendor HTTP plumbing shared by both clients: rate budgets (per container and shared across
//! containers), the invocation deadline, the one retry loop, and the token renewal on a 401.

pub mod budget;
pub mod deadline;
pub mod retry;
pub mod shared_budget;
pub mod token_renewal;

pub use budget::{BudgetPermit, RateBudget, Window};
pub use retry::{ClassifyRetry, RetryClass, RetryPolicy, with_retry, with_retry_pausing};
pub use shared_budget::SharedAllowance;
pub use token_renewal::TokenRenewal;

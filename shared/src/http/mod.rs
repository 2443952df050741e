//! Vendor HTTP plumbing shared by both clients: rate budgets under each API's limits, the one
//! retry loop their calls run in, and the token renewal they ask when a vendor refuses a token.

pub mod budget;
pub mod retry;
pub mod token_renewal;

pub use budget::{BudgetPermit, RateBudget, Window};
pub use retry::{ClassifyRetry, RetryClass, RetryPolicy, with_retry};
pub use token_renewal::TokenRenewal;

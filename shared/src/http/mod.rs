//! Vendor HTTP plumbing shared by the HubSpot and QuickBooks clients: rate budgets that keep a
//! connection under each API's limits, and the one retry loop both clients run their calls in.

pub mod budget;
pub mod retry;

pub use budget::{BudgetPermit, RateBudget, Window};
pub use retry::{ClassifyRetry, RetryClass, RetryPolicy, with_retry};

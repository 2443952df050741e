//! The admin ports: what the admin API remembers besides the sync state (the audit log, failed
//! sign-ins, OAuth authorizations in progress) and `AdminStore`, their sum.

mod audit;
mod login_attempts;
mod pending_authorizations;

pub use audit::{AuditEntry, AuditLog};
pub use login_attempts::LoginAttempts;
pub use pending_authorizations::{PendingAuthorization, PendingAuthorizations};

/// Every admin capability in one value (the admin API's context holds one). Implemented by the
/// memory, SQLite and DynamoDB stores, beside their sync capabilities.
pub trait AdminStore: AuditLog + LoginAttempts + PendingAuthorizations {}

impl<T> AdminStore for T where T: AuditLog + LoginAttempts + PendingAuthorizations + ?Sized {}

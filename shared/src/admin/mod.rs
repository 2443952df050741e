//! The admin API (JSON under `/api/`, plus the connect pages): one axum router served by
//! `hqsync dev` on its `--listen` address and by the admin Lambda on the stack's HTTP API.

pub mod audit;
pub mod connections;
pub mod context;
pub mod error;
pub mod objects;
pub mod operations;
pub mod router;
pub mod session;
pub mod settings;
pub mod sign_in;
pub mod sign_in_link;

pub use context::AdminContext;
pub use error::ApiError;
pub use router::{ADMIN_ROUTES, AdminRoute, router};
pub use session::{AdminAuth, AdminSession, CSRF_HEADER, SESSION_COOKIE, Session};

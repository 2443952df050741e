//! `AdminContext`: everything an admin route reaches — the engine's context, the token vault,
//! the admin store, the dead letters, the sign-in secrets and where the vendors are.

use std::sync::Arc;

use super::session::AdminAuth;
use crate::engine::jobs::SyncContext;
use crate::ports::{AdminStore, DeadLetters, TokenVault};
use crate::tokens::VendorUrls;

/// Cheap to clone (every part is shared).
#[derive(Clone)]
pub struct AdminContext {
    /// Store, queue, clock and gateways: the same the worker runs on.
    pub sync: SyncContext,
    pub vault: Arc<dyn TokenVault>,
    pub admin_store: Arc<dyn AdminStore>,
    pub dead_letters: Arc<dyn DeadLetters>,
    pub auth: Arc<AdminAuth>,
    /// Where this API is reached from a browser, without a trailing slash: OAuth callbacks
    /// are `{public_base_url}/oauth/{hubspot|quickbooks}/callback`.
    pub public_base_url: String,
    /// Vendor addresses when not the public ones (the local sandboxes).
    pub vendor_urls: VendorUrls,
}

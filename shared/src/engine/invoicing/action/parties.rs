//! Where the action gets the QBO customer and items of a deal: the two-way sync's link store and
//! matching (the jobs layer implements it), so an action never creates what the sync would find.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::execute::ActionError;
use crate::model::ObjectKind;

/// The QBO record of one HubSpot record, or why there is none (in the user's words).
pub type Counterpart = Result<String, String>;

/// Resolves HubSpot contacts or companies and products to QBO customers and items the way the
/// two-way sync does: a linked record is used; an unlinked one is matched by its kind's natural
/// key (e-mail or name; company name or domain; SKU or name) and linked; with no match it is
/// created with the sync's marker and linked, even under the "create only when billed" policy
/// (this is the bill).
#[async_trait]
pub trait BillingParties: Send + Sync {
    /// The QBO customer of HubSpot record `id` of `kind`: the customer model's kind, a contact
    /// or a company (docs/admin.md §6).
    async fn customer(&self, kind: ObjectKind, id: &str) -> Result<Counterpart, ActionError>;
    /// The QBO item of each HubSpot product in `product_ids`, keyed by product id.
    async fn items(
        &self,
        product_ids: &[String],
    ) -> Result<BTreeMap<String, Counterpart>, ActionError>;
}

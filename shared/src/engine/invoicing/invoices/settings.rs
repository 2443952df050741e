//! The invoice flows' runtime options, derived from a connection's settings (the `invoices`
//! section, the item defaults and the product sync) so they are configured in one place.

use crate::model::{ConnectionSettings, CustomerModel, ObjectKind, Side, SyncState};
use crate::quickbooks::QboEnvironment;
use crate::quickbooks::environment::PRODUCTION_WEB_APP;

/// Options of the invoice mirror, the payment notes and the "Create QuickBooks invoice" action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSyncSettings {
    /// Without a recorded deal or a tag, the contact's single open deal with the invoice's
    /// amount (on by default; `engine::invoicing::deal::resolution`).
    pub contact_open_deal_fallback: bool,
    /// A legacy QBO custom field holding a deal reference, besides the PrivateNote tag.
    pub deal_reference_field: Option<String>,
    /// The action creates a QBO customer for a deal contact that is not linked yet.
    pub create_missing_customer: bool,
    /// The action creates a QBO item for a deal product that is not linked yet.
    pub create_missing_items: bool,
    /// `IncomeAccountRef` of items the action creates; `None` = the first income account.
    pub income_account_id: Option<String>,
    /// Prefix of generated DocNumbers when the company uses custom transaction numbers.
    pub doc_number_prefix: String,
    /// An invoice waits for its QBO items to be linked to HubSpot products (true when the
    /// product sync runs towards HubSpot, so line items can point at products).
    pub require_linked_items: bool,
    /// The workflow actions' TaxCode for lines whose item has none (non-US companies).
    pub default_tax_code: Option<String>,
    /// The company's QBO web app (`qbo_invoice_url`): production unless the connection is to
    /// a sandbox company ([`InvoiceSyncSettings::for_environment`]).
    pub qbo_web_app_base: String,
    /// Whether a QBO customer is a HubSpot contact or company (`[customers] model`,
    /// docs/admin.md §6): the record invoices, payments and receivables go to.
    pub customer_model: CustomerModel,
}

impl InvoiceSyncSettings {
    /// The options a connection's settings give.
    pub fn from_settings(settings: &ConnectionSettings) -> Self {
        let invoices = &settings.invoices;
        let product = settings.object(ObjectKind::Product);
        InvoiceSyncSettings {
            contact_open_deal_fallback: invoices.contact_open_deal_fallback,
            deal_reference_field: invoices.deal_reference_field.clone(),
            create_missing_customer: invoices.create_missing_customer,
            create_missing_items: invoices.create_missing_items,
            income_account_id: settings.new_items.income_account_id.clone(),
            doc_number_prefix: invoices.doc_number_prefix.clone(),
            require_linked_items: product.state == SyncState::Enabled
                && product.direction.writes_to(Side::Hubspot),
            default_tax_code: invoices.default_tax_code.clone(),
            qbo_web_app_base: PRODUCTION_WEB_APP.into(),
            customer_model: settings.customers.model,
        }
    }

    /// The same options for a company in `environment` (sandbox companies link to the sandbox
    /// web app; a custom base such as the local sandbox keeps the production form).
    pub fn for_environment(mut self, environment: &QboEnvironment) -> Self {
        if let Some(base) = environment.web_app_base() {
            self.qbo_web_app_base = base.into();
        }
        self
    }
}

impl Default for InvoiceSyncSettings {
    /// The options of default connection settings.
    fn default() -> Self {
        Self::from_settings(&ConnectionSettings::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;

    #[test]
    fn options_follow_the_connection_settings() {
        let defaults = InvoiceSyncSettings::default();
        assert!(defaults.create_missing_customer && defaults.require_linked_items);
        assert!(defaults.contact_open_deal_fallback);
        assert_eq!(defaults.doc_number_prefix, "HS-");

        let mut settings = ConnectionSettings::default();
        settings.product.direction = Direction::ToQuickbooks;
        settings.new_items.income_account_id = Some("79".into());
        settings.invoices.contact_open_deal_fallback = false;
        let derived = InvoiceSyncSettings::from_settings(&settings);
        assert!(!derived.require_linked_items);
        assert!(!derived.contact_open_deal_fallback);
        assert_eq!(derived.income_account_id.as_deref(), Some("79"));
        settings.product.state = SyncState::Disabled;
        settings.product.direction = Direction::TwoWay;
        assert!(!InvoiceSyncSettings::from_settings(&settings).require_linked_items);
        assert_eq!(defaults.qbo_web_app_base, "https://app.qbo.intuit.com");
        let sandbox = InvoiceSyncSettings::default().for_environment(&QboEnvironment::Sandbox);
        assert_eq!(
            sandbox.qbo_web_app_base,
            "https://app.sandbox.qbo.intuit.com"
        );
    }
}

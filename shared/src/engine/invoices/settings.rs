//! Per-connection options of the invoice, payment and workflow-action flows (issue 6).
//! Kept here until `ConnectionSettings` grows an invoices section; defaults are the issue's.

/// Options of the invoice mirror, the payment notes and the "Create QuickBooks invoice" action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSyncSettings {
    pub invoices_enabled: bool,
    pub payments_enabled: bool,
    /// Fall back to the contact's most recently modified open deal (off by default).
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
}

impl Default for InvoiceSyncSettings {
    fn default() -> Self {
        InvoiceSyncSettings {
            invoices_enabled: true,
            payments_enabled: true,
            contact_open_deal_fallback: false,
            deal_reference_field: None,
            create_missing_customer: true,
            create_missing_items: true,
            income_account_id: None,
            doc_number_prefix: "HS-".into(),
        }
    }
}

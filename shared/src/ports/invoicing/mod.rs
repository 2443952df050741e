//! The vendor capabilities the one-way invoicing flows use, one trait per concern (HubSpot
//! invoices, line items, CRM records, associations, timeline, schema, workflow callbacks; QBO
//! invoices, payments, credit forms, receivables, company set-up, catalog). Adapters implement them over the clients.

mod credits;
mod hubspot;
mod quickbooks;
mod receivables;

pub use credits::QboCredits;
pub use hubspot::{
    HubspotAssociations, HubspotCrmRecords, HubspotInvoices, HubspotInvoicing, HubspotLineItems,
    HubspotSchema, HubspotTimeline, WorkflowCallbacks,
};
pub use quickbooks::{QboCatalog, QboCompanySetup, QboInvoices, QboInvoicing, QboPayments};
pub use receivables::QboReceivables;

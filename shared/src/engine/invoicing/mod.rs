//! The one-way invoicing flows: QBO invoices, payments, credits and estimates mirrored into HubSpot, the
//! deal they belong to, the "Create QuickBooks invoice" workflow action, the overdue sweep and
//! the customer's receivables on its HubSpot record.

pub mod action;
pub mod credits;
pub mod customer_party;
#[cfg(test)]
mod customer_party_tests;
pub mod deal;
pub mod estimates;
pub mod invoices;
pub mod payments;
pub mod receivables;
pub mod sweep;

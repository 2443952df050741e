//! The one-way invoicing flows: QBO invoices and payments mirrored into HubSpot, the deal they
//! belong to, the "Create QuickBooks invoice" workflow action and the daily overdue sweep.

pub mod action;
pub mod deal;
pub mod invoices;
pub mod payments;
pub mod sweep;

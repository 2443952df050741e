//! The one-way invoicing flows: QBO invoices, payments and credits mirrored into HubSpot, the
//! deal they belong to, the "Create QuickBooks invoice" workflow action and the overdue sweep.

pub mod action;
pub mod credits;
pub mod deal;
pub mod invoices;
pub mod payments;
pub mod sweep;

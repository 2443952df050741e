//! QBO Payment → HubSpot (invoice balance, deal notes, payment records): mirrored one-way,
//! and only while invoices are, since a payment updates mirrored invoices.

use super::{Flow, HubspotCreate, HubspotFacts, KindDescriptor, QboFacts};
use crate::model::{ConnectionSettings, ObjectKind, SyncState};

pub(super) static PAYMENT: KindDescriptor = KindDescriptor {
    kind: ObjectKind::Payment,
    name: "payment",
    flow: Flow::Mirrored {
        state: payment_state,
    },
    hubspot: HubspotFacts {
        object_path: "commerce_payments",
        object_type_id: "0-101",
        record_name: "payment",
        qbo_id_property: "qbo_payment_id",
        merged_ids_property: None,
        link_property: None,
        unique_properties: &[],
        create: HubspotCreate::Never {
            refusal: "invoices and payments are mirrored by the invoice flow, not planned",
        },
        columns: &[
            ("amount", "hs_initial_amount"),
            ("status", "hs_latest_status"),
        ],
    },
    qbo: QboFacts {
        entity: "Payment",
        unique_name: None,
        create_refusal: "invoices and payments are mirrored from QuickBooks, never created there by the sync",
        create_defaults: None,
        default_type: None,
        income_account_ref: None,
        columns: &[
            ("TotalAmt", "TotalAmt"),
            ("TxnDate", "TxnDate"),
            ("PaymentRefNum", "PaymentRefNum"),
        ],
    },
    default_rows: &[],
    derived_rows: &[],
};

/// Payments follow invoices: without mirrored invoices there is nothing for a payment to update.
fn payment_state(settings: &ConnectionSettings) -> SyncState {
    match settings.invoices.invoice_sync {
        SyncState::Enabled => settings.invoices.payment_sync,
        other => other,
    }
}

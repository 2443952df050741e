//! QBO Invoice → HubSpot invoice: mirrored one-way by the invoicing flows; a workflow-action
//! job is an invoice job on the HubSpot side.

use super::{Flow, HubspotCreate, HubspotFacts, KindDescriptor, QboFacts};
use crate::model::{ConnectionSettings, ObjectKind, SyncState};

pub(super) static INVOICE: KindDescriptor = KindDescriptor {
    kind: ObjectKind::Invoice,
    name: "invoice",
    flow: Flow::Mirrored {
        state: invoice_state,
    },
    hubspot: HubspotFacts {
        object_path: "invoices",
        object_type_id: "0-53",
        record_name: "invoice",
        qbo_id_property: "qbo_invoice_id",
        merged_ids_property: None,
        link_property: None,
        unique_properties: &[],
        create: HubspotCreate::Never {
            refusal: "invoices and payments are mirrored by the invoice flow, not planned",
        },
        columns: &[
            ("number", "qbo_doc_number"),
            ("status", "qbo_status"),
            ("balance", "qbo_balance"),
        ],
    },
    qbo: QboFacts {
        entity: "Invoice",
        unique_name: None,
        create_refusal: "invoices and payments are mirrored from QuickBooks, never created there by the sync",
        create_defaults: None,
        default_type: None,
        income_account_ref: None,
        columns: &[
            ("DocNumber", "DocNumber"),
            ("TotalAmt", "TotalAmt"),
            ("Balance", "Balance"),
            ("DueDate", "DueDate"),
        ],
    },
    default_rows: &[],
    derived_rows: &[],
};

fn invoice_state(settings: &ConnectionSettings) -> SyncState {
    settings.invoices.invoice_sync
}

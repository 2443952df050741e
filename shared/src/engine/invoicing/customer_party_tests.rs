//! Tests of the invoicing flows under `[customers] model = "company"` on the invoicing fakes
//! (docs/admin.md §6): the invoice, its payment record and the receivables reach the company.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::adapters::invoicing_fakes::{FakeHubspot, FakeQbo};
use crate::engine::invoicing::invoices::{
    InvoiceMirror, InvoiceSyncError, InvoiceSyncSettings, MirrorOutcome,
};
use crate::engine::invoicing::payments::{PaymentMirror, PaymentRecordsCapability};
use crate::engine::invoicing::receivables::properties::OPEN_BALANCE;
use crate::engine::invoicing::receivables::{ReceivablesFlow, ReceivablesSchema};
use crate::hubspot::ObjectType;
use crate::hubspot::associations::PRIMARY_LABEL;
use crate::model::CustomerModel;
use crate::quickbooks::entities::Invoice;

fn today() -> NaiveDate {
    "2026-05-10".parse().unwrap()
}

fn invoice(amount: &str) -> Invoice {
    serde_json::from_value(serde_json::json!({
        "Id": "41", "SyncToken": "0", "DocNumber": "1001",
        "TxnDate": "2026-05-01", "DueDate": "2026-06-01",
        "CustomerRef": {"value": "7", "name": "Initech"},
        "Line": [{"Amount": amount, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "3"}, "Qty": 1, "UnitPrice": amount}}],
        "TotalAmt": amount, "Balance": amount,
    }))
    .unwrap()
}

struct Rig {
    hs: Arc<FakeHubspot>,
    qbo: Arc<FakeQbo>,
    mirror: InvoiceMirror,
    company: String,
}

/// A company linked to QBO customer 7 and the product of item 3; a contact that once was
/// customer 7 under the contact model keeps its stale `qbo_customer_id` and must not win.
fn rig() -> Rig {
    let hs = Arc::new(FakeHubspot::default());
    let qbo = Arc::new(FakeQbo::default());
    hs.add(ObjectType::Contacts, &[("qbo_customer_id", "7")]);
    let company = hs.add(
        ObjectType::Companies,
        &[("qbo_customer_id", "7"), ("name", "Initech")],
    );
    hs.add(ObjectType::Products, &[("qbo_item_id", "3")]);
    let settings = InvoiceSyncSettings {
        customer_model: CustomerModel::Company,
        ..InvoiceSyncSettings::default()
    };
    let mirror = InvoiceMirror::new(hs.clone(), qbo.clone(), settings);
    Rig {
        hs,
        qbo,
        mirror,
        company,
    }
}

impl Rig {
    fn contact(&self, email: &str) -> String {
        self.hs.add(ObjectType::Contacts, &[("email", email)])
    }
}

#[tokio::test]
async fn a_company_customers_invoice_goes_to_the_company_its_primary_contact_and_its_deal() {
    let r = rig();
    let first = r.contact("milton@initech.example");
    r.hs.link(
        ObjectType::Companies,
        &r.company,
        ObjectType::Contacts,
        &first,
    );
    let primary = r.contact("peter@initech.example");
    r.hs.link_labeled(
        ObjectType::Companies,
        &r.company,
        ObjectType::Contacts,
        &primary,
        PRIMARY_LABEL,
    );
    // The company's one open deal with the invoice's amount (no contact on it).
    let deal = r.hs.add(
        ObjectType::Deals,
        &[("hs_is_closed", "false"), ("amount", "100")],
    );
    r.hs.link(ObjectType::Companies, &r.company, ObjectType::Deals, &deal);
    r.qbo.put_invoice(invoice("100"));

    let mirrored = r.mirror.sync_invoice("41", today()).await.unwrap();
    assert_eq!(mirrored.outcome, MirrorOutcome::Created);
    assert_eq!(mirrored.company.as_deref(), Some(r.company.as_str()));
    assert_eq!(mirrored.contact.as_deref(), Some(primary.as_str()));
    let id = mirrored.hubspot_id.clone().unwrap();
    let linked = |to| r.hs.linked(ObjectType::Invoices, &id, to);
    assert_eq!(linked(ObjectType::Companies), vec![r.company.clone()]);
    assert_eq!(linked(ObjectType::Contacts), vec![primary.clone()]);
    assert_eq!(linked(ObjectType::Deals), vec![deal.clone()]);

    // Its payment record reaches the company too, also when the invoice mirrors unchanged
    // (the fast path resolves no party: the company is read from the invoice).
    r.qbo.put_payment(
        serde_json::from_value(serde_json::json!({
            "Id": "p1", "TxnDate": "2026-05-09", "TotalAmt": "40",
            "Line": [{"Amount": "40", "LinkedTxn": [{"TxnId": "41", "TxnType": "Invoice"}]}],
        }))
        .unwrap(),
    );
    let capability = PaymentRecordsCapability::default();
    PaymentMirror::with_records(&r.mirror, &capability)
        .sync_payment("p1", today())
        .await
        .unwrap();
    let records = r.hs.all(ObjectType::CommercePayments);
    assert_eq!(records.len(), 1);
    let record = &records[0].id;
    assert_eq!(
        r.hs.linked(ObjectType::CommercePayments, record, ObjectType::Companies),
        vec![r.company.clone()]
    );

    // The receivables go on the company, not on the contact with the stale link property.
    let schema = ReceivablesSchema::default();
    let report = ReceivablesFlow::new(&r.mirror, &schema)
        .refresh_after_invoice("7", &[], today())
        .await
        .unwrap();
    assert_eq!(report.records_written, 1);
    let company =
        r.hs.all(ObjectType::Companies)
            .into_iter()
            .find(|c| c.id == r.company)
            .unwrap();
    assert_eq!(company.get(OPEN_BALANCE), Some("100"));
    let stale = r.hs.all(ObjectType::Contacts);
    assert!(stale.iter().all(|c| c.get(OPEN_BALANCE).is_none()));
}

#[tokio::test]
async fn a_company_without_contacts_needs_one_before_its_invoice_can_open() {
    let r = rig();
    r.qbo.put_invoice(invoice("100"));
    let err = r.mirror.sync_invoice("41", today()).await.unwrap_err();
    let InvoiceSyncError::NeedsAttention(why) = err else {
        panic!("needs attention, not {err:?}");
    };
    assert!(why.contains(&format!("company {}", r.company)), "{why}");
    assert!(r.hs.all(ObjectType::Invoices).is_empty());
}

#[tokio::test]
async fn an_unlinked_company_customer_says_it_waits_for_a_company() {
    let r = rig();
    let mut other = invoice("100");
    other.customer_ref.as_mut().unwrap().value = "8".into();
    r.qbo.put_invoice(other);
    let err = r.mirror.sync_invoice("41", today()).await.unwrap_err();
    let InvoiceSyncError::Unlinked(unlinked) = err else {
        panic!("unlinked, not {err:?}");
    };
    assert_eq!(unlinked.customer_model, CustomerModel::Company);
    assert!(
        unlinked
            .to_string()
            .contains("not linked to a HubSpot company"),
        "{unlinked}"
    );
}

#[tokio::test]
async fn an_unclear_deal_of_a_company_lists_the_companys_candidates() {
    let r = rig();
    let contact = r.contact("peter@initech.example");
    r.hs.link(
        ObjectType::Companies,
        &r.company,
        ObjectType::Contacts,
        &contact,
    );
    for name in ["Renewal", "Upsell"] {
        let deal = r.hs.add(
            ObjectType::Deals,
            &[
                ("hs_is_closed", "false"),
                ("amount", "100"),
                ("dealname", name),
            ],
        );
        r.hs.link(ObjectType::Companies, &r.company, ObjectType::Deals, &deal);
    }
    // The contact's own deal is not the company's: it is not a candidate.
    let own = r.hs.add(
        ObjectType::Deals,
        &[
            ("hs_is_closed", "false"),
            ("amount", "100"),
            ("dealname", "Personal"),
        ],
    );
    r.hs.link(ObjectType::Contacts, &contact, ObjectType::Deals, &own);
    r.qbo.put_invoice(invoice("100"));
    let mirrored = r.mirror.sync_invoice("41", today()).await.unwrap();
    assert_eq!(mirrored.deal, None);
    let why = mirrored.deal_attention.expect("the candidates are listed");
    assert!(why.contains("open deal of the company"), "{why}");
    assert!(
        why.contains("\"Upsell\"") && !why.contains("Personal"),
        "{why}"
    );
}

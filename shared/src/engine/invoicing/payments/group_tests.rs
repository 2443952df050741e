//! The payment and credit group passes on the in-memory vendors: one document's note HubSpot
//! refuses fails that document alone with HubSpot's message, and a repeat adds no note.

use std::sync::Arc;

use chrono::NaiveDate;

use super::{PaymentEvent, PaymentMirror, PaymentTokens};
use crate::adapters::invoicing_fakes::{FakeHubspot, FakeQbo};
use crate::engine::invoicing::credits::{CreditForm, CreditMirror, CreditTokens};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError, InvoiceSyncSettings};
use crate::hubspot::ObjectType;
use crate::quickbooks::entities::{Invoice, Payment, RefundReceipt};

fn today() -> NaiveDate {
    "2026-05-10".parse().unwrap()
}

fn invoice(id: &str, amount: &str, note: Option<String>) -> Invoice {
    let mut json = serde_json::json!({
        "Id": id, "SyncToken": "0", "DocNumber": format!("10{id}"),
        "TxnDate": "2026-05-01", "DueDate": "2026-06-01",
        "CustomerRef": {"value": "7", "name": "Ada"},
        "Line": [{"Amount": amount, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "3"}, "Qty": 1, "UnitPrice": amount}}],
        "TotalAmt": amount, "Balance": amount,
    });
    if let Some(note) = note {
        json["PrivateNote"] = note.into();
    }
    serde_json::from_value(json).unwrap()
}

fn payment(id: &str, invoice: &str, amount: &str) -> Payment {
    serde_json::from_value(serde_json::json!({
        "Id": id, "TxnDate": "2026-05-09", "TotalAmt": amount,
        "CustomerRef": {"value": "7"},
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice, "TxnType": "Invoice"}]}],
    }))
    .unwrap()
}

/// The in-memory vendors with a linked contact, product and deal; QBO invoices 41 (on the deal)
/// and 42 mirrored, 42's copy then on a deal HubSpot no longer has (a note there is refused).
struct Rig {
    hs: Arc<FakeHubspot>,
    qbo: Arc<FakeQbo>,
    mirror: InvoiceMirror,
    deal: String,
    /// The HubSpot copies of 41 and 42.
    copies: Vec<String>,
}

impl Rig {
    async fn start() -> Rig {
        let hs = Arc::new(FakeHubspot::default());
        let qbo = Arc::new(FakeQbo::default());
        hs.add(
            ObjectType::Contacts,
            &[("qbo_customer_id", "7"), ("email", "ada@example.com")],
        );
        hs.add(
            ObjectType::Products,
            &[("qbo_item_id", "3"), ("name", "Consulting")],
        );
        let deal = hs.add(
            ObjectType::Deals,
            &[("hs_is_closed", "false"), ("dealname", "Renewal")],
        );
        let mirror = InvoiceMirror::new(hs.clone(), qbo.clone(), InvoiceSyncSettings::default());
        qbo.put_invoice(invoice("41", "100", Some(format!("HubSpot deal: {deal}"))));
        qbo.put_invoice(invoice("42", "55", None));
        let ids = ["41".to_owned(), "42".to_owned()];
        let mirrored = mirror.sync_invoices(&ids, today()).await.unwrap();
        let copies: Vec<String> = mirrored
            .into_iter()
            .map(|m| m.unwrap().hubspot_id.unwrap())
            .collect();
        hs.link(ObjectType::Invoices, &copies[1], ObjectType::Deals, "999");
        Rig {
            hs,
            qbo,
            mirror,
            deal,
            copies,
        }
    }

    /// The bookkeeping tokens on copy `k` (`qbo_payment_notes`).
    fn tokens(&self, k: usize) -> crate::hubspot::PropertyWrites {
        self.hs
            .all(ObjectType::Invoices)
            .into_iter()
            .find(|i| i.id == self.copies[k])
            .unwrap()
            .properties
    }
}

#[tokio::test]
async fn a_refused_note_fails_only_its_payment_and_a_repeat_adds_no_note() {
    let Rig {
        hs,
        qbo,
        mirror,
        deal,
        copies,
    } = Rig::start().await;
    qbo.put_payment(payment("p1", "41", "40"));
    qbo.put_payment(payment("p2", "42", "20"));

    let payments = PaymentMirror::new(&mirror);
    let group = ["p1".to_owned(), "p2".to_owned()];
    let answers = payments.sync_payments(&group, today()).await.unwrap();
    let first = answers[0].as_ref().expect("p1 finishes");
    assert_eq!(first.notes_created, 1);
    match &answers[1] {
        Err(InvoiceSyncError::Hubspot(e)) => assert!(e.to_string().contains("999"), "{e}"),
        other => panic!("p2 fails with HubSpot's message: {other:?}"),
    }
    let notes = hs.all(ObjectType::Notes);
    assert_eq!(notes.len(), 1);
    assert_eq!(
        hs.linked(ObjectType::Notes, &notes[0].id, ObjectType::Deals),
        vec![deal.clone()]
    );
    let tokens_of = |k: usize| {
        let copy = hs
            .all(ObjectType::Invoices)
            .into_iter()
            .find(|i| i.id == copies[k])
            .unwrap();
        PaymentTokens::of(&copy.properties)
    };
    assert!(tokens_of(0).contains(&PaymentEvent::Received.token("p1")));
    assert!(
        !tokens_of(1).contains(&PaymentEvent::Received.token("p2")),
        "no token without its note"
    );

    // The whole group again: p1 is noted already, p2 is refused again; no second note.
    let again = payments.sync_payments(&group, today()).await.unwrap();
    assert_eq!(again[0].as_ref().unwrap().notes_created, 0);
    assert!(again[1].is_err());
    assert_eq!(hs.all(ObjectType::Notes).len(), 1);
    // A repeated id in one group is applied once.
    let twice = ["p1".to_owned(), "p1".to_owned()];
    let answers = payments.sync_payments(&twice, today()).await.unwrap();
    assert_eq!(answers.len(), 2);
    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().unwrap().notes_created == 0)
    );
}

fn refund(id: &str, invoice: &str, amount: &str) -> RefundReceipt {
    serde_json::from_value(serde_json::json!({
        "Id": id, "TxnDate": "2026-05-09", "TotalAmt": amount, "DocNumber": format!("R-{id}"),
        "CustomerRef": {"value": "7"},
        "LinkedTxn": [{"TxnId": invoice, "TxnType": "Invoice"}],
    }))
    .unwrap()
}

#[tokio::test]
async fn a_refused_credit_note_fails_only_its_form_and_a_repeat_adds_no_note() {
    let rig = Rig::start().await;
    rig.qbo.put_refund_receipt(refund("r1", "41", "15"));
    rig.qbo.put_refund_receipt(refund("r2", "42", "5"));
    let credits = CreditMirror::new(&rig.mirror);
    let forms = [
        (CreditForm::RefundReceipt, "r1".to_owned()),
        (CreditForm::RefundReceipt, "r2".to_owned()),
    ];
    let answers = credits.sync_forms(&forms, today()).await.unwrap();
    assert_eq!(answers[0].as_ref().expect("r1 finishes").notes_created, 1);
    match &answers[1] {
        Err(InvoiceSyncError::Hubspot(e)) => assert!(e.to_string().contains("999"), "{e}"),
        other => panic!("r2 fails with HubSpot's message: {other:?}"),
    }
    let notes = rig.hs.all(ObjectType::Notes);
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .get("hs_note_body")
            .is_some_and(|b| b.contains("refund of 15.00 USD")),
        "{notes:?}"
    );
    assert_eq!(
        rig.hs
            .linked(ObjectType::Notes, &notes[0].id, ObjectType::Deals),
        vec![rig.deal.clone()]
    );
    let receipt = CreditForm::RefundReceipt;
    assert!(CreditTokens::of(&rig.tokens(0)).noted(receipt, "r1"));
    assert!(!CreditTokens::of(&rig.tokens(1)).noted(receipt, "r2"));

    let again = credits.sync_forms(&forms, today()).await.unwrap();
    assert_eq!(again[0].as_ref().unwrap().notes_created, 0);
    assert!(again[1].is_err());
    assert_eq!(rig.hs.all(ObjectType::Notes).len(), 1);
}

//! End-to-end HubSpot payment records through both sandboxes: none on a portal
//! without payment processing (one refused probe), one per invoice paid where it is set up.

use std::ops::Deref;
use std::sync::Arc;

use hqsync::adapters::memory::ManualClock;
use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::invoicing::payments::capability::REPROBE_AFTER;
use hqsync::engine::invoicing::payments::{
    PaymentMirror, PaymentRecordsCapability, PaymentRecordsState, PaymentTokens,
};
use hqsync::hubspot::{
    CreateInput, GetOptions, HubspotClient, HubspotError, HubspotObject, ObjectType, PropertyWrites,
};
use hqsync::quickbooks::entities::{Payment, Ref};
use hqsync_sandbox::hubspot::HubspotSandbox;
use hqsync_sandbox::quickbooks::QuickbooksSandbox;
use hqsync_tests::hubspot::start_default_hubspot_sandbox;
use hqsync_tests::invoicing::{
    FAST_RETRY as FAST, InvoiceRecords, InvoiceSandboxes, LinkedDeal, dec, payment_of, today,
};
use hqsync_tests::sandbox_stats::responses_with_status;
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Value, json};

const RECORD_PROPS: &[&str] = &[
    "hs_initial_amount",
    "hs_currency_code",
    "hs_latest_status",
    "hs_processor_type",
    "hs_payment_method_type",
    "hs_reference_number",
    "hs_initiated_date",
];

/// Both sandboxes, the records rig (reached through `Deref`), a mirror, and one customer with
/// a linked contact and item (at 100) and a deal of that contact.
struct Rig {
    hs: HubspotSandbox,
    qb: QuickbooksSandbox,
    records: InvoiceRecords,
    mirror: InvoiceMirror,
    linked: LinkedDeal,
}

impl Deref for Rig {
    type Target = InvoiceRecords;

    fn deref(&self) -> &InvoiceRecords {
        &self.records
    }
}

impl Rig {
    async fn start() -> Rig {
        let InvoiceSandboxes { hs, qb, records } = InvoiceSandboxes::start().await;
        let linked = records
            .linked_deal(
                ("Ada Payer", "ada@example.com"),
                ("Consulting", "100"),
                "Engine",
            )
            .await;
        let mirror = InvoiceMirror::new(
            Arc::new(records.hubspot.clone()),
            Arc::new(records.qbo.clone()),
            InvoiceSyncSettings::default(),
        );
        Rig {
            hs,
            qb,
            records,
            mirror,
            linked,
        }
    }

    async fn shutdown(self) {
        self.hs.shutdown().await;
        self.qb.shutdown().await;
    }

    /// A QBO invoice of `qty` x 100 on the deal, mirrored into HubSpot; its QBO id.
    async fn invoice(&self, qty: &str) -> String {
        let invoice = self
            .records
            .tagged_invoice(&self.linked, qty, "2099-01-01")
            .await;
        let id = invoice.id.unwrap();
        self.mirror.sync_invoice(&id, today()).await.unwrap();
        id
    }

    /// A QBO check payment applying `applied` (invoice id, amount); its id.
    async fn pay(&self, applied: &[(&str, &str)], reference: &str) -> String {
        self.qbo
            .create_idempotent(&Payment {
                payment_method_ref: Some(Ref {
                    value: "2".into(),
                    name: Some("Check".into()),
                }),
                ..payment_of(&self.linked.customer, applied, reference)
            })
            .await
            .unwrap()
            .id
            .unwrap()
    }

    async fn hubspot_invoice(&self, qbo_id: &str) -> HubspotObject {
        self.mirror
            .find_hubspot_invoice(qbo_id)
            .await
            .unwrap()
            .expect("mirrored")
    }

    /// Live payment records associated with the HubSpot invoice of QBO invoice `qbo_id`.
    async fn records_of(&self, qbo_id: &str) -> Vec<HubspotObject> {
        let hs_id = self.hubspot_invoice(qbo_id).await.id;
        let mut records = Vec::new();
        for id in self
            .mirror
            .associated(ObjectType::Invoices, &hs_id, ObjectType::CommercePayments)
            .await
            .unwrap()
        {
            records.push(
                self.hubspot
                    .get_object(
                        ObjectType::CommercePayments,
                        &id,
                        &GetOptions::properties(RECORD_PROPS.iter().copied()),
                    )
                    .await
                    .unwrap(),
            );
        }
        records
    }

    /// Every payment record in the portal (live).
    async fn all_records(&self) -> Vec<Value> {
        let body: Value = reqwest::Client::new()
            .get(format!(
                "{}/crm/v3/objects/commerce_payments?limit=100",
                self.hs.base_url()
            ))
            .bearer_auth(&self.hs.config().dev_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["results"].as_array().cloned().unwrap_or_default()
    }

    /// Responses with status 403 the HubSpot sandbox gave (payment refusals in these tests).
    async fn forbidden_responses(&self) -> u64 {
        responses_with_status(&self.hs.base_url(), 403).await
    }

    /// Turns payment processing on through the control API; returns the settings it answers.
    async fn enable_payment_processing(&self) -> Value {
        let url = format!("{}/_sandbox/hubspot/portal", self.hs.base_url());
        let http = reqwest::Client::new();
        let before: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(
            before["paymentProcessing"],
            json!(false),
            "off by default: {before}"
        );
        let bad = http
            .put(&url)
            .json(&json!({"paymentProcessing": "yes"}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        http.put(&url)
            .json(&json!({"paymentProcessing": true}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_payment_processing_the_note_and_properties_are_the_record_after_one_probe() {
    let rig = Rig::start().await;
    assert!(!rig.hs.payment_processing());
    let a = rig.invoice("1").await;
    let b = rig.invoice("2").await;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let capability = PaymentRecordsCapability::new(clock.clone());
    let payments = PaymentMirror::with_records(&rig.mirror, &capability);

    let first = rig.pay(&[(&a, "40")], "CHK-1").await;
    let report = payments.sync_payment(&first, today()).await.unwrap();
    assert_eq!(report.notes_created, 1);
    assert_eq!(report.records_created, 0);
    assert!(report.records_refused);
    assert!(matches!(
        capability.state(),
        PaymentRecordsState::Unavailable { .. }
    ));
    let second = rig.pay(&[(&b, "200")], "CHK-2").await;
    let report = payments.sync_payment(&second, today()).await.unwrap();
    assert_eq!(report.notes_created, 1);
    assert!(!report.records_refused, "no second attempt");
    assert_eq!(
        rig.forbidden_responses().await,
        1,
        "exactly one refused create"
    );
    assert!(rig.all_records().await.is_empty());

    // The invoice properties carry the payment: balances, status, note tokens, no record token.
    let hs_a = rig.hubspot_invoice(&a).await;
    assert_eq!(hs_a.get(inv::QBO_BALANCE).map(dec), Some(dec("60")));
    assert_eq!(hs_a.get(inv::QBO_STATUS), Some("partially_paid"));
    let tokens = PaymentTokens::parse(hs_a.get(inv::QBO_PAYMENT_NOTES).unwrap_or(""));
    assert!(tokens.contains(&format!("p{first}")));
    assert_eq!(tokens.record_of(&first), None);
    assert_eq!(
        rig.hubspot_invoice(&b).await.get(inv::QBO_STATUS),
        Some("paid")
    );

    // Payments set up later are noticed after the re-probe delay, not before.
    rig.hs.set_payment_processing(true);
    let third = rig.pay(&[(&a, "10")], "CHK-3").await;
    let report = payments.sync_payment(&third, today()).await.unwrap();
    assert_eq!(report.records_created, 0);
    clock.advance(REPROBE_AFTER);
    let report = payments.sync_payment(&third, today()).await.unwrap();
    assert_eq!(report.notes_created, 0, "the note was already written");
    assert_eq!(report.records_created, 1);
    assert_eq!(capability.state(), PaymentRecordsState::Available);
    assert_eq!(rig.forbidden_responses().await, 1);

    // Without a capability (PaymentMirror::new) nothing is probed at all.
    rig.hs.set_payment_processing(false);
    let fourth = rig.pay(&[(&a, "5")], "CHK-4").await;
    let report = PaymentMirror::new(&rig.mirror)
        .sync_payment(&fourth, today())
        .await
        .unwrap();
    assert_eq!((report.notes_created, report.records_created), (1, 0));
    assert_eq!(rig.forbidden_responses().await, 1);
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_payment_processing_each_invoice_paid_gets_one_record_archived_when_voided() {
    let rig = Rig::start().await;
    assert_eq!(
        rig.enable_payment_processing().await["paymentProcessing"],
        json!(true)
    );
    let a = rig.invoice("1").await;
    let b = rig.invoice("3").await;
    let capability = PaymentRecordsCapability::default();
    let payments = PaymentMirror::with_records(&rig.mirror, &capability);

    // One payment across both invoices: one record each, with that invoice's amount.
    let both = rig.pay(&[(&a, "100"), (&b, "250")], "CHK-77").await;
    let report = payments.sync_payment(&both, today()).await.unwrap();
    assert_eq!(report.records_created, 2);
    assert_eq!(report.notes_created, 2);
    assert!(!report.records_refused);
    for (invoice, amount) in [(&a, "100"), (&b, "250")] {
        let records = rig.records_of(invoice).await;
        assert_eq!(records.len(), 1, "invoice {invoice}");
        let r = &records[0];
        assert_eq!(r.get("hs_initial_amount").map(dec), Some(dec(amount)));
        assert_eq!(r.get("hs_currency_code"), Some("USD"));
        assert_eq!(r.get("hs_latest_status"), Some("succeeded"));
        assert_eq!(r.get("hs_processor_type"), Some("quickbooks"));
        assert_eq!(r.get("hs_payment_method_type"), Some("check"));
        assert_eq!(r.get("hs_reference_number"), Some("CHK-77"));
        assert!(r.get("hs_initiated_date").is_some());
        let contacts = rig
            .mirror
            .associated(ObjectType::CommercePayments, &r.id, ObjectType::Contacts)
            .await
            .unwrap();
        assert_eq!(contacts, vec![rig.linked.contact.clone()]);
        let tokens = PaymentTokens::parse(
            rig.hubspot_invoice(invoice)
                .await
                .get(inv::QBO_PAYMENT_NOTES)
                .unwrap_or(""),
        );
        assert_eq!(tokens.record_of(&both), Some(r.id.as_str()));
        assert!(tokens.contains(&format!("p{both}")));
    }
    // The record of A pays A off on HubSpot's own invoice too (its balance due).
    let hs_a = rig
        .hubspot
        .get_object(
            ObjectType::Invoices,
            &rig.hubspot_invoice(&a).await.id,
            &GetOptions::properties(["hs_balance_due"]),
        )
        .await
        .unwrap();
    assert_eq!(hs_a.get("hs_balance_due").map(dec), Some(Decimal::ZERO));

    // Repeating the sync creates nothing.
    let again = payments.sync_payment(&both, today()).await.unwrap();
    assert_eq!((again.records_created, again.notes_created), (0, 0));
    assert_eq!(rig.all_records().await.len(), 2);

    // Voiding the payment archives both records, once.
    let current: Payment = rig.qbo.read(&both).await.unwrap();
    rig.qbo
        .void_payment(&both, current.sync_token.as_deref().unwrap())
        .await
        .unwrap();
    let record_ids: Vec<String> = rig
        .all_records()
        .await
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let report = payments.sync_payment(&both, today()).await.unwrap();
    assert_eq!(report.records_archived, 2);
    assert_eq!(report.notes_created, 2);
    assert!(rig.all_records().await.is_empty());
    for id in &record_ids {
        let gone = rig
            .hubspot
            .get_object(ObjectType::CommercePayments, id, &GetOptions::default())
            .await;
        assert!(matches!(gone, Err(HubspotError::NotFound { .. })), "{id}");
    }
    for invoice in [&a, &b] {
        assert!(rig.records_of(invoice).await.is_empty());
        let hs = rig.hubspot_invoice(invoice).await;
        let tokens = PaymentTokens::parse(hs.get(inv::QBO_PAYMENT_NOTES).unwrap_or(""));
        assert_eq!(tokens.record_of(&both), None);
        assert!(tokens.contains(&format!("x{both}")));
    }
    let again = payments.sync_payment(&both, today()).await.unwrap();
    assert_eq!((again.records_archived, again.notes_created), (0, 0));
    rig.shutdown().await;
}

/// The sandbox's portal gate, as raw HTTP: single, batch and upsert creates are refused with
/// the §9.4 error shape until payment processing is on; then create/PATCH/DELETE work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_refuses_payment_creates_until_processing_is_set_up() {
    let hs = start_default_hubspot_sandbox().await;
    let http = reqwest::Client::new();
    let token = hs.config().dev_token.clone();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", hs.base_url()))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let payment =
        json!({"properties": {"hs_initial_amount": "10", "hs_initiated_date": "1777593600000"}});
    for (path, body) in [
        ("/crm/objects/2026-03/commerce_payments", payment.clone()),
        (
            "/crm/v3/objects/commerce_payments/batch/create",
            json!({"inputs": [payment.clone()]}),
        ),
        (
            "/crm/v3/objects/commerce_payments/batch/upsert",
            json!({"inputs": [{"id": "1", "idProperty": "hs_object_id", "properties": payment["properties"]}]}),
        ),
    ] {
        let r = post(path, body).await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "error");
        assert_eq!(body["category"], "MISSING_SCOPES");
        assert!(body["correlationId"].is_string());
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("collect payments"),
            "{body}"
        );
    }
    // A client sees it as a missing-scopes refusal.
    let client = HubspotClient::builder(SecretString::from(token.clone()))
        .base_url(hs.base_url())
        .retry_policy(FAST)
        .build()
        .unwrap();
    let input = CreateInput::new(
        [
            ("hs_initial_amount", "10"),
            ("hs_initiated_date", "1777593600000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    );
    let refused = client
        .create_object(ObjectType::CommercePayments, &input)
        .await
        .unwrap_err();
    assert!(
        hqsync::engine::invoicing::payments::is_portal_refusal(&refused),
        "{refused}"
    );
    // Other objects are not gated.
    let contact = post(
        "/crm/v3/objects/contacts",
        json!({"properties": {"email": "x@example.com"}}),
    )
    .await
    .unwrap();
    assert_eq!(contact.status(), 201);

    hs.set_payment_processing(true);
    let created = client
        .create_object(ObjectType::CommercePayments, &input)
        .await
        .unwrap();
    assert_eq!(created.get("hs_latest_status"), Some("processing"));
    assert_eq!(created.get("hs_payment_creation_method"), Some("OTHER"));
    let mut succeeded = PropertyWrites::new();
    succeeded.insert("hs_latest_status".into(), "succeeded".into());
    let updated = client
        .update_object(ObjectType::CommercePayments, &created.id, &succeeded, None)
        .await
        .unwrap();
    assert_eq!(updated.get("hs_latest_status"), Some("succeeded"));
    client
        .archive_object(ObjectType::CommercePayments, &created.id)
        .await
        .unwrap();
    let gone = client
        .get_object(
            ObjectType::CommercePayments,
            &created.id,
            &GetOptions::default(),
        )
        .await;
    assert!(matches!(gone, Err(HubspotError::NotFound { .. })));
    hs.shutdown().await;
}

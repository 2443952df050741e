//! The "Create QuickBooks invoice / estimate / sales receipt" workflow actions through both
//! sandboxes: customers and items found by the two-way sync's matching, the three documents from
//! one route, tax codes on a non-US company, and a crash between the QBO create and the record.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hqsync::adapters::memory::MemoryStore;
use hqsync::engine::invoicing::action::{
    ActionError, ActionInputs, ActionResult, BillingParties, Counterpart, DocAction, DocActionJob,
    ExecutionRecords,
};
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::sync::initial_sync::InitialSyncOptions;
use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{InlineAssociation, ObjectType};
use hqsync::local::webhook_server::CREATE_INVOICE_ACTION_PATH;
use hqsync::model::{ConnectionId, ConnectionSettings, DocKind, ObjectKind, QboCreatePolicy, Side};
use hqsync::ports::SyncOutcome;
use hqsync::ports::{ClaimOutcome, Claims, RecordRef, StoreError};
use hqsync::quickbooks::Query;
use hqsync::quickbooks::entities::{Customer, Estimate, Invoice, Item, SalesReceipt};
use hqsync_tests::invoicing::{InvoiceRecords, InvoiceSandboxes, LinkedDeal, dec, today};
use hqsync_tests::workflow_action::{action_execution, post_signed_action};
use serde_json::{Value, json};

use crate::e2e_stack::{E2eOptions, E2eStack, eventually};

/// The pipeline with both vendors' webhooks and the poller off, so nothing links or creates a
/// customer or item except the action itself.
struct Quiet {
    e2e: E2eStack,
    records: InvoiceRecords,
}

impl Quiet {
    async fn start() -> Quiet {
        Quiet::with(ConnectionSettings::default()).await
    }

    async fn with(settings: ConnectionSettings) -> Quiet {
        let e2e = E2eStack::start(
            E2eOptions {
                poll_interval: None,
                settings,
                ..E2eOptions::default()
            },
            |hs, qb| {
                hs.webhook_url = None;
                qb.webhook_url = None;
            },
        )
        .await;
        let records = InvoiceRecords::over(
            e2e.stack.endpoints.hubspot_client().unwrap(),
            e2e.stack.endpoints.quickbooks_client().unwrap(),
        )
        .await;
        records.ensure_link_properties().await;
        Quiet { e2e, records }
    }

    /// POSTs a signed execution for `document` (None: the invoice URL without a parameter)
    /// and waits for its callback's output fields.
    async fn run(
        &self,
        callback: &str,
        document: Option<&str>,
        deal: &str,
        inputs: Value,
    ) -> Value {
        let query = document
            .map(|d| format!("?document={d}"))
            .unwrap_or_default();
        let url = format!(
            "{}{CREATE_INVOICE_ACTION_PATH}{query}",
            self.e2e.webhook_base
        );
        let hubspot = self.e2e.hubspot.config();
        let body = action_execution(callback, hubspot.portal_id, deal, inputs);
        let answer = post_signed_action(&url, &hubspot.client_secret, body).await;
        assert_eq!(answer.status().as_u16(), 200, "{callback}");
        let done_before = self
            .e2e
            .hubspot
            .action_callbacks()
            .iter()
            .filter(|(c, _)| c == callback)
            .count();
        eventually(&format!("callback {callback} completed"), || async {
            let mine: Vec<Value> = self
                .e2e
                .hubspot
                .action_callbacks()
                .into_iter()
                .filter(|(c, _)| c == callback)
                .map(|(_, body)| body["outputFields"].clone())
                .collect();
            (mine.len() > done_before).then(|| mine.last().cloned().unwrap())
        })
        .await
    }

    async fn customers_with_email(&self, email: &str) -> Vec<Customer> {
        let all = self
            .records
            .qbo
            .query_all::<Customer>(Query::select("Customer"))
            .await
            .unwrap();
        all.into_iter()
            .filter(|c| {
                c.primary_email_addr
                    .as_ref()
                    .and_then(|e| e.address.as_deref())
                    == Some(email)
            })
            .collect()
    }

    async fn items_named(&self, name: &str) -> Vec<Item> {
        self.records
            .qbo
            .query_all::<Item>(Query::select("Item").eq("Name", name))
            .await
            .unwrap()
    }
}

/// A QBO customer and item nobody linked, the HubSpot contact and product that match them, a
/// product QBO does not have, and a deal billing both products: (deal, contact, products).
async fn unlinked_deal(q: &Quiet) -> (String, String, [String; 2], String, String) {
    let r = &q.records;
    let customer = r.customer("Ada Match", "ada.match@example.com").await;
    let item = r.item("Setup fee", "250").await;
    let contact = r
        .create(
            ObjectType::Contacts,
            &[
                ("email", "ada.match@example.com"),
                ("firstname", "Ada"),
                ("lastname", "Match"),
            ],
            vec![],
        )
        .await
        .id;
    let matching = r
        .create(
            ObjectType::Products,
            &[("name", "Setup fee"), ("price", "250")],
            vec![],
        )
        .await
        .id;
    let fresh = r
        .create(
            ObjectType::Products,
            &[("name", "Brand new widget"), ("price", "20")],
            vec![],
        )
        .await
        .id;
    let deal = r.deal("Action deal", Some(&contact)).await;
    r.deal_line_item(&deal, &matching, "2", "250").await;
    r.deal_line_item(&deal, &fresh, "1", "20").await;
    (deal, contact, [matching, fresh], customer, item)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invoice_action_links_the_matching_customer_and_item_and_creates_only_the_missing_item()
{
    let q = Quiet::start().await;
    let (deal, contact, [matching, fresh], customer, item) = unlinked_deal(&q).await;
    let inputs = json!({"due_in_days": "14", "discount_percent": "10", "memo": "Thanks"});
    let fields = q.run("act-1", None, &deal, inputs.clone()).await;
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let id = fields["qbo_invoice_id"].as_str().unwrap().to_owned();
    let invoice: Invoice = q.records.qbo.read(&id).await.unwrap();

    // Matched by e-mail and by name: no second customer or "Setup fee" item.
    assert_eq!(
        invoice.customer_ref.as_ref().map(|r| r.value.clone()),
        Some(customer.clone())
    );
    assert_eq!(
        q.customers_with_email("ada.match@example.com").await.len(),
        1
    );
    assert_eq!(q.items_named("Setup fee").await.len(), 1);
    let created = q.items_named("Brand new widget").await;
    assert_eq!(created.len(), 1, "the product QBO lacked is created once");
    let line_items: Vec<String> = invoice
        .line
        .iter()
        .filter_map(|l| l.sales_item_line_detail.as_ref()?.item_ref.as_ref())
        .map(|r| r.value.clone())
        .collect();
    assert_eq!(line_items, [item.clone(), created[0].id.clone().unwrap()]);
    // ... and each is linked, so the two-way sync adopts them instead of duplicating.
    assert_eq!(
        q.e2e
            .partner(ObjectKind::Contact, Side::Hubspot, &contact)
            .await,
        Some(customer)
    );
    assert_eq!(
        q.e2e
            .partner(ObjectKind::Product, Side::Hubspot, &matching)
            .await,
        Some(item)
    );
    assert_eq!(
        q.e2e
            .partner(ObjectKind::Product, Side::Hubspot, &fresh)
            .await,
        created[0].id.clone()
    );

    // 2 x 250 + 20 = 520, less the action's 10 % discount: 468 (US, lines NON).
    assert_eq!(invoice.total_amt, Some(dec("468")));
    assert_eq!(
        dec(fields["qbo_invoice_total"].as_str().unwrap()),
        dec("468")
    );
    assert_eq!(fields["qbo_invoice_status"], "waiting_to_be_sent");
    assert_eq!(
        fields["qbo_invoice_number"].as_str(),
        invoice.doc_number.as_deref()
    );
    assert!(
        invoice
            .private_note
            .as_deref()
            .is_some_and(|n| n.contains(&format!("HubSpot deal: {deal}"))
                && n.contains("HubSpot workflow execution: act-1")),
        "{:?}",
        invoice.private_note
    );

    // HubSpot retries the execution: the same invoice, no second one.
    let again = q.run("act-1", None, &deal, inputs).await;
    assert_eq!(again["qbo_invoice_id"], json!(id));
    assert_eq!(q.records.qbo_invoices().await.len(), 1);
    q.e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimates_and_sales_receipts_come_from_the_same_pipeline() {
    let q = Quiet::start().await;
    let (deal, ..) = unlinked_deal(&q).await;
    let fields = q
        .run(
            "est-1",
            Some("estimate"),
            &deal,
            json!({"due_date": "2099-03-01"}),
        )
        .await;
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let estimate: Estimate = q
        .records
        .qbo
        .read(fields["qbo_estimate_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(estimate.0.extra["ExpirationDate"], "2099-03-01");
    assert_eq!(estimate.0.total_amt, Some(dec("520")));
    assert_eq!(fields["qbo_estimate_status"], "pending");
    assert_eq!(
        dec(fields["qbo_estimate_total"].as_str().unwrap()),
        dec("520")
    );

    let fields = q
        .run("rcpt-1", Some("sales_receipt"), &deal, json!({}))
        .await;
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let receipt: SalesReceipt = q
        .records
        .qbo
        .read(fields["qbo_sales_receipt_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(receipt.0.total_amt, Some(dec("520")));
    assert_eq!(receipt.0.balance.unwrap_or_default(), dec("0"));
    assert_eq!(fields["qbo_sales_receipt_status"], "paid");
    // One customer and one item each for the three executions' two resolutions.
    assert_eq!(
        q.customers_with_email("ada.match@example.com").await.len(),
        1
    );
    assert_eq!(q.items_named("Brand new widget").await.len(), 1);
    assert!(
        q.records.qbo_invoices().await.is_empty(),
        "no invoice was made"
    );

    // An action URL naming no known document is refused before any job exists.
    let url = format!(
        "{}{CREATE_INVOICE_ACTION_PATH}?document=quote",
        q.e2e.webhook_base
    );
    let hubspot = q.e2e.hubspot.config();
    let body = action_execution("bad-1", hubspot.portal_id, &deal, json!({}));
    let refused = post_signed_action(&url, &hubspot.client_secret, body).await;
    assert_eq!(refused.status().as_u16(), 400);
    q.e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_us_company_needs_a_tax_code_on_every_line() {
    let q = Quiet::start().await;
    reqwest::Client::new()
        .post(format!(
            "{}/_sandbox/preferences",
            q.e2e.quickbooks.base_url()
        ))
        .json(&json!({"country": "CA"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let (deal, ..) = unlinked_deal(&q).await;
    let fields = q.run("ca-1", None, &deal, json!({})).await;
    assert_eq!(fields["hs_execution_state"], "FAIL_CONTINUE");
    let message = fields["error_message"].as_str().unwrap();
    assert!(
        message.contains("\"line\" has no tax code") && message.contains("default_tax_code"),
        "{message}"
    );
    assert!(q.records.qbo_invoices().await.is_empty());

    // The action's tax code field: HST ON 13 % (the sandbox's code 5) on 520.
    let fields = q.run("ca-2", None, &deal, json!({"tax_code": "5"})).await;
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let invoice: Invoice = q
        .records
        .qbo
        .read(fields["qbo_invoice_id"].as_str().unwrap())
        .await
        .unwrap();
    let codes: Vec<String> = invoice
        .line
        .iter()
        .filter_map(|l| l.sales_item_line_detail.as_ref()?.tax_code_ref.as_ref())
        .map(|r| r.value.clone())
        .collect();
    assert_eq!(codes, ["5", "5"]);
    assert_eq!(invoice.total_amt, Some(dec("587.60")));
    q.e2e.shutdown().await;
}

/// Parties already resolved (the two-way part is tested above): one customer and item.
struct Resolved {
    customer: String,
    item: String,
}

#[async_trait]
impl BillingParties for Resolved {
    async fn customer(
        &self,
        _kind: hqsync::model::ObjectKind,
        _id: &str,
    ) -> Result<Counterpart, ActionError> {
        Ok(Ok(self.customer.clone()))
    }
    async fn items(
        &self,
        product_ids: &[String],
    ) -> Result<BTreeMap<String, Counterpart>, ActionError> {
        Ok(product_ids
            .iter()
            .map(|p| (p.clone(), Ok(self.item.clone())))
            .collect())
    }
}

/// The claims store, except that the first "created" note is lost as if the process died
/// right after QBO answered the create.
struct CrashAfterCreate {
    store: MemoryStore,
    crash: AtomicBool,
}

#[async_trait]
impl Claims for CrashAfterCreate {
    async fn claim_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        self.store
            .claim_key(connection, kind, key, owner, ttl, now)
            .await
    }
    async fn note_created(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        created_id: &str,
    ) -> Result<(), StoreError> {
        if self.crash.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Backend("killed after the QBO create".into()));
        }
        self.store
            .note_created(connection, kind, key, owner, created_id)
            .await
    }
    async fn release_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
    ) -> Result<(), StoreError> {
        self.store.release_key(connection, kind, key, owner).await
    }
}

fn job(callback: &str, deal: &str, doc_kind: DocKind) -> DocActionJob {
    DocActionJob {
        callback_id: callback.into(),
        portal_id: 1,
        deal_id: deal.into(),
        doc_kind,
        inputs: ActionInputs::default(),
    }
}

async fn execute(
    mirror: &InvoiceMirror,
    parties: &Resolved,
    claims: &dyn Claims,
    job: &DocActionJob,
) -> Result<ActionResult, ActionError> {
    let connection = ConnectionId::new("crash").unwrap();
    DocAction {
        mirror,
        parties,
        records: ExecutionRecords {
            claims,
            connection: &connection,
            now: Utc::now(),
        },
    }
    .execute(job, today())
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_qbo_create_and_the_record_never_makes_a_second_document() {
    let InvoiceSandboxes { hs, qb, records } = InvoiceSandboxes::start().await;
    let mirror = InvoiceMirror::new(
        std::sync::Arc::new(records.hubspot.clone()),
        std::sync::Arc::new(records.qbo.clone()),
        InvoiceSyncSettings::default(),
    );
    let LinkedDeal {
        customer,
        item,
        product,
        deal,
        ..
    } = records
        .linked_deal(
            ("Crash Test", "crash@example.com"),
            ("Consulting", "100"),
            "Crash",
        )
        .await;
    records.deal_line_item(&deal, &product, "1", "100").await;
    let parties = Resolved { customer, item };
    for kind in [DocKind::Invoice, DocKind::Estimate] {
        let claims = CrashAfterCreate {
            store: MemoryStore::new(),
            crash: AtomicBool::new(true),
        };
        let job = job(&format!("crash-{kind:?}"), &deal, kind);
        let crashed = execute(&mirror, &parties, &claims, &job).await;
        assert!(
            matches!(crashed, Err(ActionError::Store(_))),
            "{kind}: {crashed:?}"
        );
        // QBO's requestid memory is gone by the time the job is retried.
        qb.forget_request_ids();
        let retried = execute(&mirror, &parties, &claims, &job).await.unwrap();
        let ActionResult::Success(outputs) = retried else {
            panic!("{kind}: {retried:?}")
        };
        let entity = kind.qbo_entity();
        let docs: Vec<Invoice> = records
            .qbo
            .query_all_named(entity, Query::select(entity))
            .await
            .unwrap();
        assert_eq!(
            docs.len(),
            1,
            "{kind}: found by its mark, not created again"
        );
        assert_eq!(
            outputs[&format!("qbo_{}_id", kind.as_str())],
            docs[0].id.clone().unwrap()
        );
        // The record now holds the id: a later retry reads it without searching.
        let recorded = execute(&mirror, &parties, &claims, &job).await.unwrap();
        assert_eq!(recorded, ActionResult::Success(outputs));

        // The control: without the record (a new store), the forgotten requestid no longer
        // protects, so the record is what kept the retry from duplicating.
        qb.forget_request_ids();
        let fresh = MemoryStore::new();
        execute(&mirror, &parties, &fresh, &job).await.unwrap();
        let docs: Vec<Invoice> = records
            .qbo
            .query_all_named(entity, Query::select(entity))
            .await
            .unwrap();
        assert_eq!(
            docs.len(),
            2,
            "{kind}: without a record QBO made a second one"
        );
    }
    hs.shutdown().await;
    qb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_transaction_numbers_are_generated_and_a_duplicate_is_retried() {
    let InvoiceSandboxes { hs, qb, records } = InvoiceSandboxes::start().await;
    reqwest::Client::new()
        .post(format!("{}/_sandbox/preferences", qb.base_url()))
        .json(&json!({"customTxnNumbers": true}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mirror = InvoiceMirror::new(
        std::sync::Arc::new(records.hubspot.clone()),
        std::sync::Arc::new(records.qbo.clone()),
        InvoiceSyncSettings::default(),
    );
    let linked = records
        .linked_deal(
            ("Ada Invoicee", "ada@example.com"),
            ("Consulting", "100"),
            "Numbered",
        )
        .await;
    records
        .deal_line_item(&linked.deal, &linked.product, "1", "100")
        .await;
    // Someone already used the first candidate number.
    let taken = records
        .invoice(
            &linked.customer,
            &[(&linked.item, "1", "100")],
            None,
            "2099-01-01",
        )
        .await;
    records
        .qbo
        .sparse_update(&Invoice {
            id: taken.id.clone(),
            sync_token: taken.sync_token.clone(),
            doc_number: Some(format!("HS-{}", linked.deal)),
            ..Invoice::default()
        })
        .await
        .unwrap();
    let parties = Resolved {
        customer: linked.customer.clone(),
        item: linked.item.clone(),
    };
    let store = MemoryStore::new();
    let result = execute(
        &mirror,
        &parties,
        &store,
        &job("cb-num", &linked.deal, DocKind::Invoice),
    )
    .await
    .unwrap();
    let ActionResult::Success(outputs) = result else {
        panic!("{result:?}")
    };
    assert_eq!(
        outputs["qbo_invoice_number"],
        format!("HS-{}-2", linked.deal)
    );
    hs.shutdown().await;
    qb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_action_failure_completes_with_a_message_a_user_can_act_on() {
    let InvoiceSandboxes { hs, qb, records } = InvoiceSandboxes::start().await;
    let mirror = InvoiceMirror::new(
        std::sync::Arc::new(records.hubspot.clone()),
        std::sync::Arc::new(records.qbo.clone()),
        InvoiceSyncSettings::default(),
    );
    let (item, product) = records.linked_item("Consulting", "100").await;
    let no_email = records
        .create(ObjectType::Contacts, &[("firstname", "Mute")], vec![])
        .await;
    let with_email = records
        .create(ObjectType::Contacts, &[("email", "ok@example.com")], vec![])
        .await;
    let line = |deal: String, product: Option<String>| {
        let records = &records;
        async move {
            let mut values = vec![
                ("name", "line".to_owned()),
                ("quantity", "1".to_owned()),
                ("price", "5".to_owned()),
            ];
            if let Some(p) = product {
                values.push(("hs_product_id", p));
            }
            let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            records
                .create(
                    ObjectType::LineItems,
                    &values,
                    vec![InlineAssociation::to(&deal, type_ids::LINE_ITEM_TO_DEAL)],
                )
                .await;
        }
    };
    let empty = records.deal("Empty", Some(&with_email.id)).await;
    let no_contact = records.deal("Nobody", None).await;
    line(no_contact.clone(), Some(product.clone())).await;
    let mute = records.deal("Mute", Some(&no_email.id)).await;
    line(mute.clone(), Some(product.clone())).await;
    let loose = records.deal("Loose line", Some(&with_email.id)).await;
    line(loose.clone(), None).await;
    let cases = [
        ("f-missing", "999999".to_owned(), "no longer exists"),
        ("f-empty", empty, "no line items"),
        ("f-nocontact", no_contact, "no associated contact"),
        ("f-mute", mute, "contact has no e-mail"),
        ("f-loose", loose, "not based on a product"),
    ];
    let parties = Resolved {
        customer: "1".into(),
        item,
    };
    let store = MemoryStore::new();
    for (callback, deal, expected) in &cases {
        let result = execute(
            &mirror,
            &parties,
            &store,
            &job(callback, deal, DocKind::Invoice),
        )
        .await
        .unwrap();
        match result {
            ActionResult::Failed(message) => {
                assert!(message.contains(expected), "{callback}: {message}")
            }
            other => panic!("{callback}: {other:?}"),
        }
    }
    assert!(records.qbo_invoices().await.is_empty());
    hs.shutdown().await;
    qb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_create_only_when_billed_the_customer_and_items_are_made_at_the_first_invoice() {
    let mut settings = ConnectionSettings::default();
    settings.contact.qbo_create = QboCreatePolicy::WhenBilled;
    settings.product.qbo_create = QboCreatePolicy::WhenBilled;
    let q = Quiet::with(settings).await;
    let r = &q.records;
    let contact = r
        .create(
            ObjectType::Contacts,
            &[("email", "first.bill@example.com"), ("firstname", "First")],
            vec![],
        )
        .await
        .id;
    let product = r
        .create(
            ObjectType::Products,
            &[("name", "Billed later"), ("price", "40")],
            vec![],
        )
        .await
        .id;
    // A QBO customer that matches a second contact is linked whatever the policy.
    let matched_customer = r.customer("Matched Already", "matched@example.com").await;
    let matched = r
        .create(
            ObjectType::Contacts,
            &[("email", "matched@example.com"), ("firstname", "Matched")],
            vec![],
        )
        .await
        .id;

    let dry = InitialSyncOptions {
        dry_run: true,
        ..InitialSyncOptions::default()
    };
    let preview = q.e2e.stack.initial_sync(&dry, &|_| {}).await.unwrap();
    let of = |kind: ObjectKind| {
        preview
            .kinds
            .iter()
            .find(|k| k.kind == Some(kind))
            .cloned()
            .unwrap()
    };
    let contacts = of(ObjectKind::Contact);
    assert_eq!(contacts.creates_avoided, 1, "{contacts:?}");
    assert_eq!(
        contacts.creates.get(&Side::Quickbooks),
        None,
        "{contacts:?}"
    );
    assert_eq!(contacts.new_links, 1, "{contacts:?}");
    assert_eq!(of(ObjectKind::Product).creates_avoided, 1);
    let json = serde_json::to_value(&preview).unwrap();
    let in_json: u64 = json["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["creates_avoided"].as_u64())
        .sum();
    assert_eq!(
        in_json, 2,
        "the preview JSON carries creates_avoided: {json}"
    );

    q.e2e
        .stack
        .initial_sync(&InitialSyncOptions::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        q.e2e
            .partner(ObjectKind::Contact, Side::Hubspot, &matched)
            .await,
        Some(matched_customer)
    );
    assert_eq!(
        q.e2e
            .partner(ObjectKind::Contact, Side::Hubspot, &contact)
            .await,
        None
    );
    assert!(
        q.customers_with_email("first.bill@example.com")
            .await
            .is_empty()
    );
    let status = q
        .e2e
        .stack
        .ctx
        .store
        .get_status(
            q.e2e.stack.connection_id(),
            ObjectKind::Contact,
            Side::Hubspot,
            &contact,
        )
        .await
        .unwrap()
        .expect("a status for the waiting contact");
    assert!(
        matches!(&status.outcome, SyncOutcome::Excluded { filter } if filter.contains("only when")),
        "{status:?}"
    );

    // The first bill creates them, linked, once.
    let deal = r.deal("First bill", Some(&contact)).await;
    r.deal_line_item(&deal, &product, "1", "40").await;
    let fields = q.run("bill-1", None, &deal, json!({})).await;
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let customers = q.customers_with_email("first.bill@example.com").await;
    assert_eq!(customers.len(), 1);
    assert_eq!(
        q.e2e
            .partner(ObjectKind::Contact, Side::Hubspot, &contact)
            .await,
        customers[0].id.clone()
    );
    assert_eq!(q.items_named("Billed later").await.len(), 1);
    assert!(
        q.e2e
            .partner(ObjectKind::Product, Side::Hubspot, &product)
            .await
            .is_some()
    );
    q.e2e.shutdown().await;
}

//! The invoice tests' and benchmark's rig: QBO customers, items, invoices and payments and the
//! HubSpot contacts, products, deals and line items they link to, made through vendor clients.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use hqsync::http::RetryPolicy;
use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{
    CreateInput, GetOptions, HubspotClient, HubspotObject, InlineAssociation, ObjectType,
    PropertyDefinition,
};
use hqsync::quickbooks::entities::{
    Account, Customer, EmailAddress, Invoice, Item, ItemType, Line, LinkedTxn, Payment, Ref,
    SalesItemLineDetail,
};
use hqsync::quickbooks::{CompanyBudgets, QboClient, QboEnvironment, Query, RealmId};
use hqsync_sandbox::hubspot::HubspotSandbox;
use hqsync_sandbox::quickbooks::QuickbooksSandbox;
use rust_decimal::Decimal;
use secrecy::SecretString;

use crate::hubspot::start_default_hubspot_sandbox;
use crate::quickbooks::start_default_quickbooks_sandbox;

/// Retries short enough for tests (the sandboxes answer in microseconds).
pub const FAST_RETRY: RetryPolicy = RetryPolicy {
    max_transient_retries: 3,
    max_throttle_waits: 10,
    min_backoff: Duration::from_millis(5),
    max_backoff: Duration::from_millis(50),
};

/// The deal properties the invoice mirror writes (the deal's latest invoice).
pub const DEAL_INVOICE_PROPS: &[&str] = &[
    "qbo_latest_invoice_amount_due",
    "qbo_latest_invoice_recipient",
    "qbo_latest_invoice_number",
    "qbo_latest_invoice_status",
    "qbo_latest_invoice_due_date",
];

/// A decimal literal of a test (panics on a typo).
pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A QBO sales line: `qty` x `price` of item `item`.
pub fn sales_line(item: &str, qty: &str, price: &str) -> Line {
    Line {
        amount: Some((dec(qty) * dec(price)).round_dp(2)),
        detail_type: Some("SalesItemLineDetail".into()),
        sales_item_line_detail: Some(SalesItemLineDetail {
            item_ref: Some(Ref::to(item)),
            qty: Some(dec(qty)),
            unit_price: Some(dec(price)),
            ..SalesItemLineDetail::default()
        }),
        ..Line::default()
    }
}

/// A QBO payment of `customer` applying `applied` (invoice id, amount), not yet created.
pub fn payment_of(customer: &str, applied: &[(&str, &str)], reference: &str) -> Payment {
    let total: Decimal = applied.iter().map(|(_, a)| dec(a)).sum();
    Payment {
        customer_ref: Some(Ref::to(customer)),
        total_amt: Some(total),
        payment_ref_num: Some(reference.into()),
        txn_date: Some(today()),
        line: applied
            .iter()
            .map(|(invoice, amount)| Line {
                amount: Some(dec(amount)),
                linked_txn: vec![LinkedTxn {
                    txn_id: (*invoice).into(),
                    txn_type: "Invoice".into(),
                    ..LinkedTxn::default()
                }],
                ..Line::default()
            })
            .collect(),
        ..Payment::default()
    }
}

/// A person's clients of both accounts, making and reading the records invoice tests need.
#[derive(Clone)]
pub struct InvoiceRecords {
    pub hubspot: HubspotClient,
    pub qbo: QboClient,
    /// An income account of the company (every new item needs one).
    pub income_account: String,
}

impl InvoiceRecords {
    /// Over `hubspot` and `qbo`; looks up the company's income account.
    pub async fn over(hubspot: HubspotClient, qbo: QboClient) -> InvoiceRecords {
        let income_account = qbo
            .query_all::<Account>(Query::select("Account").eq("AccountType", "Income"))
            .await
            .unwrap()
            .into_iter()
            .find_map(|a| a.id)
            .expect("the sandbox has an income account");
        InvoiceRecords {
            hubspot,
            qbo,
            income_account,
        }
    }

    /// Creates the link properties the contact/product sync creates (`qbo_customer_id`,
    /// `qbo_item_id`), for tests that link records by hand.
    pub async fn ensure_link_properties(&self) {
        let text = |name: &str, label: &str, group: &str| {
            PropertyDefinition::text(name, label, group).unique()
        };
        self.hubspot
            .ensure_properties(
                ObjectType::Contacts,
                &[text(
                    "qbo_customer_id",
                    "QBO customer",
                    "contactinformation",
                )],
            )
            .await
            .unwrap();
        self.hubspot
            .ensure_properties(
                ObjectType::Products,
                &[text("qbo_item_id", "QBO item", "productinformation")],
            )
            .await
            .unwrap();
    }

    /// A HubSpot record of `kind` with `values`, associated inline with `assoc`.
    pub async fn create(
        &self,
        kind: ObjectType,
        values: &[(&str, &str)],
        assoc: Vec<InlineAssociation>,
    ) -> HubspotObject {
        let mut input = CreateInput::new(
            values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        input.associations = assoc;
        self.hubspot.create_object(kind, &input).await.unwrap()
    }

    /// A QBO customer; its id.
    pub async fn customer(&self, name: &str, email: &str) -> String {
        self.qbo
            .create_idempotent(&Customer {
                display_name: Some(name.into()),
                primary_email_addr: Some(EmailAddress::new(email)),
                ..Customer::default()
            })
            .await
            .unwrap()
            .id
            .unwrap()
    }

    /// A QBO customer linked by hand (`qbo_customer_id`) to a new HubSpot contact:
    /// (customer id, contact id).
    pub async fn linked_customer(&self, name: &str, email: &str) -> (String, String) {
        let id = self.customer(name, email).await;
        let contact = self
            .create(
                ObjectType::Contacts,
                &[
                    ("email", email),
                    ("firstname", name),
                    ("qbo_customer_id", &id),
                ],
                vec![],
            )
            .await;
        (id, contact.id)
    }

    /// A QBO service item; its id.
    pub async fn item(&self, name: &str, price: &str) -> String {
        self.qbo
            .create_idempotent(&Item {
                name: Some(name.into()),
                item_type: Some(ItemType::Service),
                unit_price: Some(dec(price)),
                income_account_ref: Some(Ref::to(self.income_account.clone())),
                ..Item::default()
            })
            .await
            .unwrap()
            .id
            .unwrap()
    }

    /// A QBO item and the HubSpot product linked by hand (`qbo_item_id`) to it:
    /// (item id, product id).
    pub async fn linked_item(&self, name: &str, price: &str) -> (String, String) {
        let item = self.item(name, price).await;
        let product = self
            .create(
                ObjectType::Products,
                &[("name", name), ("price", price), ("qbo_item_id", &item)],
                vec![],
            )
            .await;
        (item, product.id)
    }

    /// A USD deal in the default pipeline, associated with `contact` if given; its id.
    pub async fn deal(&self, name: &str, contact: Option<&str>) -> String {
        self.open_deal(name, contact, None).await
    }

    /// An open deal of `amount`, associated with `contact`; its id.
    pub async fn deal_with_amount(&self, name: &str, contact: &str, amount: &str) -> String {
        self.open_deal(name, Some(contact), Some(amount)).await
    }

    /// An open deal in the default pipeline, with `amount` if given; its id.
    async fn open_deal(&self, name: &str, contact: Option<&str>, amount: Option<&str>) -> String {
        let assoc = contact
            .map(|c| vec![InlineAssociation::to(c, type_ids::DEAL_TO_CONTACT)])
            .unwrap_or_default();
        let mut values = vec![
            ("dealname", name),
            ("dealstage", "appointmentscheduled"),
            ("pipeline", "default"),
            ("deal_currency_code", "USD"),
        ];
        if let Some(amount) = amount {
            values.push(("amount", amount));
        }
        self.create(ObjectType::Deals, &values, assoc).await.id
    }

    /// A line item of `qty` x `price` of `product` on `deal`; its id.
    pub async fn deal_line_item(
        &self,
        deal: &str,
        product: &str,
        qty: &str,
        price: &str,
    ) -> String {
        self.create(
            ObjectType::LineItems,
            &[
                ("name", "line"),
                ("hs_product_id", product),
                ("quantity", qty),
                ("price", price),
            ],
            vec![InlineAssociation::to(deal, type_ids::LINE_ITEM_TO_DEAL)],
        )
        .await
        .id
    }

    /// A QBO invoice of `customer` with `lines` (item, qty, price), billed to
    /// billing@example.com. Equal bodies replay one create (the requestid is body-derived).
    pub async fn invoice(
        &self,
        customer: &str,
        lines: &[(&str, &str, &str)],
        note: Option<&str>,
        due: &str,
    ) -> Invoice {
        self.qbo
            .create_idempotent(&Invoice {
                customer_ref: Some(Ref::to(customer)),
                line: lines
                    .iter()
                    .map(|(item, qty, price)| sales_line(item, qty, price))
                    .collect(),
                due_date: Some(due.parse().unwrap()),
                private_note: note.map(str::to_owned),
                bill_email: Some(EmailAddress::new("billing@example.com")),
                ..Invoice::default()
            })
            .await
            .unwrap()
    }

    /// A QBO payment of `customer` applying `applied` (invoice id, amount).
    pub async fn pay(&self, customer: &str, applied: &[(&str, &str)], reference: &str) -> Payment {
        self.qbo
            .create_idempotent(&payment_of(customer, applied, reference))
            .await
            .unwrap()
    }

    /// `properties` of HubSpot record `id`.
    pub async fn get(&self, kind: ObjectType, id: &str, properties: &[&str]) -> HubspotObject {
        self.hubspot
            .get_object(
                kind,
                id,
                &GetOptions::properties(properties.iter().copied()),
            )
            .await
            .unwrap()
    }

    /// Ids of the `to` records associated with HubSpot record `id`, sorted.
    pub async fn associated(&self, from: ObjectType, id: &str, to: ObjectType) -> Vec<String> {
        let mut ids: Vec<String> = self
            .hubspot
            .list_associations(from, id, to)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.to_object_id)
            .collect();
        ids.sort();
        ids
    }

    /// The deal's latest-invoice properties ([`DEAL_INVOICE_PROPS`]).
    pub async fn deal_props(&self, deal: &str) -> BTreeMap<String, String> {
        self.get(ObjectType::Deals, deal, DEAL_INVOICE_PROPS)
            .await
            .properties
    }

    /// The bodies of the notes on `deal`.
    pub async fn notes_of(&self, deal: &str) -> Vec<String> {
        let mut bodies = Vec::new();
        for id in self
            .associated(ObjectType::Deals, deal, ObjectType::Notes)
            .await
        {
            let note = self.get(ObjectType::Notes, &id, &["hs_note_body"]).await;
            bodies.push(note.get("hs_note_body").unwrap_or("").to_owned());
        }
        bodies
    }

    /// Every QBO invoice of the company.
    pub async fn qbo_invoices(&self) -> Vec<Invoice> {
        self.qbo
            .query_all::<Invoice>(Query::select("Invoice"))
            .await
            .unwrap()
    }
}

/// Both sandboxes in-process (documented defaults, search without lag), clients over them with
/// [`FAST_RETRY`] and QBO's real budgets, and the link properties in place.
pub struct InvoiceSandboxes {
    pub hs: HubspotSandbox,
    pub qb: QuickbooksSandbox,
    pub records: InvoiceRecords,
}

impl InvoiceSandboxes {
    pub async fn start() -> InvoiceSandboxes {
        let hs = start_default_hubspot_sandbox().await;
        let qb = start_default_quickbooks_sandbox().await;
        let hubspot = HubspotClient::builder(SecretString::from(hs.config().dev_token.clone()))
            .base_url(hs.base_url())
            .retry_policy(FAST_RETRY)
            .build()
            .unwrap();
        let qbo = QboClient::new(
            &QboEnvironment::Custom(reqwest::Url::parse(&qb.base_url()).unwrap()),
            RealmId::new(qb.config().realm_id.clone()).unwrap(),
            SecretString::from(qb.config().dev_token.clone()),
        )
        .unwrap()
        .with_budgets(CompanyBudgets::real())
        .with_retry_policy(FAST_RETRY);
        let records = InvoiceRecords::over(hubspot, qbo).await;
        records.ensure_link_properties().await;
        InvoiceSandboxes { hs, qb, records }
    }

    pub async fn shutdown(self) {
        self.hs.shutdown().await;
        self.qb.shutdown().await;
    }
}

/// A QBO customer linked to a HubSpot contact, a QBO item linked to a product, and a deal of
/// that contact: what most invoice scenarios start from.
pub struct LinkedDeal {
    pub customer: String,
    pub contact: String,
    pub item: String,
    /// The item's unit price.
    pub price: String,
    pub product: String,
    pub deal: String,
}

impl LinkedDeal {
    /// The invoice memo tag that names the deal (`HubSpot deal: {id}`).
    pub fn tag(&self) -> String {
        format!("HubSpot deal: {}", self.deal)
    }
}

impl InvoiceRecords {
    /// Customer `(name, email)` and item `(name, price)` linked by hand, and deal `deal_name`
    /// of the customer's contact.
    pub async fn linked_deal(
        &self,
        (name, email): (&str, &str),
        (item_name, price): (&str, &str),
        deal_name: &str,
    ) -> LinkedDeal {
        let (customer, contact) = self.linked_customer(name, email).await;
        let (item, product) = self.linked_item(item_name, price).await;
        let deal = self.deal(deal_name, Some(&contact)).await;
        LinkedDeal {
            customer,
            contact,
            item,
            price: price.to_owned(),
            product,
            deal,
        }
    }

    /// A QBO invoice of `linked`'s customer for `qty` of its item, tagged with its deal.
    pub async fn tagged_invoice(&self, linked: &LinkedDeal, qty: &str, due: &str) -> Invoice {
        self.invoice(
            &linked.customer,
            &[(&linked.item, qty, &linked.price)],
            Some(&linked.tag()),
            due,
        )
        .await
    }
}

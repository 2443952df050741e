//! The action's worker side: reads the deal, its line items, products and contact, links or
//! creates the QBO customer/items, creates the invoice with a `requestid` from the callbackId,
//! optionally sends it, then completes the callback (SUCCESS or FAIL_CONTINUE with a message).

use chrono::NaiveDate;

use super::plan::{
    ActionFailure, DealLine, InvoiceContext, doc_number_candidate, plan_qbo_invoice,
};
use super::request::CreateInvoiceJob;
use crate::engine::invoicing::deal::invoice_stage;
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError};
use crate::http::{ClassifyRetry, RetryClass};
use crate::hubspot::action_callbacks::{ExecutionState, OutputFields};
use crate::hubspot::batch::BatchReadOptions;
use crate::hubspot::{GetOptions, HubspotError, HubspotObject, ObjectType, PropertyWrites};
use crate::quickbooks::entities::{Customer, EmailAddress, Invoice, Item, ItemType, Ref};
use crate::quickbooks::{QboError, RequestId};

/// How many DocNumbers are tried after duplicates (6140) before giving up.
const DOC_NUMBER_ATTEMPTS: u32 = 5;

/// How an execution ended, as reported to HubSpot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionResult {
    Success(OutputFields),
    /// FAIL_CONTINUE with this message.
    Failed(String),
}

/// A step's failure: for the user (complete with FAIL_CONTINUE) or for a retry of the job.
enum Stop {
    User(String),
    Retry(InvoiceSyncError),
}

impl From<ActionFailure> for Stop {
    fn from(f: ActionFailure) -> Self {
        Stop::User(f.to_string())
    }
}

impl From<HubspotError> for Stop {
    fn from(e: HubspotError) -> Self {
        Stop::Retry(e.into())
    }
}

/// A QBO failure: permanent ones are the user's to fix, the rest are retried.
impl From<QboError> for Stop {
    fn from(e: QboError) -> Self {
        match e.retry_class() {
            RetryClass::Permanent
                if !matches!(e, QboError::Authentication(_) | QboError::Authorization(_)) =>
            {
                let detail = e
                    .fault()
                    .and_then(|f| f.detail().map(str::to_owned))
                    .unwrap_or_else(|| e.to_string());
                Stop::User(ActionFailure::Rejected(detail).to_string())
            }
            _ => Stop::Retry(e.into()),
        }
    }
}

/// Runs "Create QuickBooks invoice" executions for one connection.
#[derive(Debug)]
pub struct InvoiceAction<'a> {
    pub mirror: &'a InvoiceMirror,
}

impl<'a> InvoiceAction<'a> {
    pub fn new(mirror: &'a InvoiceMirror) -> Self {
        InvoiceAction { mirror }
    }

    /// Executes the job and completes its callback. A vendor failure that may pass is
    /// returned (the job is retried; the same callbackId replays the same QBO create).
    pub async fn run(
        &self,
        job: &CreateInvoiceJob,
        today: NaiveDate,
    ) -> Result<ActionResult, InvoiceSyncError> {
        let result = self.execute(job, today).await?;
        let (state, outputs) = match &result {
            ActionResult::Success(o) => (ExecutionState::Success, o.clone()),
            ActionResult::Failed(message) => {
                let mut o = OutputFields::new();
                // UNVERIFIED (docs/hubspot.md §6.3): the field that shows the message in the
                // workflow history; `hs_execution_state` FAIL_CONTINUE is documented.
                o.insert("error_message".into(), message.clone());
                (ExecutionState::FailContinue, o)
            }
        };
        self.mirror
            .hubspot
            .complete_action_callback(&job.callback_id, state, &outputs)
            .await?;
        Ok(result)
    }

    /// Creates (or, on a repeat, finds again) the QBO invoice; does not complete the callback.
    pub async fn execute(
        &self,
        job: &CreateInvoiceJob,
        today: NaiveDate,
    ) -> Result<ActionResult, InvoiceSyncError> {
        match self.create(job, today).await {
            Ok(outputs) => Ok(ActionResult::Success(outputs)),
            Err(Stop::User(message)) => Ok(ActionResult::Failed(message)),
            Err(Stop::Retry(InvoiceSyncError::NeedsAttention(message))) => {
                Ok(ActionResult::Failed(message))
            }
            Err(Stop::Retry(e)) => Err(e),
        }
    }

    async fn create(&self, job: &CreateInvoiceJob, today: NaiveDate) -> Result<OutputFields, Stop> {
        let hubspot = &self.mirror.hubspot;
        let qbo = &self.mirror.qbo;
        let deal = match hubspot
            .get_record(
                ObjectType::Deals,
                &job.deal_id,
                &GetOptions {
                    properties: vec!["dealname".into(), "deal_currency_code".into()],
                    associations: vec!["line_items".into(), "contacts".into()],
                    ..GetOptions::default()
                },
            )
            .await
        {
            Ok(d) => d,
            Err(HubspotError::NotFound { .. }) => {
                return Err(ActionFailure::DealMissing(job.deal_id.clone()).into());
            }
            Err(e) => return Err(e.into()),
        };
        let lines = self.deal_lines(&deal, &job.callback_id).await?;
        let contact = self.contact(&deal).await?;
        let email = contact
            .get("email")
            .map(str::to_owned)
            .ok_or(ActionFailure::ContactWithoutEmail)?;
        let customer_id = self.customer(&contact, &email, &job.callback_id).await?;
        let prefs = qbo.preferences().await?;
        let currency = prefs
            .multi_currency_enabled()
            .then(|| deal.get("deal_currency_code").map(str::to_owned))
            .flatten();
        let mut attempt = 0;
        let created = loop {
            let doc_number = prefs.custom_txn_numbers().then(|| {
                doc_number_candidate(
                    &self.mirror.settings.doc_number_prefix,
                    &job.deal_id,
                    attempt,
                )
            });
            let ctx = InvoiceContext {
                deal_id: &job.deal_id,
                customer_id: &customer_id,
                bill_email: Some(&email),
                currency: currency.as_deref(),
                inputs: &job.inputs,
                today,
                doc_number,
            };
            let invoice = plan_qbo_invoice(&lines, &ctx)?;
            let request_id =
                RequestId::from_key(&["create-invoice", &job.callback_id, &attempt.to_string()]);
            match qbo.create_invoice(&invoice, &request_id).await {
                Ok(created) => break created,
                Err(QboError::DuplicateDocNumber(_))
                    if prefs.custom_txn_numbers() && attempt + 1 < DOC_NUMBER_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let id = created.id.clone().unwrap_or_default();
        let created =
            if job.inputs.send_email && created.email_status.as_deref() != Some("EmailSent") {
                qbo.send_invoice(&id, Some(&email)).await?
            } else {
                created
            };
        Ok(outputs(&created, today))
    }

    /// The deal's line items as invoice lines, each with its product's QBO item (linked or,
    /// per settings, created).
    async fn deal_lines(
        &self,
        deal: &HubspotObject,
        callback_id: &str,
    ) -> Result<Vec<DealLine>, Stop> {
        let hubspot = &self.mirror.hubspot;
        let mut ids: Vec<String> = deal
            .associated_ids("line_items")
            .into_iter()
            .map(str::to_owned)
            .collect();
        if ids.is_empty() {
            return Err(ActionFailure::NoLineItems.into());
        }
        ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(u64::MAX));
        let read = |props: &[&str]| BatchReadOptions {
            properties: props.iter().map(|p| (*p).to_owned()).collect(),
            ..BatchReadOptions::default()
        };
        let mut items = hubspot
            .read_line_items(&ids, &read(&["name", "quantity", "price", "hs_product_id"]))
            .await?
            .found;
        items.sort_by_key(|i| i.id.parse::<u64>().unwrap_or(u64::MAX));
        let mut product_ids = Vec::new();
        for item in &items {
            match item.get("hs_product_id") {
                Some(p) => product_ids.push(p.to_owned()),
                None => {
                    return Err(ActionFailure::LineWithoutProduct(
                        item.get("name").unwrap_or("?").to_owned(),
                    )
                    .into());
                }
            }
        }
        let products = hubspot
            .read_records(
                ObjectType::Products,
                &product_ids,
                &read(&["name", "price", "qbo_item_id"]),
            )
            .await?
            .found;
        let mut lines = Vec::with_capacity(items.len());
        for item in &items {
            let name = item.get("name").unwrap_or("Item").to_owned();
            let product = products
                .iter()
                .find(|p| Some(p.id.as_str()) == item.get("hs_product_id"));
            let qbo_item_id = match product {
                Some(p) => match p.get("qbo_item_id") {
                    Some(q) => Some(q.to_owned()),
                    None if self.mirror.settings.create_missing_items => {
                        Some(self.create_item(p, callback_id).await?)
                    }
                    None => {
                        let product = p.get("name").unwrap_or(&name).to_owned();
                        return Err(ActionFailure::ProductNotInQuickbooks(product).into());
                    }
                },
                None => None,
            };
            let number = |name: &str| item.decimal(name).ok().flatten();
            lines.push(DealLine {
                name,
                quantity: number("quantity").unwrap_or(rust_decimal::Decimal::ONE),
                price: number("price").unwrap_or_default(),
                qbo_item_id,
            });
        }
        Ok(lines)
    }

    /// Creates the QBO item of an unlinked product and links it (`qbo_item_id`).
    async fn create_item(
        &self,
        product: &HubspotObject,
        callback_id: &str,
    ) -> Result<String, Stop> {
        let qbo = &self.mirror.qbo;
        let account = match &self.mirror.settings.income_account_id {
            Some(a) => a.clone(),
            None => qbo
                .income_accounts()
                .await?
                .into_iter()
                .find_map(|a| a.id)
                .ok_or_else(|| Stop::User("QuickBooks has no income account for new products; create one or set income_account_id.".into()))?,
        };
        let item = Item {
            name: product.get("name").map(str::to_owned),
            item_type: Some(ItemType::Service),
            unit_price: product.decimal("price").ok().flatten(),
            income_account_ref: Some(Ref::to(account)),
            ..Item::default()
        };
        let request_id = RequestId::from_key(&["action-item", callback_id, &product.id]);
        let created = qbo.create_item(&item, &request_id).await?;
        let id = created.id.unwrap_or_default();
        let mut link = PropertyWrites::new();
        link.insert("qbo_item_id".into(), id.clone());
        self.mirror
            .hubspot
            .update_record(ObjectType::Products, &product.id, &link)
            .await?;
        Ok(id)
    }

    /// The deal's contact (the lowest id when several: which is "primary" is UNVERIFIED).
    async fn contact(&self, deal: &HubspotObject) -> Result<HubspotObject, Stop> {
        let mut ids: Vec<&str> = deal.associated_ids("contacts");
        ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(u64::MAX));
        let id = ids.first().ok_or(ActionFailure::NoContact)?;
        let options = GetOptions::properties([
            "email",
            "firstname",
            "lastname",
            "company",
            "qbo_customer_id",
        ]);
        Ok(self
            .mirror
            .hubspot
            .get_record(ObjectType::Contacts, id, &options)
            .await?)
    }

    /// The contact's QBO customer: linked, else created (per settings) and linked.
    async fn customer(
        &self,
        contact: &HubspotObject,
        email: &str,
        callback_id: &str,
    ) -> Result<String, Stop> {
        if let Some(id) = contact.get("qbo_customer_id") {
            return Ok(id.to_owned());
        }
        if !self.mirror.settings.create_missing_customer {
            return Err(Stop::User(
                "The deal's contact is not linked to a QuickBooks customer yet; sync the contact first.".into(),
            ));
        }
        let first = contact.get("firstname").map(str::to_owned);
        let last = contact.get("lastname").map(str::to_owned);
        let full = [first.as_deref(), last.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let customer = Customer {
            display_name: Some(if full.is_empty() {
                email.to_owned()
            } else {
                full
            }),
            given_name: first,
            family_name: last,
            company_name: contact.get("company").map(str::to_owned),
            primary_email_addr: Some(EmailAddress::new(email)),
            ..Customer::default()
        };
        let request_id = RequestId::from_key(&["action-customer", callback_id, &contact.id]);
        let created = self
            .mirror
            .qbo
            .create_customer(&customer, &request_id)
            .await?;
        let id = created.id.unwrap_or_default();
        let mut link = PropertyWrites::new();
        link.insert("qbo_customer_id".into(), id.clone());
        self.mirror
            .hubspot
            .update_record(ObjectType::Contacts, &contact.id, &link)
            .await?;
        Ok(id)
    }
}

/// The action's output fields (`qbo_invoice_id`, `qbo_invoice_number`, `qbo_invoice_status`).
fn outputs(invoice: &Invoice, today: NaiveDate) -> OutputFields {
    let mut o = OutputFields::new();
    o.insert(
        "qbo_invoice_id".into(),
        invoice.id.clone().unwrap_or_default(),
    );
    o.insert(
        "qbo_invoice_number".into(),
        invoice.doc_number.clone().unwrap_or_default(),
    );
    o.insert(
        "qbo_invoice_status".into(),
        invoice_stage(invoice, today).value().into(),
    );
    o
}

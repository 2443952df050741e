//! The actions' worker side, one pipeline for invoices, estimates and sales receipts: reads the
//! deal, resolves its customer (its contact, or its company under the company customer model)
//! and items through the two-way sync (`BillingParties`), records the
//! execution, creates the document (or finds the one an earlier run made), optionally e-mails an
//! invoice, then completes the callback (SUCCESS or FAIL_CONTINUE with a message).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::outputs::outputs;
use super::parties::BillingParties;
use super::plan::{
    ActionFailure, DealLine, DocContext, TaxModel, doc_number_candidate, has_execution_mark,
    plan_sales_doc,
};
use super::record::{ExecutionRecords, RecordError, Recorded};
use super::request::DocActionJob;
use crate::engine::invoicing::customer_party::primary_or_lowest;
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError};
use crate::http::{ClassifyRetry, RetryClass};
use crate::hubspot::action_callbacks::{ExecutionState, OutputFields};
use crate::hubspot::batch::BatchReadOptions;
use crate::hubspot::{GetOptions, HubspotError, HubspotObject, ObjectType};
use crate::model::{CustomerModel, DocKind, ObjectKind};
use crate::quickbooks::entities::Item;
use crate::quickbooks::{QboError, RequestId};

/// How many DocNumbers are tried after duplicates (6140) before giving up.
const DOC_NUMBER_ATTEMPTS: u32 = 5;

/// The countries whose companies use the US tax model (docs/quickbooks.md §17.3).
const US_COUNTRIES: [&str; 2] = ["US", "USA"];

/// How an execution ended, as reported to HubSpot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionResult {
    Success(OutputFields),
    /// FAIL_CONTINUE with this message.
    Failed(String),
}

/// A failure that may pass: the job is retried with the same callbackId.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Vendor(#[from] InvoiceSyncError),
    /// The execution record (or a link) could not be read or written.
    #[error(transparent)]
    Store(#[from] crate::ports::StoreError),
    /// The customer or an item is being linked or created and is not there yet.
    #[error("{reason}")]
    Later {
        delay: std::time::Duration,
        reason: String,
    },
}

/// A step's failure: for the user (complete with FAIL_CONTINUE) or for a retry of the job.
enum Stop {
    User(String),
    Retry(ActionError),
}

impl From<ActionFailure> for Stop {
    fn from(f: ActionFailure) -> Self {
        Stop::User(f.to_string())
    }
}

impl From<HubspotError> for Stop {
    fn from(e: HubspotError) -> Self {
        Stop::Retry(ActionError::Vendor(e.into()))
    }
}

impl From<InvoiceSyncError> for Stop {
    fn from(e: InvoiceSyncError) -> Self {
        match e {
            InvoiceSyncError::NeedsAttention(message) => Stop::User(message),
            other => Stop::Retry(ActionError::Vendor(other)),
        }
    }
}

impl From<ActionError> for Stop {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Vendor(e) => e.into(),
            other => Stop::Retry(other),
        }
    }
}

impl From<RecordError> for Stop {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Store(e) => Stop::Retry(ActionError::Store(e)),
            other @ RecordError::OtherDeal(_) => Stop::User(other.to_string()),
        }
    }
}

/// A QBO failure of a `kind` write: permanent ones are the user's to fix, the rest are retried.
fn qbo_stop(kind: DocKind) -> impl Fn(QboError) -> Stop {
    move |e| match e.retry_class() {
        RetryClass::Permanent
            if !matches!(e, QboError::Authentication(_) | QboError::Authorization(_)) =>
        {
            let detail = e
                .fault()
                .and_then(|f| f.detail().map(str::to_owned))
                .unwrap_or_else(|| e.to_string());
            Stop::User(ActionFailure::Rejected(kind, detail).to_string())
        }
        _ => Stop::Retry(ActionError::Vendor(e.into())),
    }
}

/// What the deal gives the document: its lines (items resolved), the HubSpot record that is
/// the QBO customer (kind, id) and the bill-to e-mail.
struct DealBill {
    lines: Vec<DealLine>,
    customer: (ObjectKind, String),
    email: String,
    currency: Option<String>,
}

/// Runs the "Create QuickBooks invoice / estimate / sales receipt" executions of one connection.
pub struct DocAction<'a> {
    pub mirror: &'a InvoiceMirror,
    pub parties: &'a dyn BillingParties,
    pub records: ExecutionRecords<'a>,
}

impl<'a> DocAction<'a> {
    /// Executes the job and completes its callback. A failure that may pass is returned (the
    /// job is retried; the execution record and the document's mark keep the retry from
    /// creating a second document).
    pub async fn run(
        &self,
        job: &DocActionJob,
        today: NaiveDate,
    ) -> Result<ActionResult, ActionError> {
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
            .await
            .map_err(InvoiceSyncError::from)?;
        Ok(result)
    }

    /// Creates (or finds again) the QBO document; does not complete the callback.
    pub async fn execute(
        &self,
        job: &DocActionJob,
        today: NaiveDate,
    ) -> Result<ActionResult, ActionError> {
        match self.create(job, today).await {
            Ok(outputs) => Ok(ActionResult::Success(outputs)),
            Err(Stop::User(message)) => Ok(ActionResult::Failed(message)),
            Err(Stop::Retry(e)) => Err(e),
        }
    }

    async fn create(&self, job: &DocActionJob, today: NaiveDate) -> Result<OutputFields, Stop> {
        let kind = job.doc_kind;
        let qbo = &self.mirror.qbo;
        let rejected = qbo_stop(kind);
        let bill = self.bill(job).await?;
        let customer_id = self
            .parties
            .customer(bill.customer.0, &bill.customer.1)
            .await?
            .map_err(|why| match bill.customer.0 {
                ObjectKind::Company => ActionFailure::CompanyNotInQuickbooks(why),
                _ => ActionFailure::CustomerNotInQuickbooks(why),
            })?;
        match self
            .records
            .begin(kind, &job.callback_id, &job.deal_id)
            .await?
        {
            Recorded::Written(id) => {
                return match qbo.read_sales_doc(kind, &id).await {
                    Ok(doc) => Ok(outputs(kind, &doc, today)),
                    Err(QboError::NotFound(_)) => {
                        Err(ActionFailure::CreatedThenDeleted(kind, id).into())
                    }
                    Err(e) => Err(rejected(e)),
                };
            }
            Recorded::Planned => {
                // An earlier run may have created the document and crashed before recording
                // it: its mark finds it (QBO's requestid memory may be gone, §5.1).
                let docs = qbo
                    .customer_sales_docs(kind, &customer_id)
                    .await
                    .map_err(&rejected)?;
                if let Some(doc) = docs
                    .into_iter()
                    .find(|d| has_execution_mark(d, &job.callback_id))
                {
                    let id = doc.id.clone().unwrap_or_default();
                    self.records
                        .written(kind, &job.callback_id, &job.deal_id, &id)
                        .await?;
                    return Ok(outputs(kind, &doc, today));
                }
            }
            Recorded::New => {}
        }
        let tax = self.tax_model().await?;
        let lines = self.with_tax_codes(bill.lines, &tax).await?;
        let prefs = qbo.preferences().await.map_err(&rejected)?;
        let currency = prefs
            .multi_currency_enabled()
            .then_some(bill.currency)
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
            let ctx = DocContext {
                kind,
                deal_id: &job.deal_id,
                callback_id: &job.callback_id,
                customer_id: &customer_id,
                bill_email: Some(&bill.email),
                currency: currency.as_deref(),
                inputs: &job.inputs,
                tax: &tax,
                today,
                doc_number,
            };
            let doc = plan_sales_doc(&lines, &ctx)?;
            let request_id = RequestId::from_key(&[
                &format!("create-{}", kind.as_str()),
                &job.callback_id,
                &attempt.to_string(),
            ]);
            match qbo.create_sales_doc(kind, &doc, &request_id).await {
                Ok(created) => break created,
                Err(QboError::DuplicateDocNumber(_))
                    if prefs.custom_txn_numbers() && attempt + 1 < DOC_NUMBER_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(rejected(e)),
            }
        };
        let id = created.id.clone().unwrap_or_default();
        self.records
            .written(kind, &job.callback_id, &job.deal_id, &id)
            .await?;
        // Only invoices are e-mailed: the port sends invoices (docs/quickbooks.md §5.6).
        let created = if kind == DocKind::Invoice
            && job.inputs.send_email
            && created.email_status.as_deref() != Some("EmailSent")
        {
            qbo.send_invoice(&id, Some(&bill.email))
                .await
                .map_err(&rejected)?
        } else {
            created
        };
        Ok(outputs(kind, &created, today))
    }

    /// The deal, its line items with their products' QBO items, and its contact.
    async fn bill(&self, job: &DocActionJob) -> Result<DealBill, Stop> {
        let hubspot = &self.mirror.hubspot;
        let deal = match hubspot
            .get_record(
                ObjectType::Deals,
                &job.deal_id,
                &GetOptions {
                    properties: vec!["dealname".into(), "deal_currency_code".into()],
                    associations: vec!["line_items".into(), "contacts".into()],
                    // Under the company model the companies come with their labels, below.
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
        let lines = self.deal_lines(&deal).await?;
        let (customer, email) = match self.mirror.settings.customer_model {
            CustomerModel::Contact => {
                let contact = self.contact(&deal).await?;
                let email = contact
                    .get("email")
                    .map(str::to_owned)
                    .ok_or(ActionFailure::ContactWithoutEmail)?;
                ((ObjectKind::Contact, contact.id), email)
            }
            CustomerModel::Company => {
                let company = self.company(&deal).await?;
                let email = self.company_bill_email(&deal, &company).await?;
                ((ObjectKind::Company, company), email)
            }
        };
        Ok(DealBill {
            lines,
            customer,
            email,
            currency: deal.get("deal_currency_code").map(str::to_owned),
        })
    }

    /// The deal's line items as document lines, each with its product's QBO item.
    async fn deal_lines(&self, deal: &HubspotObject) -> Result<Vec<DealLine>, Stop> {
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
        let read = BatchReadOptions {
            properties: [
                "name",
                "quantity",
                "price",
                "hs_product_id",
                "hs_discount_percentage",
            ]
            .map(str::to_owned)
            .to_vec(),
            ..BatchReadOptions::default()
        };
        let mut items = hubspot.read_line_items(&ids, &read).await?.found;
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
        product_ids.sort();
        product_ids.dedup();
        let qbo_items = self.parties.items(&product_ids).await?;
        let mut lines = Vec::with_capacity(items.len());
        for item in &items {
            let name = item.get("name").unwrap_or("Item").to_owned();
            let product = item.get("hs_product_id").unwrap_or_default();
            let qbo_item_id = match qbo_items.get(product) {
                Some(Ok(id)) => id.clone(),
                Some(Err(why)) => {
                    return Err(ActionFailure::ProductNotInQuickbooks(name, why.clone()).into());
                }
                None => {
                    return Err(ActionFailure::ProductNotInQuickbooks(
                        name,
                        "the product no longer exists in HubSpot".into(),
                    )
                    .into());
                }
            };
            let number = |name: &str| item.decimal(name).ok().flatten();
            lines.push(DealLine {
                name,
                quantity: number("quantity").unwrap_or(rust_decimal::Decimal::ONE),
                price: number("price").unwrap_or_default(),
                qbo_item_id: Some(qbo_item_id),
                discount_percent: number("hs_discount_percentage"),
                tax_code: None,
            });
        }
        Ok(lines)
    }

    /// The deal's contact (the lowest id when several: which is "primary" is UNVERIFIED).
    async fn contact(&self, deal: &HubspotObject) -> Result<HubspotObject, Stop> {
        let mut ids: Vec<&str> = deal.associated_ids("contacts");
        ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(u64::MAX));
        let id = ids.first().ok_or(ActionFailure::NoContact)?;
        let options = GetOptions::properties(["email", "firstname", "lastname", "company"]);
        Ok(self
            .mirror
            .hubspot
            .get_record(ObjectType::Contacts, id, &options)
            .await?)
    }

    /// The deal's company under the company customer model (docs/admin.md §6): its primary
    /// company, else the lowest id (`primary_or_lowest`). One association read.
    async fn company(&self, deal: &HubspotObject) -> Result<String, Stop> {
        let companies = self
            .mirror
            .hubspot
            .associations_with_labels(ObjectType::Deals, &deal.id, ObjectType::Companies)
            .await?;
        Ok(primary_or_lowest(&companies).ok_or(ActionFailure::NoCompany)?)
    }

    /// The bill-to e-mail of a company customer: the deal's contact's (as under the contact
    /// model), else the company's primary contact's (docs/admin.md §6).
    async fn company_bill_email(
        &self,
        deal: &HubspotObject,
        company: &str,
    ) -> Result<String, Stop> {
        let hubspot = &self.mirror.hubspot;
        let email_of = |contact: &HubspotObject| {
            contact
                .get("email")
                .filter(|e| !e.trim().is_empty())
                .map(str::to_owned)
        };
        if !deal.associated_ids("contacts").is_empty()
            && let Some(email) = email_of(&self.contact(deal).await?)
        {
            return Ok(email);
        }
        let contacts = hubspot
            .associations_with_labels(ObjectType::Companies, company, ObjectType::Contacts)
            .await?;
        let Some(primary) = primary_or_lowest(&contacts) else {
            return Err(ActionFailure::CompanyWithoutEmail.into());
        };
        let contact = hubspot
            .get_record(
                ObjectType::Contacts,
                &primary,
                &GetOptions::properties(["email"]),
            )
            .await?;
        Ok(email_of(&contact).ok_or(ActionFailure::CompanyWithoutEmail)?)
    }

    /// US companies use `TAX`/`NON` on lines; others a TaxCode per line (§17.3).
    async fn tax_model(&self) -> Result<TaxModel, Stop> {
        let info = self
            .mirror
            .qbo
            .company_info()
            .await
            .map_err(|e| Stop::Retry(ActionError::Vendor(e.into())))?;
        let us = info.country.as_deref().is_none_or(|c| {
            US_COUNTRIES
                .iter()
                .any(|u| u.eq_ignore_ascii_case(c.trim()))
        });
        Ok(if us {
            TaxModel::Us
        } else {
            TaxModel::PerLine {
                default_code: self.mirror.settings.default_tax_code.clone(),
            }
        })
    }

    /// Each line's item tax code, read from QBO: `SalesTaxCodeRef`, or on US companies `TAX` /
    /// `NON` from `Taxable`.
    async fn with_tax_codes(
        &self,
        mut lines: Vec<DealLine>,
        tax: &TaxModel,
    ) -> Result<Vec<DealLine>, Stop> {
        let mut ids: Vec<String> = lines.iter().filter_map(|l| l.qbo_item_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let items: BTreeMap<String, Item> = self
            .mirror
            .qbo
            .read_items(&ids)
            .await
            .map_err(|e| Stop::Retry(ActionError::Vendor(e.into())))?
            .into_iter()
            .filter_map(|i| Some((i.id.clone()?, i)))
            .collect();
        for line in &mut lines {
            let Some(item) = line.qbo_item_id.as_ref().and_then(|id| items.get(id)) else {
                continue;
            };
            line.tax_code = match tax {
                TaxModel::Us => item
                    .taxable
                    .map(|taxable| if taxable { "TAX" } else { "NON" }.to_owned()),
                TaxModel::PerLine { .. } => item
                    .extra
                    .get("SalesTaxCodeRef")
                    .and_then(|r| r.get("value"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            };
        }
        Ok(lines)
    }
}

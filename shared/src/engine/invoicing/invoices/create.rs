//! A new HubSpot invoice created `open` in one write where HubSpot takes it: its line items
//! first, then the invoice with them, its contact and deal inline (docs/hubspot.md §2.8, §9.5).

use std::sync::atomic::Ordering;

use super::error::InvoiceSyncError;
use super::mirror::{InvoiceMirror, create_input};
use super::properties::{HS_OPEN, HS_STATUS};
use super::write_plan::WritePlan;
use crate::hubspot::associations::type_ids;
use crate::hubspot::batch::ItemOutcome;
use crate::hubspot::{CreateInput, HubspotError, InlineAssociation, PropertyWrites};

type Result<T> = std::result::Result<T, InvoiceSyncError>;

impl InvoiceMirror {
    /// Creates the HubSpot invoice of `plan` with `props` and answers its id; it is `open`
    /// afterwards. HubSpot opens an invoice only with one contact and a line item (§2.8), so
    /// the line items are created first (unassociated) and the invoice is created `open` with
    /// them, its contact and its deal inline: 2 calls. UNVERIFIED (§2.8): HubSpot's guide
    /// documents only a draft create, then the associations, then the move to `open`
    /// (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/invoices/guide).
    /// When HubSpot refuses `open` on the create, the invoice is created as a draft with the
    /// same line items and opened by a second write, and this mirror does not try again.
    pub(super) async fn create_open(
        &self,
        plan: &WritePlan,
        props: &PropertyWrites,
    ) -> Result<String> {
        if plan.lines.is_empty() || self.open_on_create_refused.load(Ordering::Relaxed) {
            return self.create_then_open(plan, props).await;
        }
        let lines = self.create_loose_line_items(&plan.lines).await?;
        let mut input = create_input(plan, props);
        for id in &lines {
            input
                .associations
                .push(InlineAssociation::to(id, type_ids::INVOICE_TO_LINE_ITEM));
        }
        let mut open = input.clone();
        open.properties.insert(HS_STATUS.into(), HS_OPEN.into());
        match self.hubspot.create_invoice(&open).await {
            Ok(created) => Ok(created.id),
            Err(HubspotError::Validation { .. }) => {
                self.open_on_create_refused.store(true, Ordering::Relaxed);
                let created = self.hubspot.create_invoice(&input).await?;
                self.open(&created.id).await?;
                Ok(created.id)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The documented order (§2.8): the draft with its contact and deal, its line items, then
    /// `open` (3 calls).
    async fn create_then_open(&self, plan: &WritePlan, props: &PropertyWrites) -> Result<String> {
        let created = self
            .hubspot
            .create_invoice(&create_input(plan, props))
            .await?;
        self.create_line_items(&created.id, plan.lines.clone())
            .await?;
        self.open(&created.id).await?;
        Ok(created.id)
    }

    async fn open(&self, id: &str) -> Result<()> {
        let mut open = PropertyWrites::new();
        open.insert(HS_STATUS.into(), HS_OPEN.into());
        Ok(self.hubspot.update_invoice(id, &open).await?)
    }

    /// Line items without a parent yet (one batch create), their ids in `lines`' order; the
    /// invoice's create associates them.
    async fn create_loose_line_items(&self, lines: &[PropertyWrites]) -> Result<Vec<String>> {
        let inputs = lines.iter().cloned().map(CreateInput::new).collect();
        let outcome = self.hubspot.create_line_items(inputs).await;
        outcome
            .items
            .iter()
            .map(|item| match &item.outcome {
                ItemOutcome::Written(o) => Ok(o.id.clone()),
                ItemOutcome::Failed(e) => Err(InvoiceSyncError::NeedsAttention(format!(
                    "line items of the new invoice could not be created: {}",
                    e.message
                ))),
                ItemOutcome::Unreported => Err(InvoiceSyncError::NeedsAttention(
                    "HubSpot did not report a line item of the new invoice".into(),
                )),
            })
            .collect()
    }
}

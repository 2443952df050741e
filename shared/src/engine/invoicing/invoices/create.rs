//! New HubSpot invoices created `open` in one write where HubSpot takes it: their line items
//! first, then the invoices with them, their contact and deal inline (docs/hubspot.md §2.8, §9.5).

use std::sync::atomic::Ordering;

use super::error::{InvoiceSyncError, item_error};
use super::group::{unreported, whole_request};
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
        if !self.opens_on_create(std::iter::once(plan)) {
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
            Err(HubspotError::Validation { .. }) => self.draft_then_open(&input).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Whether new invoices `plans` are created `open` with their line items inline
    /// ([`Self::create_open`], [`Self::create_open_all`]): each has a line item, and HubSpot
    /// has not refused it yet.
    pub(super) fn opens_on_create<'a>(
        &self,
        mut plans: impl Iterator<Item = &'a WritePlan>,
    ) -> bool {
        !self.open_on_create_refused.load(Ordering::Relaxed) && plans.all(|p| !p.lines.is_empty())
    }

    /// [`Self::create_open`] for a job group's new invoices (all with line items,
    /// [`Self::opens_on_create`]): one batch create of all their line items, one batch create
    /// of the invoices `open` with theirs inline (2 calls, not 3), one answer (the id) per plan
    /// in order. An invoice whose line item or create HubSpot refuses fails alone; one refused
    /// for its status (UNVERIFIED, §2.8) is created as a draft and opened, and the mirror stops
    /// trying.
    pub(super) async fn create_open_all(
        &self,
        plans: &[(usize, WritePlan)],
        props: &[PropertyWrites],
    ) -> Vec<Result<String>> {
        let mut inputs = Vec::new();
        let mut owner = Vec::new();
        for (k, (_, plan)) in plans.iter().enumerate() {
            for line in &plan.lines {
                inputs.push(CreateInput::new(line.clone()));
                owner.push(k);
            }
        }
        let outcome = self.hubspot.create_line_items(inputs).await;
        let mut lines: Vec<Result<Vec<String>>> = plans.iter().map(|_| Ok(Vec::new())).collect();
        for (n, k) in owner.iter().enumerate() {
            let line = line_id(outcome.items.get(n).map(|item| &item.outcome));
            match (line, &mut lines[*k]) {
                (Ok(id), Ok(ids)) => ids.push(id),
                (Err(e), slot @ Ok(_)) => *slot = Err(e),
                (_, Err(_)) => {}
            }
        }
        let mut drafts = Vec::new();
        let mut opened = Vec::new();
        let mut which = Vec::new();
        for (k, (((_, plan), p), ids)) in plans.iter().zip(props).zip(&lines).enumerate() {
            let Ok(ids) = ids else { continue };
            let mut draft = create_input(plan, p);
            for id in ids {
                draft
                    .associations
                    .push(InlineAssociation::to(id, type_ids::INVOICE_TO_LINE_ITEM));
            }
            let mut open = draft.clone();
            open.properties.insert(HS_STATUS.into(), HS_OPEN.into());
            drafts.push(draft);
            opened.push(open);
            which.push(k);
        }
        let mut answers: Vec<Result<String>> = lines
            .into_iter()
            .map(|l| l.map(|_| String::new()))
            .collect();
        if opened.is_empty() {
            return answers;
        }
        let outcome = self.hubspot.create_invoices(opened.clone()).await;
        for (n, k) in which.into_iter().enumerate() {
            answers[k] = match outcome.items.get(n).map(|item| &item.outcome) {
                Some(ItemOutcome::Written(o)) => Ok(o.id.clone()),
                // The whole request failed (not one input): this one alone, so the others land.
                Some(ItemOutcome::Failed(e)) if whole_request(e) => {
                    match self.hubspot.create_invoice(&opened[n]).await {
                        Ok(o) => Ok(o.id),
                        Err(HubspotError::Validation { .. }) => {
                            self.draft_then_open(&drafts[n]).await
                        }
                        Err(e) => Err(e.into()),
                    }
                }
                Some(ItemOutcome::Failed(e)) => match item_error(e) {
                    HubspotError::Validation { .. } => self.draft_then_open(&drafts[n]).await,
                    other => Err(other.into()),
                },
                Some(ItemOutcome::Unreported) | None => Err(unreported("create")),
            };
        }
        answers
    }

    /// HubSpot refused `open` on the create: the draft with the same line items, then `open`;
    /// later new invoices take that order from the start.
    async fn draft_then_open(&self, draft: &CreateInput) -> Result<String> {
        self.open_on_create_refused.store(true, Ordering::Relaxed);
        let created = self.hubspot.create_invoice(draft).await?;
        self.open(&created.id).await?;
        Ok(created.id)
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
        (0..lines.len())
            .map(|n| line_id(outcome.items.get(n).map(|item| &item.outcome)))
            .collect()
    }
}

/// The id of a created line item, or why the new invoice cannot have it.
fn line_id(outcome: Option<&ItemOutcome>) -> Result<String> {
    match outcome {
        Some(ItemOutcome::Written(o)) => Ok(o.id.clone()),
        Some(ItemOutcome::Failed(e)) => Err(InvoiceSyncError::NeedsAttention(format!(
            "line items of the new invoice could not be created: {}",
            e.message
        ))),
        Some(ItemOutcome::Unreported) | None => Err(InvoiceSyncError::NeedsAttention(
            "HubSpot did not report a line item of the new invoice".into(),
        )),
    }
}

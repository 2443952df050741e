//! A job group's credit memos and refund receipts applied in one pass (docs/hubspot.md §9.5):
//! the invoices they credit mirrored together, one notes batch create, one batch rewrite of the
//! notes of forms that no longer count, and one token update.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{NaiveDate, Utc};

use super::mirror::{CreditMirror, CreditSyncReport, FormPlan, note};
use super::note::{CreditEvent, CreditForm, Removal, credit_note_html};
use super::tokens::CreditTokens;
use crate::engine::invoicing::invoices::{InvoiceSyncError, MirroredInvoice};
use crate::engine::invoicing::payments::batch_writes::{
    InvoiceTokens, input_outcome, settle_group,
};
use crate::engine::invoicing::payments::report_lists::add_once;
use crate::hubspot::associations::type_ids;
use crate::hubspot::batch::{BatchWriteOutcome, UpdateInput};
use crate::hubspot::{CreateInput, HubspotError, InlineAssociation, ObjectType, PropertyWrites};

type Result<T> = std::result::Result<T, InvoiceSyncError>;
type Tokens = InvoiceTokens<CreditTokens>;

/// Notes one form writes on one invoice: their positions in the group's batch.
struct Batched {
    form: usize,
    invoice: String,
    positions: Range<usize>,
}

impl<'a> CreditMirror<'a> {
    /// Applies `plans` (one per form of the group) in one pass: the invoices they name mirrored
    /// together (`InvoiceMirror::sync_invoices`), every note not written yet in one notes
    /// `batch/create`, the notes of forms that no longer count rewritten in one notes
    /// `batch/update`, every changed invoice's tokens in one `batch/update`. One answer per plan,
    /// in order; a write HubSpot refuses fails its own form with HubSpot's message. A note is
    /// recorded only once created, so a repeat writes nothing new; a crash between the notes and
    /// the token update repeats them once (at least once). `Err`: the group's mirror failed.
    pub(crate) async fn apply_all(
        &self,
        plans: &[FormPlan],
        today: NaiveDate,
    ) -> Result<Vec<Result<CreditSyncReport>>> {
        let mut mirrored = self.mirror_credited(plans, today).await?;
        let mut reports = vec![CreditSyncReport::default(); plans.len()];
        let mut failed: Vec<Option<InvoiceSyncError>> = plans.iter().map(|_| None).collect();
        // An invoice the group could not mirror is mirrored by its form, which then reports
        // that invoice's own error.
        for (k, plan) in plans.iter().enumerate() {
            for invoice in invoices_of(plan) {
                if mirrored.contains_key(&invoice) {
                    continue;
                }
                match self.invoices.sync_invoice(&invoice, today).await {
                    Ok(m) => {
                        mirrored.insert(invoice, m);
                    }
                    Err(e) => {
                        failed[k] = Some(e);
                        break;
                    }
                }
            }
        }
        let mut tokens: BTreeMap<String, Tokens> = mirrored
            .iter()
            .map(|(id, m)| (id.clone(), Tokens::new(CreditTokens::of(&m.properties))))
            .collect();

        let mut creates = Vec::new();
        let mut created_by = Vec::new();
        let mut rewrites = Vec::new();
        let mut rewritten_by = Vec::new();
        let stamp = Utc::now().to_rfc3339();
        for (k, plan) in plans.iter().enumerate() {
            if failed[k].is_some() {
                continue;
            }
            let facts = &plan.facts;
            for (invoice, amount) in &plan.applied {
                let m = &mirrored[invoice];
                reports[k].touched(m);
                reports[k].invoices.push(invoice.clone());
                if m.hubspot_id.is_none() {
                    continue;
                }
                let kept = tokens.get_mut(invoice).expect("tokens of every invoice");
                if facts.form == CreditForm::CreditMemo
                    && kept.now.add_applied_by(&facts.id, &facts.appliers)
                {
                    kept.changed_by(k);
                }
                // The same form twice in the group (its job and a payment applying it).
                let planned = created_by
                    .iter()
                    .any(|b: &Batched| same_form(plans, b.form, k) && b.invoice == *invoice);
                if kept.now.noted(facts.form, &facts.id) || planned {
                    continue;
                }
                let body = credit_note_html(&note(m, facts, CreditEvent::Applied, Some(*amount)));
                let first = creates.len();
                creates.extend(m.deals.iter().map(|deal| form_note(deal, m, &body, &stamp)));
                created_by.push(Batched {
                    form: k,
                    invoice: invoice.clone(),
                    positions: first..creates.len(),
                });
            }
            let Some(removal) = facts.removed else {
                continue;
            };
            for invoice in &plan.noted {
                let m = &mirrored[invoice];
                reports[k].touched(m);
                reports[k].invoices.push(invoice.clone());
                let kept = &tokens[invoice];
                let planned = rewritten_by
                    .iter()
                    .any(|b: &Batched| same_form(plans, b.form, k) && b.invoice == *invoice);
                if m.hubspot_id.is_none()
                    || planned
                    || !kept.now.noted(facts.form, &facts.id)
                    || kept.now.removal_noted(facts.form, &facts.id)
                {
                    continue;
                }
                let how = match removal {
                    Removal::Unapplied => match self.why_unapplied(&kept.now, facts).await {
                        Ok(how) => how,
                        Err(e) => {
                            failed[k] = Some(e);
                            break;
                        }
                    },
                    other => other,
                };
                let body = credit_note_html(&note(m, facts, CreditEvent::Removed { how }, None));
                let first = rewrites.len();
                rewrites.extend(kept.now.notes(facts.form, &facts.id).into_iter().map(|id| {
                    UpdateInput {
                        id,
                        properties: PropertyWrites::from([("hs_note_body".into(), body.clone())]),
                    }
                }));
                rewritten_by.push(Batched {
                    form: k,
                    invoice: invoice.clone(),
                    positions: first..rewrites.len(),
                });
            }
        }

        let created = match creates.is_empty() {
            true => BatchWriteOutcome::default(),
            false => self.invoices.hubspot.create_notes(creates).await,
        };
        for batched in created_by {
            let (k, facts) = (batched.form, &plans[batched.form].facts);
            let ids: std::result::Result<Vec<String>, HubspotError> = batched
                .positions
                .clone()
                .map(|n| input_outcome(&created, n, "create").map(|o| o.id.clone()))
                .collect();
            match ids {
                Ok(ids) => {
                    let kept = tokens.get_mut(&batched.invoice).expect("its tokens");
                    kept.now.set_noted(facts.form, &facts.id, &ids);
                    kept.changed_by(k);
                    reports[k].notes_created += ids.len();
                }
                Err(e) => {
                    failed[k].get_or_insert(e.into());
                }
            }
        }

        let updated = match rewrites.is_empty() {
            true => BatchWriteOutcome::default(),
            false => {
                self.invoices
                    .hubspot
                    .update_records(ObjectType::Notes, &rewrites)
                    .await
            }
        };
        for batched in rewritten_by {
            let (k, facts) = (batched.form, &plans[batched.form].facts);
            // A note someone deleted stays deleted.
            let refused = batched.positions.clone().find_map(|n| {
                match input_outcome(&updated, n, "update") {
                    Ok(_) | Err(HubspotError::NotFound { .. }) => None,
                    Err(e) => Some(e),
                }
            });
            match refused {
                None => {
                    let kept = tokens.get_mut(&batched.invoice).expect("its tokens");
                    kept.now.set_removal_noted(facts.form, &facts.id);
                    kept.changed_by(k);
                    reports[k].notes_updated += batched.positions.len();
                }
                Some(e) => {
                    failed[k].get_or_insert(e.into());
                }
            }
        }

        Ok(settle_group(
            self.invoices,
            &tokens,
            &mirrored,
            CreditTokens::value,
            reports,
            failed,
        )
        .await)
    }

    /// The invoices `plans` name, mirrored as one group; one the group could not mirror is left
    /// out (its form mirrors it alone).
    async fn mirror_credited(
        &self,
        plans: &[FormPlan],
        today: NaiveDate,
    ) -> Result<BTreeMap<String, MirroredInvoice>> {
        let mut wanted = Vec::new();
        for plan in plans {
            add_once(&mut wanted, invoices_of(plan));
        }
        self.invoices.sync_invoices_kept(&wanted, today).await
    }
}

/// Whether plans `a` and `b` are about the same form.
fn same_form(plans: &[FormPlan], a: usize, b: usize) -> bool {
    let (a, b) = (&plans[a].facts, &plans[b].facts);
    a.form == b.form && a.id == b.id
}

/// Every invoice a plan names (those it applies to, those it was noted on).
fn invoices_of(plan: &FormPlan) -> Vec<String> {
    let mut ids = Vec::new();
    add_once(&mut ids, plan.applied.iter().map(|(id, _)| id.clone()));
    add_once(&mut ids, plan.noted.iter().cloned());
    ids
}

/// A form's note on `deal`, also on the invoice's contact and company (note to deal, contact,
/// company: docs/hubspot.md §2.10).
fn form_note(deal: &str, mirrored: &MirroredInvoice, body: &str, stamp: &str) -> CreateInput {
    let mut props = PropertyWrites::new();
    props.insert("hs_timestamp".into(), stamp.to_owned());
    props.insert("hs_note_body".into(), body.to_owned());
    let mut input = CreateInput::new(props);
    input
        .associations
        .push(InlineAssociation::to(deal, type_ids::NOTE_TO_DEAL));
    if let Some(contact) = &mirrored.contact {
        input
            .associations
            .push(InlineAssociation::to(contact, type_ids::NOTE_TO_CONTACT));
    }
    if let Some(company) = &mirrored.company {
        input
            .associations
            .push(InlineAssociation::to(company, type_ids::NOTE_TO_COMPANY));
    }
    input
}

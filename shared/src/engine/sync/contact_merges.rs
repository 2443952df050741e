//! The initial sync's preview under the `company` customer model: which HubSpot contacts fall
//! under which company customer, and the QBO customer each company links or would create.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::sync::plan::{Action, Outcome};
use crate::model::{ObjectKind, Record, Side};
use crate::ports::GatewayError;

use super::describe::describe_exclusion;
use super::gateway_pair::GatewayPair;
use super::prepare::PrepareResult;
use super::record_source::Snapshot;
use super::unit::{Step, UnitResult};

/// Contacts listed per example company.
const CONTACTS_PER_EXAMPLE: usize = 5;

/// The preview's `contact_merges` (docs/admin.md §6): contacts are no customers under
/// `company`; each company with contacts is one QBO customer for all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactMerges {
    /// Active HubSpot companies with at least one associated contact.
    pub companies: usize,
    /// Their contacts, counted once per company they are associated with.
    pub contacts: usize,
    /// Companies with two contacts or more: one customer where HubSpot's own integration
    /// makes the first contact the customer and fails the others (docs/hubspot.md §10.1).
    pub companies_with_several_contacts: usize,
    /// Of `companies`: those whose contacts fall under an existing QBO customer (linked
    /// before, or matched now), under one the sync would create, or under none (the company
    /// is excluded or cannot sync).
    pub into_existing_customer: usize,
    pub into_new_customer: usize,
    pub into_no_customer: usize,
    /// A few companies, those with the most contacts first.
    pub examples: Vec<ContactMerge>,
}

/// One company and its contacts, as the preview shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactMerge {
    pub company_id: String,
    /// The company's name, else its domain.
    pub company: String,
    /// How many contacts it has; `emails` lists the first few (by id).
    pub contacts: usize,
    pub emails: Vec<String>,
    pub customer: CustomerTarget,
}

/// The QBO customer a company's contacts fall under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CustomerTarget {
    /// An existing QBO customer: linked before, or matched by this sync.
    Links {
        qbo_id: String,
        display_name: String,
    },
    /// A QBO customer the sync would create (its first DisplayName candidate).
    Creates { display_name: String },
    /// No customer: the company is excluded or cannot sync, and why.
    None { reason: String },
}

impl CustomerTarget {
    /// The target in a person's words, for the console and the CLI.
    pub fn words(&self) -> String {
        match self {
            CustomerTarget::Links {
                qbo_id,
                display_name,
            } => format!("links QBO customer {qbo_id} {display_name:?}"),
            CustomerTarget::Creates { display_name } => {
                format!("creates QBO customer {display_name:?}")
            }
            CustomerTarget::None { reason } => format!("no QBO customer: {reason}"),
        }
    }
}

/// The customer target of each HubSpot company, noted while the preview plans them.
#[derive(Debug, Default)]
pub(crate) struct CustomerTargets(BTreeMap<String, CustomerTarget>);

impl CustomerTargets {
    /// Notes what `result` means for its HubSpot company, if it has one.
    pub fn note(&mut self, result: &PrepareResult) {
        match result {
            PrepareResult::Ready(prepared) => {
                let Some(company) = &prepared.hubspot else {
                    return;
                };
                let display_name = |record: &Record| text(record, "DisplayName");
                let target = if let Some(customer) = &prepared.quickbooks {
                    CustomerTarget::Links {
                        qbo_id: customer.id.clone(),
                        display_name: display_name(customer),
                    }
                } else if let Some(Action::Create {
                    side: Side::Quickbooks,
                    values,
                    ..
                }) = prepared.create()
                {
                    CustomerTarget::Creates {
                        display_name: values
                            .get("DisplayName")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                    }
                } else {
                    CustomerTarget::None {
                        reason: no_customer_reason(&prepared.plan.outcome),
                    }
                };
                self.0.insert(company.id.clone(), target);
            }
            PrepareResult::Done(Step::Finished(report))
                if report.unit.primary().side == Side::Hubspot =>
            {
                let reason = match &report.result {
                    UnitResult::Failed { detail, .. } => detail.message.clone(),
                    UnitResult::Planned { outcome, .. } => no_customer_reason(outcome),
                };
                self.0.insert(
                    report.unit.primary().id.clone(),
                    CustomerTarget::None { reason },
                );
            }
            _ => {}
        }
    }
}

/// Counts the contacts of the snapshot's active HubSpot companies and describes a few: one
/// batch association read per 100 companies, then one batch read of the examples' contacts.
pub(crate) async fn contact_merges(
    gateways: &GatewayPair,
    snapshot: &Snapshot,
    targets: &CustomerTargets,
    examples: usize,
) -> Result<ContactMerges, GatewayError> {
    let companies: Vec<&Record> = snapshot
        .records()
        .into_iter()
        .filter(|r| r.side == Side::Hubspot && r.active)
        .collect();
    let ids: Vec<String> = companies.iter().map(|r| r.id.clone()).collect();
    let mut contacts_of = gateways
        .hubspot
        .associated_ids(ObjectKind::Company, &ids, ObjectKind::Contact)
        .await?;
    let mut merges = ContactMerges::default();
    let mut with_contacts: Vec<(&Record, Vec<String>)> = Vec::new();
    for company in companies {
        let Some(mut contacts) = contacts_of.remove(&company.id) else {
            continue;
        };
        contacts.sort_by_key(|id| (id.len(), id.clone()));
        contacts.dedup();
        merges.companies += 1;
        merges.contacts += contacts.len();
        if contacts.len() > 1 {
            merges.companies_with_several_contacts += 1;
        }
        match targets.0.get(&company.id) {
            Some(CustomerTarget::Links { .. }) => merges.into_existing_customer += 1,
            Some(CustomerTarget::Creates { .. }) => merges.into_new_customer += 1,
            Some(CustomerTarget::None { .. }) | None => merges.into_no_customer += 1,
        }
        with_contacts.push((company, contacts));
    }
    // The most contacts first (the merges worth checking), then by company id.
    with_contacts.sort_by(|(a, ac), (b, bc)| {
        bc.len()
            .cmp(&ac.len())
            .then((a.id.len(), &a.id).cmp(&(b.id.len(), &b.id)))
    });
    with_contacts.truncate(examples);
    let mut wanted: Vec<String> = with_contacts
        .iter()
        .flat_map(|(_, contacts)| contacts.iter().take(CONTACTS_PER_EXAMPLE).cloned())
        .collect();
    wanted.sort();
    wanted.dedup();
    let emails: BTreeMap<String, String> = gateways
        .hubspot
        .read(ObjectKind::Contact, &wanted)
        .await?
        .into_iter()
        .map(|contact| {
            let email = text(&contact, "email");
            let shown = if email.is_empty() {
                format!("contact {} (no e-mail)", contact.id)
            } else {
                email
            };
            (contact.id, shown)
        })
        .collect();
    merges.examples = with_contacts
        .into_iter()
        .map(|(company, contacts)| {
            let name = Some(text(company, "name"))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| text(company, "domain"));
            ContactMerge {
                company_id: company.id.clone(),
                company: name,
                contacts: contacts.len(),
                emails: contacts
                    .iter()
                    .take(CONTACTS_PER_EXAMPLE)
                    .filter_map(|id| emails.get(id).cloned())
                    .collect(),
                customer: targets.0.get(&company.id).cloned().unwrap_or_else(|| {
                    CustomerTarget::None {
                        reason: "not planned".into(),
                    }
                }),
            }
        })
        .collect();
    Ok(merges)
}

/// Why a planned company gets no QBO customer, in the preview's words.
fn no_customer_reason(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Excluded(exclusion) => describe_exclusion(exclusion),
        Outcome::Unsyncable { reason, .. } => reason.clone(),
        Outcome::Inactive { side } => format!("archived or inactive on {side}"),
        Outcome::SyncOff => "company sync is off".to_owned(),
        _ => "no QBO customer planned".to_owned(),
    }
}

fn text(record: &Record, path: &str) -> String {
    record
        .value(path)
        .and_then(|v| v.as_str())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

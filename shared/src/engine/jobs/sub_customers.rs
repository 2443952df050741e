//! Contacts as QBO sub-customers (docs/admin.md §6): each contact job's parent, the QBO customer
//! linked to the contact's primary company, from one association read and one link lookup.

use std::collections::HashMap;
use std::time::Duration;

use crate::engine::sync::GatewayPair;
use crate::engine::sync::waits::gateway_wait;
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::Job;

use super::context::SyncContext;
use super::disposition::Disposition;
use super::retry_schedule::{STORE_RETRY, TRANSIENT_RETRY};

/// How long a contact waits for its company's QBO customer (the company job that creates it
/// is usually queued with the same change).
pub(crate) const PARENT_WAIT: Duration = Duration::from_secs(60);

/// The parents of a batch of contact jobs, and the answers of the jobs that cannot sync now.
#[derive(Debug, Default)]
pub(crate) struct ContactParents {
    /// HubSpot contact id -> the QBO customer of its primary company.
    pub parents: HashMap<String, String>,
    /// HubSpot contact id -> why it does not sync now: no company (it stays in HubSpot only)
    /// or a company without a QBO customer yet (retried later).
    pub held: HashMap<String, Disposition>,
}

/// Finds the parent of every HubSpot-side contact of `jobs`: their primary companies in one
/// batch association read (`primary_or_lowest`, docs/hubspot.md §3), then those companies'
/// links in one store lookup. QBO-side jobs need no parent (the contact kind syncs HubSpot →
/// QBO only here). An error answers every job.
pub(crate) async fn contact_parents(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
    gateways: &GatewayPair,
    jobs: &[&Job],
) -> Result<ContactParents, Disposition> {
    let contacts: Vec<String> = jobs
        .iter()
        .filter(|j| j.side == Side::Hubspot)
        .map(|j| j.id.clone())
        .collect();
    let mut out = ContactParents::default();
    if contacts.is_empty() {
        return Ok(out);
    }
    let companies = gateways
        .hubspot
        .primary_associated_ids(ObjectKind::Contact, &contacts, ObjectKind::Company)
        .await
        .map_err(|error| Disposition::RetryAfter {
            delay: gateway_wait(&error).unwrap_or(TRANSIENT_RETRY),
            reason: error.to_string(),
        })?;
    let mut company_ids: Vec<String> = companies.values().cloned().collect();
    company_ids.sort();
    company_ids.dedup();
    let links = ctx
        .store
        .get_links(
            connection_id,
            ObjectKind::Company,
            Side::Hubspot,
            &company_ids,
        )
        .await
        .map_err(|error| Disposition::RetryAfter {
            delay: STORE_RETRY,
            reason: format!("could not read the contacts' companies' links: {error}"),
        })?;
    for contact in contacts {
        let Some(company) = companies.get(&contact) else {
            out.held.insert(
                contact.clone(),
                Disposition::Dropped {
                    reason: format!(
                        "HubSpot contact {contact} has no company, so it stays in HubSpot only \
                         (contacts are QBO sub-customers of their companies' customers)"
                    ),
                },
            );
            continue;
        };
        match links.iter().find(|l| &l.hubspot_id == company) {
            Some(link) => {
                out.parents.insert(contact, link.qbo_id.clone());
            }
            None => {
                out.held.insert(
                    contact.clone(),
                    Disposition::RetryAfter {
                        delay: PARENT_WAIT,
                        reason: format!(
                            "HubSpot company {company} of contact {contact} has no QBO customer \
                             yet; the contact becomes its sub-customer once it has one"
                        ),
                    },
                );
            }
        }
    }
    Ok(out)
}

//! Which QBO customers a customer kind pairs with when contacts are QBO sub-customers of their
//! companies' customers (docs/admin.md §6), and the parent a contact's new customer gets.

use std::collections::HashMap;

use crate::model::{Record, Side};

/// The QBO customers a session's kind may read, match and create. Under `contacts =
/// "sub_customers"` QBO holds both kinds in one entity: the company kind takes the top-level
/// customers and the contact kind the jobs, so neither pairs with the other's records (a
/// company customer's e-mail is its primary contact's, so an e-mail match alone would link
/// the contact to its company's customer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum CustomerScope {
    /// Every QBO record of the kind (the contact model, and `hubspot_only`).
    #[default]
    Any,
    /// Top-level customers only (`Job` not true): the company kind under sub-customers.
    TopLevel,
    /// Sub-customers only (`Job: true`); `parents` maps a HubSpot contact id to the QBO
    /// customer of its company, which its new QBO customer is created under.
    SubCustomers { parents: HashMap<String, String> },
}

impl CustomerScope {
    /// Whether `record` (either side) belongs to this scope; HubSpot records always do.
    pub fn admits(&self, record: &Record) -> bool {
        if record.side != Side::Quickbooks {
            return true;
        }
        let job = record.value("Job").and_then(serde_json::Value::as_bool) == Some(true);
        match self {
            CustomerScope::Any => true,
            CustomerScope::TopLevel => !job,
            CustomerScope::SubCustomers { .. } => job,
        }
    }

    /// The QBO parent of a create from the HubSpot record `hubspot`, under sub-customers.
    pub fn parent_of(&self, hubspot: Option<&Record>) -> Option<&str> {
        match self {
            CustomerScope::SubCustomers { parents } => {
                parents.get(&hubspot?.id).map(String::as_str)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObjectKind;

    fn customer(id: &str, job: Option<bool>) -> Record {
        let mut values = crate::model::NativeValues::new();
        if let Some(job) = job {
            values.insert("Job".into(), job.into());
        }
        Record {
            side: Side::Quickbooks,
            kind: ObjectKind::Contact,
            id: id.into(),
            version: "0".into(),
            modified_at: chrono::DateTime::UNIX_EPOCH,
            active: true,
            values,
        }
    }

    #[test]
    fn companies_take_top_level_customers_and_contacts_take_jobs() {
        let top = customer("1", Some(false));
        let unflagged = customer("2", None);
        let job = customer("3", Some(true));
        let sub = CustomerScope::SubCustomers {
            parents: [("101".to_owned(), "1".to_owned())].into(),
        };
        assert!(CustomerScope::Any.admits(&job) && CustomerScope::Any.admits(&top));
        assert!(CustomerScope::TopLevel.admits(&top));
        assert!(CustomerScope::TopLevel.admits(&unflagged));
        assert!(!CustomerScope::TopLevel.admits(&job));
        assert!(sub.admits(&job));
        assert!(!sub.admits(&top) && !sub.admits(&unflagged));
        let mut contact = customer("101", None);
        contact.side = Side::Hubspot;
        assert!(sub.admits(&contact));
        assert_eq!(sub.parent_of(Some(&contact)), Some("1"));
        contact.id = "102".into();
        assert_eq!(sub.parent_of(Some(&contact)), None);
        assert_eq!(CustomerScope::TopLevel.parent_of(Some(&contact)), None);
    }
}

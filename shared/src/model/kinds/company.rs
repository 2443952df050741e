//! HubSpot company ⇄ QBO Customer: the two-way kind of the `company` customer model, matched by
//! name then domain and named by DisplayName (docs/hubspot.md §2.12, docs/quickbooks.md §4.1).

use super::{Flow, HubspotCreate, HubspotFacts, KindDescriptor, LinkProperty, NameRule, QboFacts};
use super::{domain_key, key, row};
use crate::model::ObjectKind;
use crate::model::TransformKind::{Email, Phone, Text};

/// The derived value "the company's primary contact's e-mail" (docs/admin.md §6): not a
/// HubSpot property (HubSpot's internal names have no dots, so it never collides with one),
/// filled in by the HubSpot gateway on every company it reads.
pub const PRIMARY_CONTACT_EMAIL: &str = "primary_contact.email";

pub(super) static COMPANY: KindDescriptor = KindDescriptor {
    kind: ObjectKind::Company,
    name: "company",
    flow: Flow::TwoWay,
    hubspot: HubspotFacts {
        object_path: "companies",
        object_type_id: "0-2",
        record_name: "company",
        // The same name as on contacts: each object has its own property namespace
        // (https://developers.hubspot.com/docs/api/crm/properties).
        qbo_id_property: "qbo_customer_id",
        // Companies can be merged like contacts (hs_merged_object_ids,
        // https://developers.hubspot.com/docs/api/crm/companies).
        merged_ids_property: Some("hs_merged_object_ids"),
        link_property: Some(LinkProperty {
            label: "QuickBooks customer ID",
            group: "companyinformation",
        }),
        // Companies have no unique natural property (`domain` may repeat): creates upsert on
        // the link property only.
        unique_properties: &[],
        // A company needs a name or a domain to be found again (docs/hubspot.md §2.12).
        create: HubspotCreate::NeedsOneOf {
            properties: &["name", "domain"],
            refusal: "the customer has no company name or website to name a HubSpot company by",
        },
        columns: &[
            ("name", "name"),
            ("domain", "domain"),
            ("phone", "phone"),
            ("city", "city"),
        ],
    },
    qbo: QboFacts {
        entity: "Customer",
        // DisplayName: the company's name, else its domain; suffixed by the domain.
        unique_name: Some(NameRule {
            field: "DisplayName",
            base: &[&["name"], &["domain"]],
            suffix_key: "domain",
        }),
        create_refusal: "the company has no name or domain to name a QBO customer by",
        create_defaults: None,
        default_type: None,
        income_account_ref: None,
        columns: &[
            ("DisplayName", "DisplayName"),
            ("company", "CompanyName"),
            ("website", "WebAddr.URI"),
            ("phone", "PrimaryPhone.FreeFormNumber"),
        ],
    },
    // docs/hubspot.md §10.2: name -> CompanyName (DisplayName is made from it at create),
    // domain -> WebAddr, the address and the phone. Match keys: name, then domain; a
    // connection reorders or narrows them with `[company] match_on`.
    default_rows: &[
        key("name", "CompanyName", Text, 1),
        domain_key("domain", "WebAddr.URI", Text, 2),
        row("phone", "PrimaryPhone.FreeFormNumber", Phone),
        row("address", "BillAddr.Line1", Text),
        row("city", "BillAddr.City", Text),
        row("state", "BillAddr.CountrySubDivisionCode", Text),
        row("zip", "BillAddr.PostalCode", Text),
        row("country", "BillAddr.Country", Text),
    ],
    // The bill-to e-mail: QBO's PrimaryEmailAddr from the company's primary contact, unless a
    // custom row maps PrimaryEmailAddr.Address (docs/admin.md §6).
    derived_rows: &[row(
        PRIMARY_CONTACT_EMAIL,
        "PrimaryEmailAddr.Address",
        Email,
    )],
};

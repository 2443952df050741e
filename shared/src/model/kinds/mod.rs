//! One descriptor per object kind: every vendor fact about a kind (HubSpot object and id
//! properties, QBO entity, unique names, webhook subjects, default mapping rows) in one table.

mod company;
mod contact;
mod forms;
mod invoice;
mod payment;
mod product;

pub use company::PRIMARY_CONTACT_EMAIL;
pub use forms::{QBO_ONLY_FORMS, QboOnlyForm};

use super::ids::{ObjectKind, Side};
use super::record::NativeValues;
use super::settings::{ConnectionSettings, SyncState, TransformKind};

/// Everything the engine, the mappings, the intake and the vendor gateways know about one kind.
#[derive(Debug)]
pub struct KindDescriptor {
    pub kind: ObjectKind,
    /// Stable name in jobs, storage keys, metrics and the settings table (`[contact]`).
    pub name: &'static str,
    pub flow: Flow,
    pub hubspot: HubspotFacts,
    pub qbo: QboFacts,
    /// HubSpot property ⇄ QBO field rows used without custom mappings (empty when mirrored).
    pub default_rows: &'static [DefaultRow],
    /// Values the HubSpot gateway derives from related records rather than reads from a
    /// property (a company's primary contact's e-mail, docs/admin.md §6): one-way to QBO,
    /// used only when no other row writes their QBO field, and never clearing it there.
    pub derived_rows: &'static [DefaultRow],
}

/// How a kind syncs.
#[derive(Debug, Clone, Copy)]
pub enum Flow {
    /// Linked, planned and merged both ways; its settings are an `ObjectSettings` table.
    TwoWay,
    /// Mirrored one-way from QBO by the invoicing flows; `state` reads its switch.
    Mirrored {
        state: fn(&ConnectionSettings) -> SyncState,
    },
}

/// The kind's HubSpot object (docs/hubspot.md).
#[derive(Debug)]
pub struct HubspotFacts {
    /// Object name in CRM paths (`/crm/v3/objects/{object_path}`), e.g. `contacts`.
    pub object_path: &'static str,
    /// Object type id (`0-1`): how webhook events name the object (legacy `contact.*`
    /// subscription types are read as this id too).
    pub object_type_id: &'static str,
    /// Vendor's name for one record, for messages (`contact`).
    pub record_name: &'static str,
    /// Engine-created unique property holding the linked QBO id.
    pub qbo_id_property: &'static str,
    /// The property listing the ids merged into a record, where people merge these records
    /// (`hs_merged_object_ids` on contacts, docs/hubspot.md §2.11); read with every record.
    pub merged_ids_property: Option<&'static str>,
    /// How `qbo_id_property` is created on two-way kinds; `None` where another flow owns it.
    pub link_property: Option<LinkProperty>,
    /// Natural unique properties besides `qbo_id_property` (creates upsert on the first one
    /// with a value; lookups by them read by `idProperty` instead of search).
    pub unique_properties: &'static [&'static str],
    /// What a create in HubSpot needs.
    pub create: HubspotCreate,
    /// Columns a person checks, `(title, property)`.
    pub columns: &'static [Column],
}

/// The label and group of the unique link property (docs/hubspot.md §2.1).
#[derive(Debug, Clone, Copy)]
pub struct LinkProperty {
    pub label: &'static str,
    pub group: &'static str,
}

/// Whether the planner may create a record of this kind in HubSpot.
#[derive(Debug, Clone, Copy)]
pub enum HubspotCreate {
    Allowed,
    /// HubSpot refuses a create without one of these properties; `refusal` says so.
    NeedsOneOf {
        properties: &'static [&'static str],
        refusal: &'static str,
    },
    Never {
        refusal: &'static str,
    },
}

/// The kind's QBO entity (docs/quickbooks.md).
#[derive(Debug)]
pub struct QboFacts {
    /// Entity name in queries, CDC, batch, reads and webhook notifications (`Customer`).
    pub entity: &'static str,
    /// How a new record gets its unique name; `None`: the sync never creates it in QBO.
    pub unique_name: Option<NameRule>,
    /// Why a record cannot be created in QBO (no value to name it by, or never created there).
    pub create_refusal: &'static str,
    /// Fixed fields of a create that come from the settings rather than a mapping.
    pub create_defaults: Option<fn(&ConnectionSettings, &mut NativeValues)>,
    /// `Type` a create gets when it carries none (QBO requires one on items).
    pub default_type: Option<&'static str>,
    /// Reference member (`IncomeAccountRef`) that creates without a configured account get
    /// the company's first active income account in.
    pub income_account_ref: Option<&'static str>,
    /// Columns a person checks, `(title, field path)`.
    pub columns: &'static [Column],
}

/// The unique name of a new QBO record: the first of `base`'s groups that has a value (the
/// group's canonical fields joined by a space), suffixed on collision by `suffix_key`'s value.
#[derive(Debug, Clone, Copy)]
pub struct NameRule {
    /// QBO field path: `DisplayName`, `Name`.
    pub field: &'static str,
    pub base: &'static [&'static [&'static str]],
    pub suffix_key: &'static str,
}

/// One display column: `(title, native path)`.
pub type Column = (&'static str, &'static str);

/// One default mapping row. Its canonical field name is the HubSpot property name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRow {
    pub hubspot_property: &'static str,
    pub qbo_field: &'static str,
    pub transform: TransformKind,
    /// Rank among the kind's match keys (1 = tried first); `None` = not a match key.
    pub match_rank: Option<u8>,
    /// How the value is normalised when matched.
    pub match_form: MatchForm,
}

/// How a match key's value is compared (`mapping::match_key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchForm {
    /// Trimmed, inner whitespace collapsed, lower-cased.
    #[default]
    Text,
    /// A web domain: lower-cased, without scheme, `www.`, port, path or trailing slash, so
    /// `https://www.Example.com/` matches `example.com` (HubSpot's `domain` ⇄ QBO's `WebAddr`).
    Domain,
}

/// A default row that is not a match key.
pub(crate) const fn row(
    hubspot_property: &'static str,
    qbo_field: &'static str,
    transform: TransformKind,
) -> DefaultRow {
    DefaultRow {
        hubspot_property,
        qbo_field,
        transform,
        match_rank: None,
        match_form: MatchForm::Text,
    }
}

/// A default row that is the kind's match key of `rank`.
pub(crate) const fn key(
    hubspot_property: &'static str,
    qbo_field: &'static str,
    transform: TransformKind,
    rank: u8,
) -> DefaultRow {
    DefaultRow {
        hubspot_property,
        qbo_field,
        transform,
        match_rank: Some(rank),
        match_form: MatchForm::Text,
    }
}

/// A default row that is the kind's match key of `rank`, compared as a web domain.
pub(crate) const fn domain_key(
    hubspot_property: &'static str,
    qbo_field: &'static str,
    transform: TransformKind,
    rank: u8,
) -> DefaultRow {
    DefaultRow {
        match_form: MatchForm::Domain,
        ..key(hubspot_property, qbo_field, transform, rank)
    }
}

/// Every kind's descriptor, in `ObjectKind::ALL` order.
pub static KINDS: [&KindDescriptor; 5] = [
    &contact::CONTACT,
    &company::COMPANY,
    &product::PRODUCT,
    &invoice::INVOICE,
    &payment::PAYMENT,
];

/// The descriptor of `kind`.
pub fn descriptor(kind: ObjectKind) -> &'static KindDescriptor {
    KINDS
        .iter()
        .copied()
        .find(|d| d.kind == kind)
        .expect("every ObjectKind has a descriptor in KINDS")
}

impl KindDescriptor {
    pub fn is_two_way(&self) -> bool {
        matches!(self.flow, Flow::TwoWay)
    }

    /// The vendor's name for this kind's object on `side`, for messages and logs.
    pub fn vendor_name(&self, side: Side) -> &'static str {
        match side {
            Side::Hubspot => self.hubspot.record_name,
            Side::Quickbooks => self.qbo.entity,
        }
    }

    /// Display columns for `side`.
    pub fn columns(&self, side: Side) -> &'static [Column] {
        match side {
            Side::Hubspot => self.hubspot.columns,
            Side::Quickbooks => self.qbo.columns,
        }
    }

    /// Whether `property` is unique on the HubSpot object (the link property or a natural key).
    pub fn is_hubspot_unique(&self, property: &str) -> bool {
        property == self.hubspot.qbo_id_property
            || self.hubspot.unique_properties.contains(&property)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_descriptor_per_kind_in_all_order() {
        assert_eq!(KINDS.len(), ObjectKind::ALL.len());
        for (descriptor, kind) in KINDS.iter().zip(ObjectKind::ALL) {
            assert_eq!(descriptor.kind, kind);
            assert_eq!(descriptor.is_two_way(), ObjectKind::TWO_WAY.contains(&kind));
        }
    }

    #[test]
    fn vendor_names_and_id_properties_are_distinct_across_kinds() {
        for (i, a) in KINDS.iter().enumerate() {
            for b in &KINDS[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.hubspot.object_path, b.hubspot.object_path);
                assert_ne!(a.hubspot.object_type_id, b.hubspot.object_type_id);
                // Contacts and companies are the two models of one QBO Customer
                // (docs/admin.md §6): they share the entity and the link property's name.
                let customers = [ObjectKind::Contact, ObjectKind::Company];
                if !(customers.contains(&a.kind) && customers.contains(&b.kind)) {
                    assert_ne!(a.hubspot.qbo_id_property, b.hubspot.qbo_id_property);
                    assert_ne!(a.qbo.entity, b.qbo.entity);
                }
            }
        }
    }

    #[test]
    fn two_way_kinds_carry_what_the_two_way_engine_needs() {
        for descriptor in KINDS.iter().filter(|d| d.is_two_way()) {
            let rule = descriptor.qbo.unique_name.expect("a QBO name rule");
            assert!(rule.base.iter().all(|group| !group.is_empty()));
            assert!(descriptor.hubspot.link_property.is_some());
            assert!(
                descriptor
                    .default_rows
                    .iter()
                    .any(|r| r.match_rank == Some(1))
            );
            let mut ranks: Vec<u8> = descriptor
                .default_rows
                .iter()
                .filter_map(|r| r.match_rank)
                .collect();
            ranks.sort_unstable();
            assert_eq!(ranks, (1..=ranks.len() as u8).collect::<Vec<_>>());
        }
        for descriptor in KINDS.iter().filter(|d| !d.is_two_way()) {
            assert!(descriptor.default_rows.is_empty());
            assert!(descriptor.qbo.unique_name.is_none());
            assert!(matches!(
                descriptor.hubspot.create,
                HubspotCreate::Never { .. }
            ));
        }
    }
}

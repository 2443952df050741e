//! The core model of docs/architecture.md §4: identifiers, records, canonical values, links and settings.
//! Plain data with validation only; no I/O lives here.

pub mod action;
pub mod canonical;
pub mod customer_model;
pub mod field_types;
pub mod ids;
pub mod kinds;
pub mod link;
pub mod record;
pub mod settings;

pub use action::{ActionExecution, ActionInputs, DocKind};
pub use canonical::{CanonicalValue, CanonicalValues};
pub use customer_model::{ContactPlacement, CustomerModel, CustomerSettings};
pub use field_types::{Compatibility, FieldType, compatibility, mapping_compatibility};
pub use ids::{ConnectionId, InvalidConnectionId, ObjectKind, Side, UnknownName};
pub use kinds::{KindDescriptor, MatchForm, PRIMARY_CONTACT_EMAIL, descriptor};
pub use link::Link;
pub use record::{NativeValues, Record};
pub use settings::{
    ConflictPolicy, ConflictWinner, Connection, ConnectionSettings, CustomMapping, DeletionPolicy,
    Direction, EntryFilters, FilterOp, InvoiceSettings, NameSuffixRule, NewItemSettings,
    NewItemType, ObjectSettings, PropertyCondition, QboCreatePolicy, SettingsError, SyncState,
    TransformKind,
};

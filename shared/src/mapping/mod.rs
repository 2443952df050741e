//! Field mappings between HubSpot and QBO: the default tables, validated custom rows, the
//! transforms native <-> canonical, match keys and QBO's unique names.

pub mod default_rows;
pub mod mapping_set;
pub mod match_key;
pub mod naming;
pub mod qbo_fields;
pub mod transform;

pub use mapping_set::{Canonicalized, FieldMapping, FieldProblem, MappingSet};
pub use match_key::{MatchKey, normalise_domain, normalise_key, normalise_match};
pub use naming::{UniqueName, unique_name_for_create};
pub use qbo_fields::{QboField, QboFieldType};
pub use transform::{Transform, TransformError};

//! HubSpot vendor layer: a typed client for the date-based CRM API (objects, batch, search,
//! associations, properties, OAuth) and inbound webhook verification/parsing (docs/hubspot.md).

pub mod action_callbacks;
pub mod app_scopes;
pub mod associations;
pub mod batch;
pub mod client;
pub mod error;
pub mod limits;
pub mod oauth;
pub mod objects;
pub mod properties;
pub mod search;
pub mod values;
pub mod version;
pub mod webhook;

pub use associations::{AssociationInput, AssociationSpec, InlineAssociation, type_ids};
pub use batch::{
    BatchItem, BatchItemError, BatchReadOptions, BatchReadOutcome, BatchWriteOutcome, ItemOutcome,
    UpdateInput, UpsertInput,
};
pub use client::HubspotClient;
pub use error::{ApiErrorBody, HubspotError, RateLimitPolicy};
pub use limits::HubspotBudgets;
pub use oauth::{AccessTokenInfo, AppScopes, OAuthApp, TokenSet, app_scopes};
pub use objects::{
    CreateInput, GetOptions, HubspotObject, ListOptions, ObjectType, Page, PropertyWrites,
};
pub use properties::{PropertyDefinition, PropertyGroup};
pub use search::{Filter, FilterGroup, Operator, SearchRequest, SearchScan};

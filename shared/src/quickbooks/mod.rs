//! QuickBooks Online: the typed Accounting API client (entities, query, CDC, batch, OAuth) and
//! webhook verification and parsing. Facts follow `docs/quickbooks.md`; sections cited inline.

pub mod batch;
pub mod cdc;
pub mod client;
pub mod entities;
pub mod environment;
pub mod error;
mod invoice_send;
pub mod limits;
pub mod oauth;
pub mod query;
pub mod request_id;
pub mod throttle;
pub mod webhook;

pub use batch::{BatchItem, BatchItemResult, BatchOperation, BatchPayload, BatchValue};
pub use cdc::{CdcChanges, CdcDeletion, Deleted};
pub use client::{QboClient, QueryPage, RealmId};
pub use entities::{
    Account, CompanyInfo, Customer, Entity, Invoice, Item, ItemType, NameListEntity, Payment,
    Preferences, TaxCode,
};
pub use environment::QboEnvironment;
pub use error::{ApiFault, FaultError, QboError};
pub use limits::CompanyBudgets;
pub use oauth::{OAuthClient, OAuthError, TokenSet};
pub use query::Query;
pub use request_id::RequestId;
pub use throttle::{ThrottlePauses, ThrottleScope};

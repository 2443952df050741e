//! The "Create QuickBooks invoice" workflow action (docs/hubspot.md §6): the execution
//! request and its job (`request`), the pure invoice plan (`plan`) and the worker (`execute`).

pub mod execute;
pub mod intake;
pub mod plan;
pub mod queue_sink;
pub mod request;

pub use execute::{ActionResult, InvoiceAction};
pub use intake::{ActionJobSink, accept_action_request};
pub use plan::{ActionFailure, DealLine, doc_number_candidate, plan_qbo_invoice};
pub use queue_sink::{QueuedActions, action_connection};
pub use request::{ActionInputs, CreateInvoiceJob, block_response, parse_execution_request};

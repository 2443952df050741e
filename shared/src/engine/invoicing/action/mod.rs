//! The "Create QuickBooks invoice / estimate / sales receipt" workflow actions (docs/hubspot.md
//! §6): one pipeline for the three documents (`DocKind`): request and job, intake, pure plan,
//! the customer/item seam to the two-way sync, the execution record, the worker and its outputs.

pub mod execute;
pub mod intake;
pub mod outputs;
pub mod parties;
pub mod plan;
pub mod queue_sink;
pub mod record;
pub mod request;

pub use execute::{ActionError, ActionResult, DocAction};
pub use intake::{ActionJobSink, accept_action_request};
pub use outputs::{output_names, outputs};
pub use parties::{BillingParties, Counterpart};
pub use plan::{
    ActionFailure, DealLine, DocContext, TaxModel, doc_number_candidate, execution_mark,
    has_execution_mark, plan_sales_doc,
};
pub use queue_sink::{QueuedActions, action_connection};
pub use record::{ExecutionRecords, RecordError, Recorded};
pub use request::{
    ActionInputs, DOCUMENT_PARAMETER, DocActionJob, block_response, document_of_url,
    parse_execution_request,
};

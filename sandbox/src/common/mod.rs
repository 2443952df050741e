//! Machinery both sandboxes share: a time-scaled clock, fault injection, request statistics,
//! outbound webhook delivery, a rolling rate window, OAuth failure switches, the `/_sandbox/`
//! control API and serving.

pub mod clock;
pub mod control;
pub mod faults;
pub mod oauth_switches;
pub mod rate_window;
pub mod server;
pub mod stats;
pub mod webhook_delivery;

pub use clock::{ClockSettings, SandboxClock};
pub use control::{ControlPlane, SandboxStore, control_router};
pub use faults::{FaultConfig, FaultInjector, FaultResponder};
pub use oauth_switches::{OAuthSwitchState, OAuthSwitches, switches_router};
pub use rate_window::{RateDecision, RateWindow};
pub use server::{ServerHandle, serve};
pub use stats::{RequestStats, StatsSnapshot};
pub use webhook_delivery::{DeliveryConfig, DeliveryCounters, WebhookDelivery, WebhookFormat};

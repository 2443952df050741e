//! Local, stateful stand-ins for the HubSpot and QuickBooks Online APIs, served over HTTP.
//! Each sandbox follows the vendor docs (cited per behaviour) and can inject faults for tests.

pub mod common;
pub mod demo_data;
pub mod hubspot;
pub mod quickbooks;

/// What a sandbox holds when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Seed {
    /// What a new real account has (QBO: chart of accounts, preferences, company info) and no
    /// customers, items or transactions.
    #[default]
    Empty,
    /// `Empty` plus the small realistic data set in [`demo_data`], overlapping on both sides.
    Demo,
}

impl std::str::FromStr for Seed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "empty" => Ok(Seed::Empty),
            "demo" => Ok(Seed::Demo),
            other => Err(format!(
                "unknown seed '{other}': expected 'empty' or 'demo'"
            )),
        }
    }
}

//! The reserves' stock ledger and the prevention and response funds in the running system. The
//! rules are `tocsin_core::response::ledger`'s; here are who may post what, the accounts a
//! contribution or a disbursement touches, and the replenishment alerts.
//! Stock movements are in `stock.rs`, the funds' postings in `funds.rs`, and the funds and
//! warehouses that hold them, with who may reach each, in `holders.rs`.

mod funds;
mod holders;
mod stock;

/// Prefix of the accounts that disbursements are charged to.
pub const DISBURSEMENT: &str = "disbursement:";

/// The account an incident's disbursements are charged to, or one of its tasks' (under it).
pub fn incident_account(incident: u64, task: Option<&str>) -> String {
    match task {
        Some(task) => format!("{DISBURSEMENT}incident:{incident}:task:{task}"),
        None => format!("{DISBURSEMENT}incident:{incident}"),
    }
}

/// Where contributions come from.
pub const SOURCES: &[&str] = &["state_budget", "social", "international"];

/// A stock movement as asked for.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Movement {
    /// `receipt`, `issue`, `transfer` or `write_off`.
    pub kind: String,
    pub warehouse: String,
    pub item: String,
    pub quantity: u64,
    /// For a transfer: the receiving warehouse.
    #[serde(default)]
    pub to: Option<String>,
    /// For an issue: the incident it goes to.
    #[serde(default)]
    pub incident: Option<u64>,
    #[serde(default)]
    pub note: String,
}

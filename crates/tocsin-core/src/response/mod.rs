//! Response coordination, pure: framework scenarios (playbooks) and what they ask for, the
//! registry of response resources in the four on-site categories, the matching that fills a
//! request from the affected commune outwards, and the reserve and fund ledgers.
//!
//! The four on-site principle (bốn tại chỗ): on-site command, on-site forces, on-site materials
//! and means, on-site logistics — the commune acts first; the province, its neighbours and the
//! national reserves reinforce it.

pub mod ledger;
pub mod matching;
pub mod playbook;

use serde::{Deserialize, Serialize};

/// The four on-site categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Command posts and the people who run them.
    Command,
    /// Forces and units: rescue teams, militia, police, medical teams.
    Forces,
    /// Materials and means: boats, vehicles, pumps, generators, tents, life jackets.
    Materials,
    /// Logistics: food, water, medicine, fuel.
    Logistics,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Command,
        Category::Forces,
        Category::Materials,
        Category::Logistics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Command => "command",
            Category::Forces => "forces",
            Category::Materials => "materials",
            Category::Logistics => "logistics",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The administrative level a scenario or a resource belongs to: the same levels recipients
/// answer at.
pub use crate::dispatch::Tier;

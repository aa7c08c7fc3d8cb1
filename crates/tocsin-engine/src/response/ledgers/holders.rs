//! The funds and warehouses that hold ledger entries: the province each lies in, which of them
//! a caller sees or may post to, the checks on a new one, and the region a posting is journaled
//! in.

use crate::access::{Place, Principal};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use tocsin_core::access::{Access, Resource};
use tocsin_core::response::Tier;

/// A fund or a warehouse as registered: what holds ledger entries and belongs to a region.
struct Holder {
    id: String,
    tier: Tier,
    region: String,
}

/// The region a posting is journaled in: the province of its holders when they all lie in
/// one, else the nation (national holders, or a posting across provinces).
pub(super) fn posting_region(places: Vec<Option<String>>) -> String {
    let mut provinces = places.into_iter();
    let first = provinces.next().flatten();
    match first {
        Some(province) if provinces.all(|p| p.as_ref() == Some(&province)) => province,
        _ => tocsin_core::region::NATION_CODE.to_string(),
    }
}

fn holders_of(rows: Vec<(String, String, String, String)>) -> Vec<Holder> {
    rows.into_iter()
        .map(|(id, _, tier, region)| Holder {
            id,
            tier: Tier::parse(&tier).unwrap_or(Tier::National),
            region,
        })
        .collect()
}

impl Engine {
    /// The place of a fund or warehouse: national ones are national; others lie in the
    /// province of their region.
    fn holder_place(&self, tier: Tier, region: &str) -> Option<String> {
        match tier {
            Tier::National => None,
            _ => self.province_of_code(region),
        }
    }

    /// The ids of the holders `who` sees.
    pub(super) fn visible_holders(
        &self,
        who: &Principal,
        rows: Vec<(String, String, String, String)>,
    ) -> std::collections::HashSet<String> {
        holders_of(rows)
            .into_iter()
            .filter(|h| {
                let province = self.holder_place(h.tier, &h.region);
                who.sees(&Place::region(province.as_deref().unwrap_or("")))
            })
            .map(|h| h.id)
            .collect()
    }

    /// Checks the rule of `resource` for the holder `id` among `rows`.
    fn require_holder(
        &self,
        who: &Principal,
        resource: Resource,
        access: Access,
        what: &str,
        rows: Vec<(String, String, String, String)>,
        id: &str,
    ) -> Result<Option<String>> {
        who.require(resource, access)?;
        let province = self.holder_province(what, rows, id)?;
        let place = Place::region(province.as_deref().unwrap_or(""));
        who.require_in(resource, access, &format!("{what} {id:?}"), &place)?;
        Ok(province)
    }

    /// The province of holder `id` among `rows` (`None`: national).
    pub(super) fn holder_province(
        &self,
        what: &str,
        rows: Vec<(String, String, String, String)>,
        id: &str,
    ) -> Result<Option<String>> {
        let Some(holder) = holders_of(rows).into_iter().find(|h| h.id == id) else {
            return Err(EngineError::NotFound(format!("{what}: no {what} {id:?}")));
        };
        Ok(self.holder_place(holder.tier, &holder.region))
    }

    /// Checks `who` may reach warehouse `id`; its province (`None`: national).
    pub(super) fn require_warehouse(
        &self,
        who: &Principal,
        access: Access,
        id: &str,
    ) -> Result<Option<String>> {
        let rows = self.store().warehouses()?;
        self.require_holder(who, Resource::Reserves, access, "warehouse", rows, id)
    }

    /// Checks `who` may reach fund `id`; its province (`None`: national).
    pub(super) fn require_fund(
        &self,
        who: &Principal,
        access: Access,
        id: &str,
    ) -> Result<Option<String>> {
        let rows = self.store().funds()?;
        self.require_holder(who, Resource::Funds, access, "fund", rows, id)
    }

    /// A new fund or warehouse: named, with an id without `:`, of a region that exists at its
    /// level, registered by an administrator whose scope covers it.
    pub(super) fn check_new_holder(
        &self,
        who: &Principal,
        what: &str,
        id: &str,
        name: &str,
        tier: Tier,
        region: &str,
    ) -> Result<()> {
        if id.trim().is_empty() || id.contains(':') || name.trim().is_empty() {
            return Err(EngineError::Invalid(format!(
                "{what} {id:?}: id and name are both needed, and the id has no ':'"
            )));
        }
        let national = region == tocsin_core::region::NATION_CODE;
        if (tier == Tier::National) != national {
            return Err(EngineError::Invalid(format!(
                "{what} {id:?}: region: a national {what} has region VN, and only it"
            )));
        }
        let province = self.holder_place(tier, region);
        if !national && province.is_none() {
            return Err(EngineError::Invalid(format!(
                "{what} {id:?}: region: {region} is not a current region"
            )));
        }
        who.require_in(
            Resource::LedgerHolders,
            Access::Write,
            &format!("{what} {id:?} of region {region}"),
            &Place::region(province.as_deref().unwrap_or("")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::posting_region;

    #[test]
    fn a_posting_belongs_to_its_holders_province_only_when_they_share_one() {
        let of = |places: &[Option<&str>]| {
            posting_region(places.iter().map(|p| p.map(str::to_string)).collect())
        };
        assert_eq!(of(&[Some("15"), Some("15")]), "15");
        assert_eq!(of(&[Some("15"), Some("79")]), "VN", "across provinces");
        assert_eq!(of(&[Some("15"), None]), "VN", "with a national holder");
        assert_eq!(of(&[None]), "VN");
        assert_eq!(of(&[]), "VN");
    }
}

//! The reserves' stock ledger and the prevention and response funds in the running system. The
//! rules are `tocsin_core::response::ledger`'s; here are who may post what, the accounts a
//! contribution or a disbursement touches, and the replenishment alerts.

use crate::access::{Place, Principal};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use tocsin_core::access::{Access, Resource};
use tocsin_core::response::Tier;
use tocsin_core::response::ledger::{FUND, FundLine, Replenish, StockLine};
use tocsin_store::{FundPosting, StockPosting};

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

fn positive(amount_vnd: i64) -> Result<()> {
    if amount_vnd > 0 {
        Ok(())
    } else {
        Err(EngineError::Invalid(format!(
            "amount: {amount_vnd} đồng; it must be more than 0"
        )))
    }
}

/// A fund or a warehouse as registered: what holds ledger entries and belongs to a region.
struct Holder {
    id: String,
    tier: Tier,
    region: String,
}

/// The region a posting is journaled in: the province of its holders when they all lie in
/// one, else the nation (national holders, or a posting across provinces).
fn posting_region(places: Vec<Option<String>>) -> String {
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
    /// Posts a stock movement; returns its posting number and the items now below their minimum
    /// (announced as `replenishment` events).
    pub fn move_stock(&self, who: &Principal, m: &Movement) -> Result<(u64, Vec<Replenish>)> {
        who.require(Resource::Reserves, Access::Write)?;
        // Within i64 once storable.
        let quantity = super::storable(m.quantity)
            .map_err(|reason| EngineError::Invalid(format!("quantity: {reason}")))?
            as i64;
        if quantity < 1 {
            return Err(EngineError::Invalid(format!(
                "quantity: {} must be at least 1",
                m.quantity
            )));
        }
        let line = |warehouse: &str, delta: i64| StockLine {
            warehouse: warehouse.to_string(),
            item: m.item.clone(),
            delta,
        };
        let lines = match (m.kind.as_str(), &m.to) {
            ("receipt", None) => vec![line(&m.warehouse, quantity)],
            ("issue" | "write_off", None) => vec![line(&m.warehouse, -quantity)],
            ("transfer", Some(to)) if to != &m.warehouse => {
                vec![line(&m.warehouse, -quantity), line(to, quantity)]
            }
            ("transfer", _) => {
                return Err(EngineError::Invalid(
                    "to: a transfer needs another warehouse".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(EngineError::Invalid(format!(
                    "to: only a transfer has one, not a {}",
                    m.kind
                )));
            }
            (other, None) => {
                return Err(EngineError::Invalid(format!(
                    "kind: {other:?} is none of receipt, issue, transfer, write_off"
                )));
            }
        };
        if m.kind == "issue" && m.incident.is_none() {
            return Err(EngineError::Invalid(
                "incident: an issue goes to an incident".into(),
            ));
        }
        if let Some(incident) = m.incident {
            self.incident(who, incident)?;
        }
        let mut places = Vec::new();
        for line in &lines {
            places.push(self.require_warehouse(who, Access::Write, &line.warehouse)?);
        }
        let posting = StockPosting {
            lines,
            kind: m.kind.clone(),
            incident: m.incident,
            note: m.note.clone(),
            time_ms: self.clock().now().as_millisecond(),
            by: who.token_id.clone(),
        };
        let region = posting_region(places);
        let (id, replenish) = self.store().post_stock(&posting, &region, &who.actor())?;
        for r in &replenish {
            let json = serde_json::json!({"warehouse": r.warehouse, "item": r.item, "balance": r.balance, "minimum": r.minimum});
            self.publish("replenishment", String::new(), json.to_string());
        }
        Ok((id, replenish))
    }

    pub fn set_stock_minimum(
        &self,
        who: &Principal,
        warehouse: &str,
        item: &str,
        minimum: u64,
    ) -> Result<()> {
        let minimum = super::storable(minimum)
            .map_err(|reason| EngineError::Invalid(format!("minimum: {reason}")))?;
        self.require_warehouse(who, Access::Write, warehouse)?;
        Ok(self.store().set_stock_minimum(warehouse, item, minimum)?)
    }

    /// (warehouse, item, balance, minimum) of the warehouses in `who`'s scope.
    pub fn stock_balances(&self, who: &Principal) -> Result<Vec<(String, String, i64, u64)>> {
        who.require(Resource::Reserves, Access::Read)?;
        let visible = self.visible_holders(who, self.store().warehouses()?);
        let mut balances = self.store().stock_balances()?;
        balances.retain(|(warehouse, ..)| visible.contains(warehouse));
        Ok(balances)
    }

    /// Registers or renames a reserve warehouse of an administrative level and region (an
    /// administrator covering the region; a national one at national scope).
    pub fn create_warehouse(
        &self,
        who: &Principal,
        id: &str,
        name: &str,
        tier: Tier,
        region: &str,
    ) -> Result<()> {
        self.check_new_holder(who, "warehouse", id, name, tier, region)?;
        Ok(self.store().upsert_warehouse(id, name, tier, region)?)
    }

    /// The place of a fund or warehouse: national ones are national; others lie in the
    /// province of their region.
    fn holder_place(&self, tier: Tier, region: &str) -> Option<String> {
        match tier {
            Tier::National => None,
            _ => self.province_of_code(region),
        }
    }

    /// The ids of the holders `who` sees.
    fn visible_holders(
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
    fn holder_province(
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
    fn require_warehouse(
        &self,
        who: &Principal,
        access: Access,
        id: &str,
    ) -> Result<Option<String>> {
        let rows = self.store().warehouses()?;
        self.require_holder(who, Resource::Reserves, access, "warehouse", rows, id)
    }

    /// Checks `who` may reach fund `id`; its province (`None`: national).
    fn require_fund(&self, who: &Principal, access: Access, id: &str) -> Result<Option<String>> {
        let rows = self.store().funds()?;
        self.require_holder(who, Resource::Funds, access, "fund", rows, id)
    }

    /// A new fund or warehouse: named, with an id without `:`, of a region that exists at its
    /// level, registered by an administrator whose scope covers it.
    fn check_new_holder(
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

    /// Creates or renames a fund of an administrative level.
    pub fn create_fund(
        &self,
        who: &Principal,
        id: &str,
        name: &str,
        tier: Tier,
        region: &str,
    ) -> Result<()> {
        self.check_new_holder(who, "fund", id, name, tier, region)?;
        Ok(self.store().upsert_fund(id, name, tier, region)?)
    }

    /// The account of a fund `who` may post to.
    fn fund_account(&self, who: &Principal, fund: &str) -> Result<String> {
        self.require_fund(who, Access::Write, fund)?;
        Ok(format!("{FUND}{fund}"))
    }

    /// Records a contribution to a fund from `source` (state budget, social, international).
    pub fn contribute(
        &self,
        who: &Principal,
        fund: &str,
        source: &str,
        amount_vnd: i64,
        memo: &str,
    ) -> Result<u64> {
        who.require(Resource::Funds, Access::Write)?;
        if !SOURCES.contains(&source) {
            return Err(EngineError::Invalid(format!(
                "source: {source:?} is none of {}",
                SOURCES.join(", ")
            )));
        }
        positive(amount_vnd)?;
        let account = self.fund_account(who, fund)?;
        self.post(
            who,
            "contribution",
            memo,
            None,
            None,
            None,
            vec![
                FundLine {
                    account,
                    amount: amount_vnd,
                },
                FundLine {
                    account: format!("contribution:{source}"),
                    amount: -amount_vnd,
                },
            ],
        )
    }

    /// Pays from a fund to an incident (and one of its tasks), approved by `who`, who must be an
    /// operator or administrator covering the incident's province.
    pub fn disburse(
        &self,
        who: &Principal,
        fund: &str,
        incident: u64,
        task: Option<&str>,
        amount_vnd: i64,
        memo: &str,
    ) -> Result<u64> {
        who.require(Resource::Funds, Access::Write)?;
        let detail = self.incident(who, incident)?;
        if who
            .filter
            .root
            .province()
            .is_some_and(|p| p != detail.incident.province)
        {
            return Err(EngineError::Forbidden(format!(
                "incident {incident} is outside your province"
            )));
        }
        if let Some(task) = task.filter(|t| !detail.tasks.iter().any(|k| k.task == *t)) {
            return Err(EngineError::Invalid(format!(
                "task: incident {incident} has no task {task:?}"
            )));
        }
        positive(amount_vnd)?;
        let account = self.fund_account(who, fund)?;
        let charged = incident_account(incident, task);
        self.post(
            who,
            "disbursement",
            memo,
            Some(incident),
            None,
            Some(who.token_id.clone()),
            vec![
                FundLine {
                    account: charged,
                    amount: amount_vnd,
                },
                FundLine {
                    account,
                    amount: -amount_vnd,
                },
            ],
        )
    }

    /// Reverses a posting (the correction of a mistake); a posting is reversed at most once.
    pub fn reverse_posting(&self, who: &Principal, posting: u64, memo: &str) -> Result<u64> {
        who.require(Resource::Funds, Access::Write)?;
        let found = self.store().fund_postings(posting)?;
        let Some((_, original)) = found.first() else {
            return Err(EngineError::NotFound(format!(
                "posting: no fund posting {posting}"
            )));
        };
        for fund in original
            .lines
            .iter()
            .filter_map(|l| l.account.strip_prefix(FUND))
        {
            self.require_fund(who, Access::Write, fund)?;
        }
        let lines = tocsin_core::response::ledger::reversal(&original.lines);
        self.post(
            who,
            "reversal",
            memo,
            original.incident,
            Some(posting),
            Some(who.token_id.clone()),
            lines,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn post(
        &self,
        who: &Principal,
        kind: &str,
        memo: &str,
        incident: Option<u64>,
        reverses: Option<u64>,
        approved_by: Option<String>,
        lines: Vec<FundLine>,
    ) -> Result<u64> {
        if memo.trim().is_empty() {
            return Err(EngineError::Invalid(
                "memo: say what the money is for".into(),
            ));
        }
        let posting = FundPosting {
            lines,
            kind: kind.into(),
            memo: memo.trim().into(),
            incident,
            reverses,
            time_ms: self.clock().now().as_millisecond(),
            by: who.token_id.clone(),
            approved_by,
        };
        let funds = self.store().funds()?;
        let places = posting
            .lines
            .iter()
            .filter_map(|l| l.account.strip_prefix(FUND))
            .map(|fund| self.holder_province("fund", funds.clone(), fund))
            .collect::<Result<Vec<_>>>()?;
        let region = posting_region(places);
        Ok(self.store().post_funds(&posting, &region, &who.actor())?)
    }

    /// Every fund posting and the balance of every account (funds, sources, incidents).
    #[allow(clippy::type_complexity)]
    pub fn fund_report(
        &self,
        who: &Principal,
    ) -> Result<(
        Vec<(u64, FundPosting)>,
        std::collections::BTreeMap<String, i64>,
    )> {
        who.require(Resource::Funds, Access::Read)?;
        let visible = self.visible_holders(who, self.store().funds()?);
        let shown = |account: &str| {
            who.is_national()
                || account
                    .strip_prefix(FUND)
                    .is_some_and(|fund| visible.contains(fund))
        };
        let mut postings = self.store().fund_postings(0)?;
        postings.retain(|(_, p)| p.lines.iter().any(|l| shown(&l.account)));
        let mut balances = self.store().fund_balances()?;
        balances.retain(|account, _| shown(account));
        Ok((postings, balances))
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

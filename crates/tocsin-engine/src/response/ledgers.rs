//! The reserves' stock ledger and the prevention and response funds in the running system. The
//! rules are `tocsin_core::response::ledger`'s; here are who may post what, the accounts a
//! contribution or a disbursement touches, and the replenishment alerts.

use crate::access::Principal;
use crate::engine::{Engine, EngineError, Result};
use tocsin_core::access::Role;
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

fn require_operator(who: &Principal, what: &str) -> Result<()> {
    if who.role >= Role::Operator {
        Ok(())
    } else {
        Err(EngineError::Forbidden(format!(
            "{what} needs an operator or administrator"
        )))
    }
}

impl Engine {
    /// Posts a stock movement; returns its posting number and the items now below their minimum
    /// (announced as `replenishment` events).
    pub fn move_stock(&self, who: &Principal, m: &Movement) -> Result<(u64, Vec<Replenish>)> {
        require_operator(who, "moving reserve stock")?;
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
        let posting = StockPosting {
            lines,
            kind: m.kind.clone(),
            incident: m.incident,
            note: m.note.clone(),
            time_ms: self.clock().now().as_millisecond(),
            by: who.token_id.clone(),
        };
        let (id, replenish) = self.store().post_stock(&posting)?;
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
        require_operator(who, "setting a minimum stock")?;
        let minimum = super::storable(minimum)
            .map_err(|reason| EngineError::Invalid(format!("minimum: {reason}")))?;
        Ok(self.store().set_stock_minimum(warehouse, item, minimum)?)
    }

    /// (warehouse, item, balance, minimum).
    pub fn stock_balances(&self, who: &Principal) -> Result<Vec<(String, String, i64, u64)>> {
        require_operator(who, "reading the reserves")?;
        Ok(self.store().stock_balances()?)
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
        if who.role != Role::Admin {
            return Err(EngineError::Forbidden(
                "funds are created by administrators".into(),
            ));
        }
        if id.trim().is_empty() || id.contains(':') || name.trim().is_empty() {
            return Err(EngineError::Invalid(
                "id and name: both are needed, and the id has no ':'".into(),
            ));
        }
        Ok(self.store().upsert_fund(id, name, tier, region)?)
    }

    fn fund_account(&self, fund: &str) -> Result<String> {
        if self.store().funds()?.iter().any(|(id, ..)| id == fund) {
            Ok(format!("{FUND}{fund}"))
        } else {
            Err(EngineError::NotFound(format!("fund: no fund {fund:?}")))
        }
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
        require_operator(who, "recording a contribution")?;
        if !SOURCES.contains(&source) {
            return Err(EngineError::Invalid(format!(
                "source: {source:?} is none of {}",
                SOURCES.join(", ")
            )));
        }
        positive(amount_vnd)?;
        let account = self.fund_account(fund)?;
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
        if !who.role.can_release_warnings() {
            return Err(EngineError::Forbidden(
                "disbursements are approved by operators and administrators".into(),
            ));
        }
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
        let account = self.fund_account(fund)?;
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
        if !who.role.can_release_warnings() {
            return Err(EngineError::Forbidden(
                "reversals are approved by operators and administrators".into(),
            ));
        }
        let found = self.store().fund_postings(posting)?;
        let Some((_, original)) = found.first() else {
            return Err(EngineError::NotFound(format!(
                "posting: no fund posting {posting}"
            )));
        };
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
        Ok(self.store().post_funds(&posting)?)
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
        require_operator(who, "reading the funds")?;
        Ok((
            self.store().fund_postings(0)?,
            self.store().fund_balances()?,
        ))
    }
}

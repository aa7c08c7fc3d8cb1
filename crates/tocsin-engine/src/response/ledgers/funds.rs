//! The prevention and response funds: contributions from their sources, disbursements to
//! incidents and their tasks, reversals, and the report of postings and balances in scope.

use super::holders::posting_region;
use super::{SOURCES, incident_account};
use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use tocsin_core::access::{Access, Resource};
use tocsin_core::response::Tier;
use tocsin_core::response::ledger::{FUND, FundLine};
use tocsin_store::FundPosting;

fn positive(amount_vnd: i64) -> Result<()> {
    if amount_vnd > 0 {
        Ok(())
    } else {
        Err(EngineError::Invalid(format!(
            "amount: {amount_vnd} đồng; it must be more than 0"
        )))
    }
}

impl Engine {
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
        let now = self.clock().now().as_millisecond();
        Ok(self
            .store()
            .upsert_fund(id, name, tier, region, now, &who.actor())?)
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

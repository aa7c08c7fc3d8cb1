//! The reserve and fund ledgers, pure. Entries are never changed or removed: a correction is a
//! new entry (a reversal), so the ledger is its own audit trail.
//!
//! - **Stock**: each warehouse's items move by receipts, issues (to incidents), transfers (an
//!   issue from one warehouse and a receipt at another, posted together) and write-offs. A
//!   posting that would take any balance below zero is refused whole. A balance that falls below
//!   the item's minimum asks for replenishment.
//! - **Funds**: double entry in đồng (integers). Every transaction has lines on at least two
//!   accounts whose amounts (debit positive, credit negative) sum to zero. A contribution debits
//!   the fund (`fund:<id>`) and credits its source (`contribution:<source>`); a disbursement
//!   debits the incident or task (`disbursement:<…>`) and credits the fund, which must hold the
//!   amount. A reversal is the transaction with every line negated.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A refused posting: which line and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {reason}")]
pub struct LedgerError {
    pub line: usize,
    pub field: String,
    pub reason: String,
}

fn refuse(line: usize, field: &str, reason: String) -> LedgerError {
    LedgerError {
        line,
        field: field.into(),
        reason,
    }
}

/// One stock movement line: `quantity` of `item` into (positive) or out of (negative)
/// `warehouse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    pub warehouse: String,
    pub item: String,
    pub delta: i64,
}

/// Balances per (warehouse, item).
pub type StockBalances = BTreeMap<(String, String), i64>;

/// A balance below its minimum after a posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replenish {
    pub warehouse: String,
    pub item: String,
    pub balance: i64,
    pub minimum: i64,
}

/// Applies `lines` to `balances` all or nothing; returns the balances that fell below their
/// minimum (`minimums`, per warehouse and item) because of it.
pub fn post_stock(
    balances: &mut StockBalances,
    minimums: &StockBalances,
    lines: &[StockLine],
) -> Result<Vec<Replenish>, LedgerError> {
    let mut after: StockBalances = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        if line.delta == 0 {
            return Err(refuse(i, "quantity", "must not be zero".into()));
        }
        if line.warehouse.trim().is_empty() || line.item.trim().is_empty() {
            return Err(refuse(i, "warehouse/item", "must be named".into()));
        }
        let key = (line.warehouse.clone(), line.item.clone());
        let current = after
            .get(&key)
            .or_else(|| balances.get(&key))
            .copied()
            .unwrap_or(0);
        let next = current
            .checked_add(line.delta)
            .ok_or_else(|| refuse(i, "quantity", "too large".into()))?;
        if next < 0 {
            let reason = format!(
                "{} of {} holds {current}; {} cannot be taken out",
                line.warehouse, line.item, -line.delta
            );
            return Err(refuse(i, "quantity", reason));
        }
        after.insert(key, next);
    }
    let mut replenish = Vec::new();
    for ((warehouse, item), balance) in after {
        let before = balances
            .get(&(warehouse.clone(), item.clone()))
            .copied()
            .unwrap_or(0);
        let minimum = minimums
            .get(&(warehouse.clone(), item.clone()))
            .copied()
            .unwrap_or(0);
        if balance < minimum && balance < before {
            replenish.push(Replenish {
                warehouse: warehouse.clone(),
                item: item.clone(),
                balance,
                minimum,
            });
        }
        balances.insert((warehouse, item), balance);
    }
    Ok(replenish)
}

/// One line of a fund transaction: debit (positive) or credit (negative) an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundLine {
    pub account: String,
    pub amount: i64,
}

/// Balances per account (debit positive).
pub type FundBalances = BTreeMap<String, i64>;

/// The account prefix of a fund.
pub const FUND: &str = "fund:";

/// Checks that `lines` balance and that no fund is overdrawn, then applies them.
pub fn post_funds(balances: &mut FundBalances, lines: &[FundLine]) -> Result<(), LedgerError> {
    if lines.len() < 2 {
        return Err(refuse(
            0,
            "lines",
            "a transaction needs at least two lines".into(),
        ));
    }
    let mut sum: i128 = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.amount == 0 {
            return Err(refuse(i, "amount", "must not be zero".into()));
        }
        if line.account.trim().is_empty() {
            return Err(refuse(i, "account", "must be named".into()));
        }
        sum += i128::from(line.amount);
    }
    if sum != 0 {
        return Err(refuse(
            0,
            "amount",
            format!("debits and credits differ by {sum} đồng"),
        ));
    }
    let mut after = FundBalances::new();
    for (i, line) in lines.iter().enumerate() {
        let current = after
            .get(&line.account)
            .or_else(|| balances.get(&line.account))
            .copied()
            .unwrap_or(0);
        let next = current
            .checked_add(line.amount)
            .ok_or_else(|| refuse(i, "amount", "too large".into()))?;
        if line.account.starts_with(FUND) && next < 0 {
            let reason = format!(
                "{} holds {current} đồng, not {}",
                line.account, -line.amount
            );
            return Err(refuse(i, "amount", reason));
        }
        after.insert(line.account.clone(), next);
    }
    balances.extend(after);
    Ok(())
}

/// The lines that undo `lines`.
pub fn reversal(lines: &[FundLine]) -> Vec<FundLine> {
    lines
        .iter()
        .map(|l| FundLine {
            account: l.account.clone(),
            amount: -l.amount,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stock(warehouse: &str, item: &str, delta: i64) -> StockLine {
        StockLine {
            warehouse: warehouse.into(),
            item: item.into(),
            delta,
        }
    }

    fn line(account: &str, amount: i64) -> FundLine {
        FundLine {
            account: account.into(),
            amount,
        }
    }

    #[test]
    fn a_transfer_that_would_overdraw_changes_nothing() {
        let mut balances = StockBalances::new();
        post_stock(
            &mut balances,
            &BTreeMap::new(),
            &[stock("K1", "life_jacket", 100)],
        )
        .unwrap();
        let transfer = [
            stock("K1", "life_jacket", -150),
            stock("K2", "life_jacket", 150),
        ];
        let refused = post_stock(&mut balances, &BTreeMap::new(), &transfer).unwrap_err();
        assert_eq!(refused.line, 0);
        assert!(refused.reason.contains("holds 100"), "{refused}");
        assert_eq!(balances.len(), 1);
        assert_eq!(balances[&("K1".into(), "life_jacket".into())], 100);
    }

    #[test]
    fn falling_below_the_minimum_asks_for_replenishment_once() {
        let mut balances = StockBalances::new();
        let minimums: StockBalances = [(("K1".to_string(), "rice_kg".to_string()), 500)].into();
        assert!(
            post_stock(&mut balances, &minimums, &[stock("K1", "rice_kg", 800)])
                .unwrap()
                .is_empty()
        );
        let asked = post_stock(&mut balances, &minimums, &[stock("K1", "rice_kg", -400)]).unwrap();
        assert_eq!(asked.len(), 1);
        assert_eq!((asked[0].balance, asked[0].minimum), (400, 500));
        let receipt = post_stock(&mut balances, &minimums, &[stock("K1", "rice_kg", 50)]).unwrap();
        assert!(
            receipt.is_empty(),
            "a receipt that is still short does not ask again"
        );
    }

    #[test]
    fn a_disbursement_needs_the_money_and_a_reversal_nets_to_zero() {
        let mut balances = FundBalances::new();
        let contribution = [
            line("fund:15", 1_000_000),
            line("contribution:state_budget", -1_000_000),
        ];
        post_funds(&mut balances, &contribution).unwrap();
        let too_much = [
            line("disbursement:incident:1", 2_000_000),
            line("fund:15", -2_000_000),
        ];
        let refused = post_funds(&mut balances, &too_much).unwrap_err();
        assert!(refused.reason.contains("holds 1000000"), "{refused}");
        let paid = [
            line("disbursement:incident:1", 300_000),
            line("fund:15", -300_000),
        ];
        post_funds(&mut balances, &paid).unwrap();
        post_funds(&mut balances, &reversal(&paid)).unwrap();
        assert_eq!(balances["fund:15"], 1_000_000);
        assert_eq!(balances["disbursement:incident:1"], 0);
        let unbalanced = [line("fund:15", 10), line("contribution:social", -9)];
        assert!(post_funds(&mut balances, &unbalanced).is_err());
    }

    fn movements() -> impl Strategy<Value = Vec<Vec<(u8, u8, i64)>>> {
        prop::collection::vec(
            prop::collection::vec((0u8..3, 0u8..3, -50i64..80), 1..4),
            1..60,
        )
    }

    proptest! {
        #[test]
        fn stock_never_goes_negative_and_balances_are_the_sum_of_accepted_lines(postings in movements()) {
            let mut balances = StockBalances::new();
            let mut accepted: Vec<StockLine> = Vec::new();
            for posting in postings {
                let lines: Vec<StockLine> = posting
                    .iter()
                    .filter(|(_, _, d)| *d != 0)
                    .map(|(w, i, d)| stock(&format!("W{w}"), &format!("I{i}"), *d))
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                let before = balances.clone();
                match post_stock(&mut balances, &BTreeMap::new(), &lines) {
                    Ok(_) => accepted.extend(lines),
                    Err(_) => prop_assert_eq!(&balances, &before),
                }
                prop_assert!(balances.values().all(|b| *b >= 0));
            }
            let mut sums = StockBalances::new();
            for l in &accepted {
                *sums.entry((l.warehouse.clone(), l.item.clone())).or_default() += l.delta;
            }
            prop_assert_eq!(balances, sums);
        }

        #[test]
        fn fund_balances_are_the_sum_of_entries_and_reversals_net_to_zero(
            amounts in prop::collection::vec((0u8..3, 1i64..1_000_000, any::<bool>()), 1..40)
        ) {
            let mut balances = FundBalances::new();
            let mut accepted: Vec<Vec<FundLine>> = Vec::new();
            for (fund, amount, contribution) in amounts {
                let fund = format!("fund:F{fund}");
                let lines = if contribution {
                    vec![line(&fund, amount), line("contribution:social", -amount)]
                } else {
                    vec![line("disbursement:incident:1", amount), line(&fund, -amount)]
                };
                if post_funds(&mut balances, &lines).is_ok() {
                    accepted.push(lines);
                }
                prop_assert!(balances.iter().filter(|(a, _)| a.starts_with(FUND)).all(|(_, b)| *b >= 0));
            }
            let mut sums = FundBalances::new();
            for l in accepted.iter().flatten() {
                *sums.entry(l.account.clone()).or_default() += l.amount;
            }
            prop_assert_eq!(&balances, &sums);
            prop_assert_eq!(balances.values().sum::<i64>(), 0);
            for lines in accepted.iter().rev() {
                post_funds(&mut balances, &reversal(lines)).unwrap();
            }
            prop_assert!(balances.values().all(|b| *b == 0));
        }
    }
}

//! The SQLite side of the reserve and fund ledgers: postings checked by
//! `tocsin_core::response::ledger` against the balances read in the same transaction, the
//! balances, and the warehouses and funds that hold them.

use super::*;
use crate::{Result, StoreError};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::BTreeMap;
use tocsin_core::response::Tier;
use tocsin_core::response::ledger::{
    self, FundBalances, FundLine, Replenish, StockBalances, StockLine,
};

impl LedgerStore for SqliteStore {
    fn post_stock(
        &self,
        posting: &StockPosting,
        region: &str,
        actor: &Actor,
    ) -> Result<(u64, Vec<Replenish>)> {
        self.write_recorded(|tx, _, events| {
            let (id, short) = post_stock(tx, posting)?;
            events.push(crate::events::stock_posted(id, posting, region, actor)?);
            Ok((id, short))
        })
    }

    fn set_stock_minimum(
        &self,
        warehouse: &str,
        item: &str,
        minimum: u64,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            set_stock_minimum(tx, warehouse, item, minimum)?;
            let region: Option<String> = tx
                .query_row(
                    "SELECT region FROM warehouses WHERE id = ?1",
                    [warehouse],
                    |r| r.get(0),
                )
                .optional()?;
            let change = Change::StockMinimumSet {
                warehouse: warehouse.to_string(),
                item: item.to_string(),
                minimum,
            };
            let mut event = crate::events::node_event(at_ms, change, actor);
            event.region = match region {
                Some(region) => super::registry::province_of(tx, &region)?,
                None => NATION.into(),
            };
            events.push(event);
            Ok(())
        })
    }

    fn stock_balances(&self) -> Result<Vec<(String, String, i64, u64)>> {
        self.read(stock_balances)
    }

    fn post_funds(&self, posting: &FundPosting, region: &str, actor: &Actor) -> Result<u64> {
        self.write_recorded(|tx, _, events| {
            let id = post_funds(tx, posting)?;
            events.push(crate::events::funds_posted(id, posting, region, actor)?);
            Ok(id)
        })
    }

    fn fund_postings(&self, posting: u64) -> Result<Vec<(u64, FundPosting)>> {
        self.read(|conn| fund_postings(conn, posting))
    }

    fn fund_balances(&self) -> Result<BTreeMap<String, i64>> {
        self.read(fund_balances)
    }

    fn fund_balance_under(&self, account: &str) -> Result<i64> {
        self.read(|conn| fund_balance_under(conn, account))
    }

    fn upsert_fund(
        &self,
        id: &str,
        name: &str,
        tier: Tier,
        region: &str,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()> {
        let holders = Holders::Funds;
        let holder = Holder {
            holders,
            id,
            name,
            tier,
            region,
        };
        self.record_holder(&holder, at_ms, actor)
    }

    fn funds(&self) -> Result<Vec<(String, String, String, String)>> {
        self.read(|conn| holders(conn, Holders::Funds))
    }

    fn upsert_warehouse(
        &self,
        id: &str,
        name: &str,
        tier: Tier,
        region: &str,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()> {
        let holders = Holders::Warehouses;
        let holder = Holder {
            holders,
            id,
            name,
            tier,
            region,
        };
        self.record_holder(&holder, at_ms, actor)
    }

    fn warehouses(&self) -> Result<Vec<(String, String, String, String)>> {
        self.read(|conn| holders(conn, Holders::Warehouses))
    }
}

// ---------------------------------------------------------------- ledgers

fn next_posting(tx: &Transaction, table: &str) -> Result<i64> {
    let sql = format!("SELECT coalesce(max(posting), 0) + 1 FROM {table}");
    Ok(tx.query_row(&sql, [], |r| r.get(0))?)
}

/// Posts stock lines all or nothing; returns the balances that fell below their minimum.
pub(crate) fn post_stock(
    tx: &Transaction,
    posting: &StockPosting,
) -> Result<(u64, Vec<Replenish>)> {
    let mut balances = StockBalances::new();
    let mut minimums = StockBalances::new();
    for line in &posting.lines {
        let key = (line.warehouse.clone(), line.item.clone());
        let balance: i64 = tx.query_row(
            "SELECT coalesce(sum(delta), 0) FROM stock_entries WHERE warehouse = ?1 AND item = ?2",
            params![line.warehouse, line.item],
            |r| r.get(0),
        )?;
        let minimum: Option<i64> = tx
            .query_row(
                "SELECT minimum FROM stock_minimums WHERE warehouse = ?1 AND item = ?2",
                params![line.warehouse, line.item],
                |r| r.get(0),
            )
            .optional()?;
        balances.insert(key.clone(), balance);
        minimums.insert(key, minimum.unwrap_or(0));
    }
    let replenish = ledger::post_stock(&mut balances, &minimums, &posting.lines)
        .map_err(|e| StoreError::Conflict(format!("stock {e}")))?;
    let id = next_posting(tx, "stock_entries")?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO stock_entries (posting, warehouse, item, delta, kind, incident, note, time_ms, by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for line in &posting.lines {
        stmt.execute(params![
            id,
            line.warehouse,
            line.item,
            line.delta,
            posting.kind,
            posting.incident.map(|i| i as i64),
            posting.note,
            posting.time_ms,
            posting.by
        ])?;
    }
    Ok((id as u64, replenish))
}

pub(crate) fn set_stock_minimum(
    tx: &Transaction,
    warehouse: &str,
    item: &str,
    minimum: u64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO stock_minimums (warehouse, item, minimum) VALUES (?1, ?2, ?3) \
         ON CONFLICT(warehouse, item) DO UPDATE SET minimum = ?3",
        params![warehouse, item, minimum as i64],
    )?;
    Ok(())
}

/// Balances per warehouse and item, with each item's minimum.
pub(crate) fn stock_balances(conn: &Connection) -> Result<Vec<(String, String, i64, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT b.warehouse, b.item, b.balance, coalesce(m.minimum, 0) FROM \
         (SELECT warehouse, item, sum(delta) AS balance FROM stock_entries GROUP BY warehouse, item) b \
         LEFT JOIN stock_minimums m ON m.warehouse = b.warehouse AND m.item = b.item ORDER BY b.warehouse, b.item",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Rows of (posting, line, the posting's other fields) in posting order, gathered into
/// postings with their lines.
fn gather<L, P>(
    rows: impl Iterator<Item = rusqlite::Result<(u64, L, P)>>,
    lines_of: fn(&mut P) -> &mut Vec<L>,
) -> Result<Vec<(u64, P)>> {
    let mut postings: Vec<(u64, P)> = Vec::new();
    for row in rows {
        let (id, line, mut posting) = row?;
        match postings.last_mut() {
            Some((last, found)) if *last == id => lines_of(found).push(line),
            _ => {
                lines_of(&mut posting).push(line);
                postings.push((id, posting));
            }
        }
    }
    Ok(postings)
}

/// Every stock posting with its lines, in order.
pub(crate) fn stock_postings(conn: &Connection) -> Result<Vec<(u64, StockPosting)>> {
    let mut stmt = conn.prepare(
        "SELECT posting, warehouse, item, delta, kind, incident, note, time_ms, by \
         FROM stock_entries ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        let line = StockLine {
            warehouse: r.get(1)?,
            item: r.get(2)?,
            delta: r.get(3)?,
        };
        let posting = StockPosting {
            lines: Vec::new(),
            kind: r.get(4)?,
            incident: r.get::<_, Option<i64>>(5)?.map(|i| i as u64),
            note: r.get(6)?,
            time_ms: r.get(7)?,
            by: r.get(8)?,
        };
        Ok((r.get::<_, i64>(0)? as u64, line, posting))
    })?;
    gather(rows, |p: &mut StockPosting| &mut p.lines)
}

/// Posts a balanced fund transaction; a reversal of a posting already reversed is refused.
pub(crate) fn post_funds(tx: &Transaction, posting: &FundPosting) -> Result<u64> {
    if let Some(reversed) = posting.reverses {
        let already: i64 = tx.query_row(
            "SELECT count(*) FROM fund_entries WHERE reverses = ?1",
            [reversed as i64],
            |r| r.get(0),
        )?;
        if already > 0 {
            return Err(StoreError::Conflict(format!(
                "posting {reversed} is already reversed"
            )));
        }
    }
    let mut balances = FundBalances::new();
    for line in &posting.lines {
        let balance: i64 = tx.query_row(
            "SELECT coalesce(sum(amount), 0) FROM fund_entries WHERE account = ?1",
            [&line.account],
            |r| r.get(0),
        )?;
        balances.insert(line.account.clone(), balance);
    }
    ledger::post_funds(&mut balances, &posting.lines)
        .map_err(|e| StoreError::Conflict(format!("fund posting {e}")))?;
    let id = next_posting(tx, "fund_entries")?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO fund_entries (posting, account, amount, kind, memo, incident, reverses, time_ms, by, approved_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for line in &posting.lines {
        stmt.execute(params![
            id,
            line.account,
            line.amount,
            posting.kind,
            posting.memo,
            posting.incident.map(|i| i as i64),
            posting.reverses.map(|r| r as i64),
            posting.time_ms,
            posting.by,
            posting.approved_by
        ])?;
    }
    Ok(id as u64)
}

/// Fund postings with their lines, in order: one posting, or all of them for posting 0.
pub(crate) fn fund_postings(conn: &Connection, posting: u64) -> Result<Vec<(u64, FundPosting)>> {
    let mut stmt = conn.prepare(
        "SELECT posting, account, amount, kind, memo, incident, reverses, time_ms, by, approved_by \
         FROM fund_entries WHERE ?1 = 0 OR posting = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([posting as i64], |r| {
        let line = FundLine {
            account: r.get(1)?,
            amount: r.get(2)?,
        };
        let posting = FundPosting {
            lines: Vec::new(),
            kind: r.get(3)?,
            memo: r.get(4)?,
            incident: r.get::<_, Option<i64>>(5)?.map(|i| i as u64),
            reverses: r.get::<_, Option<i64>>(6)?.map(|i| i as u64),
            time_ms: r.get(7)?,
            by: r.get(8)?,
            approved_by: r.get(9)?,
        };
        Ok((r.get::<_, i64>(0)? as u64, line, posting))
    })?;
    gather(rows, |p: &mut FundPosting| &mut p.lines)
}

pub(crate) fn fund_balances(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare(
        "SELECT account, sum(amount) FROM fund_entries GROUP BY account ORDER BY account",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The sum of the entries of `account` and the accounts under it: `account:` up to (not
/// including) `account;`, the character after `:`, a range the account index answers.
pub(crate) fn fund_balance_under(conn: &Connection, account: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(sum(amount), 0) FROM fund_entries \
         WHERE account = ?1 OR (account >= ?1 || ':' AND account < ?1 || ';')",
        [account],
        |r| r.get(0),
    )?)
}

/// The tables of what holds ledger entries and belongs to a region: funds and warehouses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Holders {
    Funds,
    Warehouses,
}

impl Holders {
    fn table(self) -> &'static str {
        match self {
            Holders::Funds => "funds",
            Holders::Warehouses => "warehouses",
        }
    }

    /// What the journal calls one of them.
    fn holder(self) -> &'static str {
        match self {
            Holders::Funds => "fund",
            Holders::Warehouses => "warehouse",
        }
    }
}

/// A fund or warehouse as made or renamed.
pub(crate) struct Holder<'a> {
    holders: Holders,
    id: &'a str,
    name: &'a str,
    tier: Tier,
    region: &'a str,
}

impl SqliteStore {
    /// Creates or renames a fund or warehouse, and journals it.
    fn record_holder(&self, holder: &Holder, at_ms: i64, actor: &Actor) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            events.push(upsert_holder(tx, holder, at_ms, actor)?);
            Ok(())
        })
    }
}

/// Creates or renames a fund or warehouse of an administrative level and region; returns the
/// event that records it.
fn upsert_holder(tx: &Transaction, h: &Holder, at_ms: i64, actor: &Actor) -> Result<Event> {
    let sql = format!(
        "INSERT INTO {} (id, name, tier, region) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(id) DO UPDATE SET name = ?2, tier = ?3, region = ?4",
        h.holders.table()
    );
    tx.execute(&sql, params![h.id, h.name, h.tier.as_str(), h.region])?;
    Ok(Event {
        at_ms,
        actor: actor.clone(),
        region: super::registry::province_of(tx, h.region)?,
        change: Change::HolderSet {
            holder: h.holders.holder().to_string(),
            id: h.id.to_string(),
            name: h.name.to_string(),
            tier: h.tier.as_str().to_string(),
            area: h.region.to_string(),
        },
    })
}

/// Funds or warehouses: (id, name, tier, region).
pub(crate) fn holders(
    conn: &Connection,
    holders: Holders,
) -> Result<Vec<(String, String, String, String)>> {
    let sql = format!(
        "SELECT id, name, tier, region FROM {} ORDER BY id",
        holders.table()
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

//! The reserves' stock: movements posted between warehouses, with the replenishment alerts
//! they raise, minimums, balances in scope, and the warehouses themselves.

use super::Movement;
use super::holders::posting_region;
use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::response::storable;
use tocsin_core::access::{Access, Resource};
use tocsin_core::response::Tier;
use tocsin_core::response::ledger::{Replenish, StockLine};
use tocsin_store::StockPosting;

impl Engine {
    /// Posts a stock movement; returns its posting number and the items now below their minimum
    /// (announced as `replenishment` events).
    pub fn move_stock(&self, who: &Principal, m: &Movement) -> Result<(u64, Vec<Replenish>)> {
        who.require(Resource::Reserves, Access::Write)?;
        // Within i64 once storable.
        let quantity = storable(m.quantity)
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
        let minimum = storable(minimum)
            .map_err(|reason| EngineError::Invalid(format!("minimum: {reason}")))?;
        self.require_warehouse(who, Access::Write, warehouse)?;
        let now = self.clock().now().as_millisecond();
        Ok(self
            .store()
            .set_stock_minimum(warehouse, item, minimum, now, &who.actor())?)
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
        let now = self.clock().now().as_millisecond();
        Ok(self
            .store()
            .upsert_warehouse(id, name, tier, region, now, &who.actor())?)
    }
}

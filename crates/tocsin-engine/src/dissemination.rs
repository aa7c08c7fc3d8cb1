//! Dissemination as the engine serves it: recipients (their secrets never read back),
//! silences, the notification record and acknowledgements, each within the caller's scope,
//! and handing released versions to the dispatch desk.

use crate::access::{Place, Principal};
use crate::dispatch::RecipientEntry;
use crate::engine::Engine;
use crate::error::{EngineError, Result, page_limit};
use tocsin_core::access::{Access, Resource};
use tocsin_core::region::{NATION_CODE, RegionKind};
use tocsin_store::{Cursor, Page};
use tocsin_store::{RegionFilter, VersionRecord};

impl Engine {
    /// The recipients of the provinces `who` sees, with their endpoints' secrets replaced
    /// (secrets are written, never read back).
    pub fn recipients(&self, who: &Principal) -> Result<Vec<RecipientEntry>> {
        who.require(Resource::Recipients, Access::Read)?;
        let entries = self.dispatch.entries();
        Ok(entries
            .iter()
            .filter(|e| {
                let province = self.province_of_code(&e.recipient.region);
                who.sees(&Place::region(province.as_deref().unwrap_or("")))
            })
            .map(RecipientEntry::redacted)
            .collect())
    }

    /// The recipients marked as drill participants, with their endpoints as they are (a drill
    /// on this node reaches them through their real channels); for whoever may start drills.
    pub fn drill_participants(&self, who: &Principal) -> Result<Vec<RecipientEntry>> {
        who.require(Resource::Drills, Access::Write)?;
        let entries = self.dispatch.entries();
        Ok(entries
            .iter()
            .filter(|e| e.recipient.exercises)
            .cloned()
            .collect())
    }

    /// The province a region code lies in: itself for a province, its province for a commune,
    /// `None` for the nation (or a code the registry does not know).
    pub(crate) fn province_of_code(&self, code: &str) -> Option<String> {
        if code == NATION_CODE || code.is_empty() {
            return None;
        }
        let region = self
            .store
            .region(code, self.today(), &RegionFilter::all())
            .ok()
            .flatten()?;
        match region.kind {
            RegionKind::Province => Some(region.code),
            _ => region.parent,
        }
    }

    /// Creates or replaces recipients (an administrator, or a national operator).
    pub fn set_recipients(&self, who: &Principal, entries: &[RecipientEntry]) -> Result<()> {
        who.require(Resource::Recipients, Access::Write)?;
        self.dispatch.set_recipients(entries, &who.actor())
    }

    /// The silences that concern the provinces `who` sees (by their region or recipient), and
    /// those of the whole node, expired ones too.
    pub fn silences(&self, who: &Principal) -> Result<Vec<tocsin_store::SilenceRecord>> {
        who.require(Resource::Silences, Access::Read)?;
        let entries = self.dispatch.entries();
        let concerned = |s: &tocsin_store::SilenceRecord| {
            let matchers: tocsin_core::dispatch::route::Matchers =
                serde_json::from_str(&s.matchers).unwrap_or_default();
            let region = matchers.region.or_else(|| {
                let recipient = s.recipient.as_deref()?;
                let entry = entries.iter().find(|e| e.recipient.id == recipient)?;
                Some(entry.recipient.region.clone())
            });
            match region.and_then(|code| self.province_of_code(&code)) {
                Some(province) => who.sees(&Place::region(&province)),
                None => true,
            }
        };
        Ok(self
            .dispatch
            .silences()?
            .into_iter()
            .filter(concerned)
            .collect())
    }

    /// Adds a silence, authored by the caller; its id.
    pub fn add_silence(
        &self,
        who: &Principal,
        mut silence: tocsin_core::dispatch::Silence,
    ) -> Result<u64> {
        who.require(Resource::Silences, Access::Write)?;
        if silence.ends_ms <= silence.starts_ms {
            return Err(EngineError::Invalid(
                "ends: a silence must end after it starts".into(),
            ));
        }
        silence.author = format!("token {} ({})", who.token_id, silence.author);
        self.dispatch.add_silence(&silence, &who.actor())
    }

    /// Ends a silence now.
    pub fn expire_silence(&self, who: &Principal, id: u64) -> Result<bool> {
        who.require(Resource::Silences, Access::Write)?;
        self.dispatch
            .expire_silence(id, &format!("token {}", who.token_id), &who.actor())
    }

    /// The notification record of the provinces and domains `who` sees: who was told what,
    /// when, each attempt, and who acknowledged.
    pub fn notifications(
        &self,
        who: &Principal,
        warning: Option<u64>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<tocsin_store::NotificationRecord>> {
        who.require(Resource::Notifications, Access::Read)?;
        let limit = page_limit(limit)?;
        let rows = self
            .store
            .notifications(&who.filter, warning, before, limit + 1)?;
        Ok(Page::cut(rows, limit))
    }

    /// Acknowledges a notification as the caller: an operator or administrator whose scope
    /// covers the notification's province and hazard (acknowledging stops its escalation).
    pub fn acknowledge(&self, who: &Principal, notification: u64) -> Result<(u64, u32)> {
        who.require(Resource::Notifications, Access::Write)?;
        let what = format!("notification {notification}");
        let found = self.store.notification(notification)?;
        let Some(found) = found else {
            return Err(EngineError::NotFound(format!("no {what}")));
        };
        let hazard = self.warning_hazard(found.warning)?;
        who.require_in(
            Resource::Notifications,
            Access::Write,
            &what,
            &Place::hazard(&found.province, &hazard),
        )?;
        self.dispatch.acknowledge(
            &tocsin_store::AckKey::Id(notification),
            &format!("token {}", who.token_id),
            Some(&who.actor()),
        )
    }

    /// The hazard of a stored warning.
    pub(crate) fn warning_hazard(&self, warning: u64) -> Result<String> {
        let versions = self.store.warning_versions(warning)?;
        versions
            .into_iter()
            .next()
            .map(|v| v.hazard)
            .ok_or_else(|| EngineError::NotFound(format!("no warning {warning}")))
    }

    /// Acknowledges the notification whose link was opened.
    pub fn acknowledge_link(&self, token: &str) -> Result<(u64, u32)> {
        self.dispatch.acknowledge(
            &tocsin_store::AckKey::Token(token.to_string()),
            "link in the message",
            None,
        )
    }

    /// Hands a released version to dissemination.
    pub(crate) fn disseminate(&self, version: &VersionRecord) -> Result<()> {
        let status = tocsin_cap::CodeList::as_str(self.warnings.settings().status);
        let concurrent = self
            .warnings
            .in_force()
            .iter()
            .any(|w| w.province == version.province && w.hazard != version.hazard);
        self.dispatch.released(version, status, concurrent)?;
        let event = serde_json::json!({
            "warning": version.warning, "version": version.number, "hazard": version.hazard, "province": version.province,
            "level": version.level, "action": version.action,
            "identifier": version.publication.as_ref().map(|p| &p.identifier),
        });
        self.events.publish(
            "warning",
            version.province.clone(),
            Some(&version.hazard),
            event.to_string(),
        );
        if let Err(e) = self.respond(version, self.exercising()) {
            tracing::error!(error = %e, warning = version.warning, "the framework scenarios could not run");
        }
        Ok(())
    }
}

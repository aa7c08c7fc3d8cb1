//! The warning desk: turns detections into warnings and warnings into released CAP alerts.
//!
//! Level changes feed the lifecycle ([`tocsin_core::warning`]): the desk reads them from the
//! journal through its durable cursor ([`WarningDesk::catch_up`]), so a change stored just
//! before a crash is read after the restart. [`WarningDesk::tick`] drafts the
//! versions whose time has come and stores them. A draft for the public is released only when
//! an operator or administrator whose scope covers the province approves it, unless the hazard
//! is marked for automatic release up to the draft's level; who released it and when is stored
//! with the alert. A released alert is composed once, stored, and never changes.

pub mod compose;
pub(crate) mod queries;
mod records;
mod release;

use crate::error::{EngineError, Result};
use compose::RuleText;
use records::{open_record, version_record, warning_record};
use std::sync::{Arc, Mutex, RwLock};
use tocsin_cap::Status;
use tocsin_cap::signature::{SigningKey, TrustStore};
use tocsin_core::Clock;
use tocsin_core::change::{Actor, Change, Event};
use tocsin_core::evaluate::CompiledCatalog;
use tocsin_core::warning::{AreaState, Draft, Policy, Signal, Warning, WarningBook};
use tocsin_store::{NATION, Store, StoreError, VersionRecord, VersionState, WarningRecord};

/// The desk's name among the journal's consumers.
pub(crate) const CONSUMER: &str = "warnings";
/// Journal entries read in one transaction.
const READ_BATCH: usize = 1000;

/// Vietnam's offset from UTC, for the times written in alerts.
const VIETNAM: jiff::tz::Offset = jiff::tz::Offset::constant(7);

/// Who the alerts come from and how they behave.
#[derive(Debug, Clone)]
pub struct WarningSettings {
    /// The CAP `sender` (no spaces or commas).
    pub sender: String,
    /// `Actual` in operation, `Exercise` in drills, `Test` for tests.
    pub status: Status,
    pub policy: Policy,
    /// When set, every released alert carries an enveloped XML signature with this key.
    pub signing_key: Option<Arc<SigningKey>>,
    /// The certificates trusted per sender, for verifying alerts.
    pub trust: Arc<TrustStore>,
}

impl Default for WarningSettings {
    fn default() -> Self {
        WarningSettings {
            sender: "tocsin.vn".into(),
            status: Status::Actual,
            policy: Policy::default(),
            signing_key: None,
            trust: Arc::default(),
        }
    }
}

/// A flag that wakes a waiting worker when warnings have news.
#[derive(Debug, Default)]
pub struct Wakeup {
    news: Mutex<bool>,
    ring: std::sync::Condvar,
}

impl Wakeup {
    pub fn notify(&self) {
        *self.news.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.ring.notify_all();
    }

    /// Waits until notified or `timeout` passes; whether there was news.
    pub fn wait(&self, timeout: std::time::Duration) -> bool {
        let news = self.news.lock().unwrap_or_else(|e| e.into_inner());
        let (mut news, _) = self
            .ring
            .wait_timeout_while(news, timeout, |n| !*n)
            .unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *news)
    }
}

/// The lifecycle, its store and what composing an alert needs.
pub struct WarningDesk {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: WarningSettings,
    book: Mutex<WarningBook>,
    catalog: RwLock<Arc<CompiledCatalog>>,
    /// The date places are named as of (the engine's registry date); `None` for the alert's
    /// own date in Vietnam.
    registry_date: Option<jiff::civil::Date>,
    /// Rung when detections touch a warning, so that a worker drafts without waiting.
    pub wakeup: Wakeup,
}

impl WarningDesk {
    /// A desk resuming the warnings in force from `store` and reading the level changes
    /// journaled since it last did, naming places as of `registry_date` (or of each alert's
    /// date when `None`).
    pub fn open(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: WarningSettings,
        catalog: CompiledCatalog,
        registry_date: Option<jiff::civil::Date>,
    ) -> Result<WarningDesk> {
        let mut book = WarningBook::new(settings.policy, store.last_warning_id()?);
        for record in store.open_warnings()? {
            let warning: Warning = serde_json::from_str(&record.state)
                .map_err(|e| StoreError::Corrupt(format!("warning {}: {e}", record.id)))?;
            book.warnings
                .insert((warning.hazard.clone(), warning.province.clone()), warning);
        }
        let desk = WarningDesk {
            store,
            clock,
            settings,
            book: Mutex::new(book),
            catalog: RwLock::new(Arc::new(catalog)),
            registry_date,
            wakeup: Wakeup::default(),
        };
        desk.catch_up()?;
        Ok(desk)
    }

    pub fn settings(&self) -> &WarningSettings {
        &self.settings
    }

    /// Composes alerts with the texts of `catalog` from now on.
    pub fn set_catalog(&self, catalog: CompiledCatalog) {
        *self.catalog.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(catalog);
    }

    /// The catalogue in use (the engine's, replaced with it).
    pub fn catalog(&self) -> Arc<CompiledCatalog> {
        self.catalog
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WarningBook> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the level changes journaled since the desk's cursor, notes those of rules that
    /// issue warnings (data gaps do not), and stores the warnings they touched with the cursor
    /// moved past them, in one transaction. Run when the desk opens and at every tick (the
    /// writer wakes the worker after each commit that records level changes), so what a crash
    /// left unread is read on restart and nothing is read twice.
    pub fn catch_up(&self) -> Result<()> {
        let catalog = self.catalog();
        let mut book = self.lock();
        loop {
            let from = self.store.journal_cursor(CONSUMER)?;
            let read = self
                .store
                .journal_read(from, &[Change::LEVEL_CHANGED], READ_BATCH)?;
            if read.next == from {
                return Ok(());
            }
            let mut touched = std::collections::BTreeSet::new();
            for entry in &read.entries {
                let event = entry.event().map_err(|e| {
                    StoreError::Corrupt(format!("journal entry {}: {e}", entry.index))
                })?;
                let signal = signal_of(&event).map_err(|e| {
                    StoreError::Corrupt(format!("journal entry {}: {e}", entry.index))
                })?;
                let Some(signal) = signal.filter(|s| rule_text(&catalog, &s.rule).is_some()) else {
                    continue;
                };
                // As of when the change was committed, not when it is read: the lifecycle's
                // windows do not move with the worker's latency or a restart.
                book.observe(&signal, event.at_ms);
                touched.insert((signal.hazard, signal.province));
            }
            let records: Vec<WarningRecord> = touched
                .iter()
                .filter_map(|key| book.warnings.get(key))
                .map(open_record)
                .collect();
            self.store
                .record_consumed_warnings(&records, CONSUMER, read.next)?;
            if !records.is_empty() {
                self.wakeup.notify();
            }
            if read.entries.len() < READ_BATCH {
                return Ok(());
            }
        }
    }

    /// Drafts and stores the versions due now, then releases those marked for automatic
    /// release. Returns the versions made, as they stand after that (released or draft).
    pub fn tick(&self) -> Result<Vec<VersionRecord>> {
        self.catch_up()?;
        let now = self.clock.now().as_millisecond();
        let mut book = self.lock();
        let drafts = book.due(now);
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let warnings: Vec<WarningRecord> =
            drafts.iter().map(|d| warning_record(&book, d)).collect();
        let mut versions: Vec<VersionRecord> = drafts.iter().map(version_record).collect();
        self.store
            .record_lifecycle(&warnings, &versions, &Actor::Node)?;
        let automatic = self.store.auto_release()?;
        for (draft, version) in drafts
            .iter()
            .zip(&mut versions)
            .filter(|(d, _)| d.action.is_message())
        {
            let limit = automatic
                .iter()
                .find(|(hazard, _)| *hazard == draft.hazard)
                .map_or(0, |(_, level)| *level);
            if release_level(&self.store, draft)? <= limit {
                *version = self.release_locked(
                    &mut book,
                    (draft.warning, draft.number),
                    "auto",
                    &Actor::Node,
                )?;
            }
        }
        Ok(versions)
    }

    /// An operator withdraws a warning; the Cancel version waits for release like any other.
    pub fn cancel(&self, warning: u64, actor: &Actor) -> Result<VersionRecord> {
        let now = self.clock.now().as_millisecond();
        let mut book = self.lock();
        let draft = book
            .cancel(warning, now)
            .map_err(|e| EngineError::NotFound(e.to_string()))?;
        let record = warning_record(&book, &draft);
        let version = version_record(&draft);
        self.store
            .record_lifecycle(&[record], std::slice::from_ref(&version), actor)?;
        Ok(version)
    }

    /// The warnings in force, as the lifecycle sees them.
    pub fn in_force(&self) -> Vec<Warning> {
        self.lock().warnings.values().cloned().collect()
    }
}

/// The level a draft is released at: its own, or for an all-clear or cancel the level of the
/// last published version.
fn release_level(store: &Arc<dyn Store>, draft: &Draft) -> Result<u8> {
    if draft.level > 0 {
        return Ok(draft.level);
    }
    let versions = store.warning_versions(draft.warning)?;
    Ok(versions
        .iter()
        .rev()
        .find(|v| v.state == VersionState::Published)
        .map_or(0, |v| v.level))
}

/// The warning text, source and confidence of a rule or outbreak rule.
fn rule_text(catalog: &CompiledCatalog, rule: &str) -> Option<RuleText> {
    if let Some(index) = catalog.rule_index(rule) {
        let r = &catalog.rules[index];
        return Some(RuleText {
            cap: r.cap.clone(),
            source: r.source.clone(),
            confidence: r.status.as_str().into(),
            unit: catalog.rule_unit(index).map(str::to_string),
            name_vi: r.name_vi.clone(),
            name_en: r.name_en.clone(),
        });
    }
    let outbreak = catalog.outbreaks.iter().find(|o| o.id == rule)?;
    Some(RuleText {
        cap: outbreak.cap.clone(),
        source: outbreak.source.clone(),
        confidence: outbreak.status.as_str().into(),
        unit: None,
        name_vi: outbreak.name_vi.clone(),
        name_en: outbreak.name_en.clone(),
    })
}

/// The signal of a journaled level change; `None` for other changes and for a station outside
/// every province.
fn signal_of(event: &Event) -> std::result::Result<Option<Signal>, String> {
    let Change::LevelChanged {
        station,
        rule,
        hazard,
        commune,
        to,
        time_ms,
        value,
        certainty,
        ..
    } = &event.change
    else {
        return Ok(None);
    };
    if event.region == NATION {
        return Ok(None);
    }
    let value = value
        .parse()
        .map_err(|_| format!("level change value {value:?} is not a number"))?;
    Ok(Some(Signal {
        hazard: hazard.clone(),
        area: commune.clone().unwrap_or_else(|| event.region.clone()),
        province: event.region.clone(),
        rule: rule.clone(),
        station: station.clone(),
        level: *to,
        value,
        certainty: certainty.clone(),
        time_ms: *time_ms,
    }))
}

/// The rule that made a version: the rule of its lead area (for an all-clear or cancel, which
/// has no areas, `None`).
pub fn lead_rule(version: &VersionRecord) -> Option<String> {
    let draft: Draft = serde_json::from_str(&version.draft).ok()?;
    lead_area(&draft.areas).map(|a| a.rule.clone())
}

/// The lead area of a set: highest level, then earliest.
fn lead_area(areas: &std::collections::BTreeMap<String, AreaState>) -> Option<&AreaState> {
    areas
        .values()
        .max_by_key(|a| (a.level, std::cmp::Reverse(a.since_ms)))
}

//! The store's interface, one trait per aggregate, and [`Store`]: all of them together, the
//! one bound the engine holds. A backend implements every trait. Code that holds a concrete
//! backend brings every trait in with `use tocsin_store::traits::*`.

use crate::*;
use jiff::civil::Date;
use tocsin_core::change::Actor;
use tocsin_core::observation::Observation;
use tocsin_core::region::Region;
use tocsin_core::station::Station;

/// The durable state of a tocsin node: every aggregate's store.
pub trait Store:
    RegistryStore
    + ObservationStore
    + DetectionStore
    + WarningStore
    + FeedStore
    + DispatchStore
    + AccountStore
    + ResponseStore
    + LedgerStore
    + MaintenanceStore
    + JournalStore
{
}

impl<T> Store for T where
    T: RegistryStore
        + ObservationStore
        + DetectionStore
        + WarningStore
        + FeedStore
        + DispatchStore
        + AccountStore
        + ResponseStore
        + LedgerStore
        + MaintenanceStore
        + JournalStore
{
}

/// The region registry with its history, and the stations with their series.
pub trait RegistryStore: Send + Sync {
    /// Replaces the region registry with `regions` and `successions`, in one transaction.
    fn import_regions(
        &self,
        regions: &[RegionRecord],
        successions: &[SuccessionRecord],
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()>;
    /// Records a later change (a recode, a rename, a merge): retires `from` units on `on`
    /// (when still current), inserts the new units and links them.
    fn record_region_change(
        &self,
        new_units: &[RegionRecord],
        successions: &[SuccessionRecord],
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()>;
    /// How many units of `kind` are valid on `at`.
    fn count_regions(&self, kind: tocsin_core::region::RegionKind, at: Date) -> Result<u64>;
    /// The unit with `code` valid on `at`, if visible through `filter`.
    fn region(&self, code: &str, at: Date, filter: &RegionFilter) -> Result<Option<Region>>;
    /// The units whose parent is `code`, valid on `at`.
    fn children(&self, code: &str, at: Date, filter: &RegionFilter) -> Result<Vec<Region>>;
    /// The current units that took over the unit `code` valid on `at` (itself if still current).
    fn successors(
        &self,
        code: &str,
        at: Date,
        today: Date,
        filter: &RegionFilter,
    ) -> Result<Vec<SuccessorLink>>;
    /// Units whose search key contains `key` (see `tocsin_core::text::search_key`), current ones
    /// first, at most `limit`.
    fn search_regions(
        &self,
        key: &str,
        at: Option<Date>,
        limit: usize,
        filter: &RegionFilter,
    ) -> Result<Vec<Region>>;
    /// The boundary of `code` valid on `at`, as GeoJSON geometry text.
    fn boundary(&self, code: &str, at: Date, filter: &RegionFilter) -> Result<Option<String>>;
    /// `(code, GeoJSON geometry)` of every unit of `kind` valid on `at` that has a boundary.
    fn boundaries(
        &self,
        kind: tocsin_core::region::RegionKind,
        at: Date,
    ) -> Result<Vec<(String, String)>>;
    /// For every current commune, the pre-2025 provinces its predecessor units lay in (through the
    /// 2025 conversion and any later renames): `(commune code, old province code)` pairs.
    fn predecessor_provinces(&self, today: Date) -> Result<Vec<(String, String)>>;

    /// Creates or replaces stations (and their series) in one transaction.
    fn upsert_stations(
        &self,
        stations: &[Station],
        provinces: &[Option<String>],
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()>;
    fn station(&self, id: &str, filter: &RegionFilter) -> Result<Option<Station>>;
    fn stations(&self, filter: &RegionFilter) -> Result<Vec<Station>>;
    /// Every series with what validation and scoping need.
    fn series_catalog(&self) -> Result<Vec<SeriesRow>>;
}

/// Observations: appended in group commits, with the detections they raise, and read back.
pub trait ObservationStore: Send + Sync {
    /// Appends batches of validated observations durably in one transaction (a group commit);
    /// exact duplicates are skipped. Returns one outcome per batch.
    fn append(&self, batches: &[Batch], received_ms: i64) -> Result<Vec<AppendOutcome>>;
    /// Appends batches as [`ObservationStore::append`] does and, in the same transaction, records the
    /// detections `detect` raises from them (as [`DetectionStore::record_detections`] does, moving the
    /// current levels): `detect` is handed each batch's outcome (which observations were newly
    /// stored) before the commit, so a stored observation and the level changes it causes are
    /// durable together or not at all. When this fails nothing of it is stored, and whatever
    /// `detect` changed must be taken back by the caller. Returns the outcomes and the
    /// detections recorded.
    fn append_and_detect(
        &self,
        batches: &[Batch],
        received_ms: i64,
        detect: &mut dyn FnMut(&[AppendOutcome]) -> Vec<Detection>,
    ) -> Result<(Vec<AppendOutcome>, Vec<Detection>)>;
    /// Aggregates per step over `[from, to)`.
    fn series_buckets(&self, query: &SeriesQuery) -> Result<Vec<Bucket>>;
    /// Every stored version of one series at one time.
    fn versions(&self, series: i64, time_ms: i64) -> Result<Vec<ObservationVersion>>;
    /// The newest observed value of every series visible through `filter` (optionally of one province or commune).
    fn latest(&self, filter: &RegionFilter) -> Result<Vec<LatestValue>>;
    /// The number of stored observation rows (all versions).
    fn observation_count(&self) -> Result<u64>;
    /// The current version of every observed value of `series`, in time order (count series of
    /// outbreak rules need their whole history; this reads the whole observation table).
    fn observed_for_series(&self, series: &[i64]) -> Result<Vec<(i64, i64, f64)>>;
    /// The time of the newest observed value, if any.
    fn newest_observed_ms(&self) -> Result<Option<i64>>;
    /// The current version of every observed value since `from_ms`, in time order (to rebuild
    /// evaluation state after a restart or a catalogue change).
    fn observed_since(&self, from_ms: i64) -> Result<Vec<(i64, i64, f64)>>;
    /// The current version of every forecast value valid since `from_ms`, oldest issue first
    /// (to rebuild the forecast curves).
    fn forecast_since(&self, from_ms: i64) -> Result<Vec<Observation>>;
}

/// Detections and the current level of every rule at every station.
pub trait DetectionStore: Send + Sync {
    /// Stores detections (a repeated one is ignored) and moves the current levels; returns how
    /// many were new.
    fn record_detections(&self, detections: &[Detection], recorded_ms: i64) -> Result<usize>;
    /// Detections in `[from, to)` visible through `filter`, newest first, at most `limit`.
    fn detections(
        &self,
        filter: &RegionFilter,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Detection>>;
    /// A page of the detections in `[from, to)` visible through `filter`: those stored after the
    /// sequence number `after_seq`, in sequence order, at most `limit`, each with its sequence
    /// number (the cursor of the next page).
    fn detections_after(
        &self,
        filter: &RegionFilter,
        from_ms: i64,
        to_ms: i64,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<(i64, Detection)>>;
    /// For every active station that has reported: its newest observation time, its longest
    /// reporting interval and where it is.
    fn station_reports(&self) -> Result<Vec<StationReport>>;
    /// Every rule at level 1 or more at a station visible through `filter`.
    fn current_levels(&self, filter: &RegionFilter) -> Result<Vec<Detection>>;
    /// Every stored current level of every station, those back at 0 included, each with the
    /// time it was reached (to reconcile a rebuilt evaluator with what is stored).
    fn stored_levels(&self) -> Result<Vec<Detection>>;
}

/// Warnings, their versions and the released CAP alerts.
pub trait WarningStore: Send + Sync {
    /// Stores warnings' states and new versions, made by `actor`, in one transaction; a new
    /// version supersedes the warning's older unreleased drafts.
    fn record_lifecycle(
        &self,
        warnings: &[WarningRecord],
        versions: &[VersionRecord],
        actor: &Actor,
    ) -> Result<()>;
    /// Stores the warnings that `consumer`'s read of the journal touched and moves its cursor
    /// to `next`, in one transaction.
    fn record_consumed_warnings(
        &self,
        warnings: &[WarningRecord],
        consumer: &str,
        next: u64,
    ) -> Result<()>;
    /// Releases a draft with its alert and stores the warning's new state, in one transaction;
    /// a conflict when the version is not a draft (any more).
    fn publish_version(
        &self,
        warning: &WarningRecord,
        number: u32,
        publication: &Publication,
        actor: &Actor,
    ) -> Result<()>;
    /// Every warning still in force.
    fn open_warnings(&self) -> Result<Vec<WarningRecord>>;
    /// The highest warning id ever used (0 when none).
    fn last_warning_id(&self) -> Result<u64>;
    /// Every version of a warning, oldest first.
    fn warning_versions(&self, warning: u64) -> Result<Vec<VersionRecord>>;
    /// Versions in one of `states` of the provinces `filter` shows, newest first, after
    /// `before` (a version's cursor) when given, at most `limit`.
    /// Versions in `states` (and of `hazard`, when given) within `filter`, newest first.
    fn versions_in(
        &self,
        filter: &RegionFilter,
        states: &[VersionState],
        hazard: Option<&str>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<VersionRecord>>;
    /// The published version with this CAP identifier.
    fn published_by_identifier(&self, identifier: &str) -> Result<Option<VersionRecord>>;
    /// Marks a hazard's levels up to `max_level` for release without approval (0: none).
    fn set_auto_release(
        &self,
        hazard: &str,
        max_level: u8,
        set_by: &str,
        set_ms: i64,
        actor: &Actor,
    ) -> Result<()>;
    /// Every hazard with automatic release, and its highest level.
    fn auto_release(&self) -> Result<Vec<(String, u8)>>;
}

/// Subscriptions to other senders' CAP feeds and the alerts read from them.
pub trait FeedStore: Send + Sync {
    /// Adds a subscription to a feed, due at once; a conflict when the URL is subscribed already.
    fn add_subscription(
        &self,
        url: &str,
        name: &str,
        added_by: &str,
        added_ms: i64,
        actor: &Actor,
    ) -> Result<SubscriptionRecord>;
    /// Every subscription, oldest first.
    fn subscriptions(&self) -> Result<Vec<SubscriptionRecord>>;
    /// Removes a subscription (its alerts stay); false when there was none.
    fn remove_subscription(&self, id: u64, at_ms: i64, actor: &Actor) -> Result<bool>;
    /// Records a poll's outcome: validators, times, failures and error.
    fn record_poll(&self, subscription: &SubscriptionRecord) -> Result<()>;
    /// Whether an alert read from `source` (its URL) is stored already.
    fn has_external_source(&self, source: &str) -> Result<bool>;
    /// Stores an external alert with its regions; `None` when the same sender and identifier
    /// are stored already, else the new id.
    fn insert_external_alert(
        &self,
        alert: &ExternalAlertRecord,
        actor: &Actor,
    ) -> Result<Option<u64>>;
    /// External alerts `filter` shows (by the regions they were placed on; a national filter
    /// shows all, those outside our territory too), newest received first, after `before` when
    /// given, at most `limit`.
    fn external_alerts(
        &self,
        filter: &RegionFilter,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<ExternalAlertRecord>>;
}

/// Recipients, silences, the notification outbox, delivery attempts and acknowledgements.
pub trait DispatchStore: Send + Sync {
    /// Creates or replaces recipients by id, journaled as `actor`'s as `shown`: the same
    /// recipients with every secret of their endpoints replaced (the journal keeps no secret).
    fn upsert_recipients(
        &self,
        recipients: &[RecipientRecord],
        shown: &[RecipientRecord],
        actor: &Actor,
    ) -> Result<()>;
    fn recipients(&self) -> Result<Vec<RecipientRecord>>;
    /// Stores a new silence; its id.
    fn insert_silence(&self, silence: &SilenceRecord, actor: &Actor) -> Result<u64>;
    /// Ends a silence in force now, recording who did it; false when it was not in force.
    fn expire_silence(&self, id: u64, by: &str, at_ms: i64, actor: &Actor) -> Result<bool>;
    /// Every silence ever made, expired ones too (the audit).
    fn silences(&self) -> Result<Vec<SilenceRecord>>;
    /// Stores notifications with their deliveries (the outbox) and the dispatcher's state, in
    /// one transaction.
    fn record_notifications(&self, notifications: &[NewNotification], state: &str) -> Result<()>;
    /// Stores the dispatcher's state alone.
    fn save_dispatch_state(&self, state: &str) -> Result<()>;
    fn dispatch_state(&self) -> Result<Option<String>>;
    /// Pending deliveries due by `now_ms`, oldest first.
    fn due_deliveries(&self, now_ms: i64, limit: usize) -> Result<Vec<DueDelivery>>;
    /// Records one delivery attempt and what follows from it.
    fn record_attempt(&self, delivery: u64, time_ms: i64, outcome: &AttemptOutcome) -> Result<()>;
    /// Records an acknowledgement (the first one counts); the warning and version it was for,
    /// `None` when no notification has that key.
    /// `actor` is who acknowledged; `None` for the notification's recipient, through the link
    /// in its message.
    fn acknowledge(
        &self,
        key: &AckKey,
        by: &str,
        at_ms: i64,
        actor: Option<&Actor>,
    ) -> Result<Option<(u64, u32)>>;
    /// The notification record of the provinces `filter` shows (of one warning, or all),
    /// newest first, after `before` when given, at most `limit`.
    fn notifications(
        &self,
        filter: &RegionFilter,
        warning: Option<u64>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<NotificationRecord>>;
    /// One notification by id, with its deliveries.
    fn notification(&self, id: u64) -> Result<Option<NotificationRecord>>;
}

/// API tokens, user accounts and their sessions.
pub trait AccountStore: Send + Sync {
    /// Stores a token, journaled as `actor`'s.
    fn insert_token(&self, token: &TokenRecord, actor: &Actor) -> Result<()>;
    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>>;

    /// Inserts a user and returns its id; a username taken in any case is a conflict.
    fn insert_user(&self, user: &UserRecord, actor: &Actor) -> Result<u64>;
    fn users(&self) -> Result<Vec<UserRecord>>;
    /// The user with this username, in any case.
    fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>>;
    /// Disables (or enables) a user and ends their sessions; false when unknown.
    fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<bool>;
    /// Replaces a password hash and ends the user's sessions.
    fn set_password_hash(
        &self,
        username: &str,
        hash: &str,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<bool>;
    /// Stores a session, dropping those whose absolute end has passed.
    fn insert_session(&self, session: &SessionRecord, actor: &Actor) -> Result<()>;
    /// The session with this id (hash of its secret) and its user.
    fn session(&self, id: &str) -> Result<Option<(SessionRecord, UserRecord)>>;
    fn touch_session(&self, id: &str, at_ms: i64) -> Result<()>;
    fn delete_session(&self, id: &str) -> Result<bool>;
}

/// Response resources and incidents: their tasks, requests, assignments, roles and timeline.
pub trait ResponseStore: Send + Sync {
    /// Creates or replaces resources by id; what is assigned stays.
    fn upsert_resources(
        &self,
        resources: &[ResourceRecord],
        now_ms: i64,
        actor: &Actor,
    ) -> Result<()>;
    /// The resources of the provinces in `filter`, and the national reserves.
    fn resources(&self, filter: &RegionFilter) -> Result<Vec<ResourceRecord>>;
    /// Opens or extends an incident and books resources for its new requests by the plan
    /// `planner` makes from the free resources, all in one transaction. Every write to an
    /// incident journals each timeline entry it adds as `actor`'s.
    fn update_incident(
        &self,
        update: &IncidentUpdate,
        planner: &dyn Fn(
            &[tocsin_core::response::matching::Available],
            &[tocsin_core::response::matching::Need],
        ) -> tocsin_core::response::matching::Plan,
        actor: &Actor,
    ) -> Result<IncidentOutcome>;
    /// Closes the open tasks and releases the resources of a warning's incidents.
    fn stand_down(&self, warning: u64, now_ms: i64, by: &str, actor: &Actor) -> Result<Vec<u64>>;
    /// Marks a task done (the last one releases the incident's resources); `false` if it was
    /// not open.
    fn complete_task(
        &self,
        incident: u64,
        task: &str,
        now_ms: i64,
        by: &str,
        actor: &Actor,
    ) -> Result<bool>;
    fn set_incident_role(
        &self,
        incident: u64,
        role: &str,
        holder: &str,
        now_ms: i64,
        by: &str,
        actor: &Actor,
    ) -> Result<()>;
    fn add_timeline_entry(&self, incident: u64, entry: &TimelineEntry, actor: &Actor)
    -> Result<()>;
    /// Closes an incident with its after-action report (JSON); `false` if it was not open.
    fn close_incident(
        &self,
        incident: u64,
        after_action: &str,
        now_ms: i64,
        by: &str,
        actor: &Actor,
    ) -> Result<bool>;
    /// Incidents of the provinces in `filter`, newest first, after `before` when given, at most
    /// `limit`.
    fn incidents(
        &self,
        filter: &RegionFilter,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<IncidentRecord>>;
    fn incident(&self, id: u64) -> Result<Option<IncidentDetail>>;
}

/// Reserve stock and fund ledgers, warehouses and funds.
pub trait LedgerStore: Send + Sync {
    /// Posts stock lines all or nothing, journaled as `actor`'s in `region` (a province, or
    /// `VN`); returns the posting and the items now short.
    fn post_stock(
        &self,
        posting: &StockPosting,
        region: &str,
        actor: &Actor,
    ) -> Result<(u64, Vec<tocsin_core::response::ledger::Replenish>)>;
    /// Sets an item's minimum stock in a warehouse, journaled as `actor`'s at `at_ms` in the
    /// warehouse's region.
    fn set_stock_minimum(
        &self,
        warehouse: &str,
        item: &str,
        minimum: u64,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()>;
    /// (warehouse, item, balance, minimum).
    fn stock_balances(&self) -> Result<Vec<(String, String, i64, u64)>>;
    /// Posts a balanced fund transaction, journaled as `actor`'s in `region`; returns its
    /// posting number.
    fn post_funds(&self, posting: &FundPosting, region: &str, actor: &Actor) -> Result<u64>;
    /// One fund posting with its lines, or every posting for posting 0.
    fn fund_postings(&self, posting: u64) -> Result<Vec<(u64, FundPosting)>>;
    fn fund_balances(&self) -> Result<std::collections::BTreeMap<String, i64>>;
    /// The balance of `account` and of every account under it (`{account}:…`) together.
    fn fund_balance_under(&self, account: &str) -> Result<i64>;
    fn upsert_fund(
        &self,
        id: &str,
        name: &str,
        tier: tocsin_core::response::Tier,
        region: &str,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()>;
    /// (id, name, tier, region).
    fn funds(&self) -> Result<Vec<(String, String, String, String)>>;
    /// Creates or renames a reserve warehouse of an administrative level and region.
    fn upsert_warehouse(
        &self,
        id: &str,
        name: &str,
        tier: tocsin_core::response::Tier,
        region: &str,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()>;
    /// (id, name, tier, region).
    fn warehouses(&self) -> Result<Vec<(String, String, String, String)>>;
}

/// Backups and the schema version.
pub trait MaintenanceStore: Send + Sync {
    /// Writes a consistent snapshot of the whole store to `path` while it keeps running.
    fn backup_to(&self, path: &std::path::Path) -> Result<()>;
    /// The schema version after migrations.
    fn schema_version(&self) -> Result<i64>;
}

/// The journal: its entries, the consumers' cursors, the Merkle tree and its signed checkpoints.
pub trait JournalStore: Send + Sync {
    /// The number of journal entries.
    fn journal_size(&self) -> Result<u64>;
    /// Journal entries from index `from` on, at most `limit`, in index order.
    fn journal_entries(&self, from: u64, limit: usize) -> Result<Vec<JournalEntry>>;
    /// The entries of `kinds` from index `from` on, at most `limit`, and where to read next.
    fn journal_read(&self, from: u64, kinds: &[&str], limit: usize) -> Result<JournalRead>;
    /// Where `consumer` reads the journal next (0 before its first read).
    fn journal_cursor(&self, consumer: &str) -> Result<u64>;
    /// The content kept beside the journal under the hex SHA-256 `sha256` (see
    /// `Event::contents`), if any.
    fn journal_content(&self, sha256: &str) -> Result<Option<Vec<u8>>>;
    /// The first entry whose contents are kept beside the journal (the entries before were
    /// written before contents were kept).
    fn content_kept_from(&self) -> Result<u64>;
    /// Journals a change the node keeps outside its database (see
    /// `Change::is_kept_outside`); any other change is refused: the store journals those with
    /// their records.
    fn journal_outside(&self, event: &tocsin_core::change::Event) -> Result<()>;
    /// The entries within `filter` from index `from` on, at most `limit`, and where to read
    /// next: a province's own entries and those of its domains; nothing for a commune.
    /// Entries of the `hidden` kinds are left out (those of the resources the reader may not
    /// read).
    fn journal_read_in(
        &self,
        filter: &RegionFilter,
        from: u64,
        limit: usize,
        hidden: &[&str],
    ) -> Result<JournalRead>;
    /// The records the journal names, as stored, to hold against it.
    fn journaled_records(&self) -> Result<JournaledRecords>;
    /// The hash of the journal's perfect subtree of leaves `[index·2^level, (index+1)·2^level)`.
    fn journal_subtree(&self, level: u32, index: u64) -> Result<[u8; 32]>;
    /// Stores a signed checkpoint (one per tree size; a second of the same size is ignored).
    fn insert_checkpoint(&self, checkpoint: &CheckpointRecord) -> Result<()>;
    /// Every checkpoint, smallest tree first.
    fn checkpoints(&self) -> Result<Vec<CheckpointRecord>>;
    fn latest_checkpoint(&self) -> Result<Option<CheckpointRecord>>;
}

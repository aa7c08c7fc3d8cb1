//! `tocsin audit verify`: recomputes the journal's Merkle tree from its stored entries and
//! checks everything the journal can prove about the node's history, stopping at the first
//! thing that does not match:
//!
//! - every entry is there (indexes from 0 without a gap), its stored leaf hash is the hash of
//!   its leaf, its leaf reads as an event of the kind its row says, and every perfect subtree
//!   the store keeps is the hash of the leaves below it (an entry changed in place, with or
//!   without its hash, is named by the first subtree over it);
//! - every checkpoint, stored or given, is signed by the node's key, lies within the journal
//!   (a journal shorter than a checkpoint was truncated), has the root of the entries it covers,
//!   and is consistent with the one before it;
//! - the records the journal names are as it says — detections, released alerts (their CAP XML
//!   by its SHA-256), acknowledgements and incident timeline entries (their personal values
//!   against the kept salted digests), delivery attempts, silences set and ended, the versions
//!   the warning lifecycle made (their drafts by SHA-256), the notifications queued, and
//!   every stock and fund posting with its lines: each record an entry names is stored with the same
//!   fields, and each made since its kind is journaled (`journal_start`) is named by an entry.

use super::StoredTree;
use std::collections::BTreeMap;
use tocsin_core::change::{Change, Event, Kept, Personal, sha256_hex};
use tocsin_journal::merkle::{self, Frontier, Hash, Subtrees};
use tocsin_journal::note::{Checkpoint, NoteVerifier};
use tocsin_store::{Detection, NATION, Store, StoreError};

/// Entries read from the store at once.
const BATCH: usize = 10_000;

/// What a passing verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub root: Hash,
    pub checkpoints: usize,
    /// Records held against the entries that name them.
    pub records: usize,
}

/// The first thing that does not match, or why the check could not run.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("journal entry {index}: {reason}")]
    Entry { index: u64, reason: String },
    #[error("checkpoint {label}: {reason}")]
    Checkpoint { label: String, reason: String },
    #[error("{what}: {reason}")]
    Record { what: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A checkpoint to check, by where it came from.
struct Head {
    label: String,
    checkpoint: Checkpoint,
}

/// Verifies the journal of `store` with the node's `key`; `outside` are checkpoints kept
/// elsewhere (a witness's copy, one saved earlier), as signed notes with their labels.
pub fn verify(
    store: &dyn Store,
    key: &NoteVerifier,
    outside: &[(String, String)],
) -> Result<Verified, VerifyError> {
    let heads = signed_heads(store, key, outside)?;
    let size = store.journal_size()?;
    if let Some(head) = heads.iter().find(|h| h.checkpoint.size > size) {
        return Err(VerifyError::Checkpoint {
            label: head.label.clone(),
            reason: format!(
                "it covers {} entries, the journal holds {size}: entries were removed from its end",
                head.checkpoint.size
            ),
        });
    }
    let (frontier, journaled) = recompute(store, &heads)?;
    if frontier.size() != size {
        return Err(VerifyError::Entry {
            index: frontier.size(),
            reason: format!("missing: the journal says it holds {size} entries"),
        });
    }
    check_consistency(store, &heads)?;
    let records = check_records(store, journaled)?;
    Ok(Verified {
        entries: size,
        root: frontier.root(),
        checkpoints: heads.len(),
        records,
    })
}

/// The stored and given checkpoints, each signature checked, smallest tree first.
fn signed_heads(
    store: &dyn Store,
    key: &NoteVerifier,
    outside: &[(String, String)],
) -> Result<Vec<Head>, VerifyError> {
    let stored = store
        .checkpoints()?
        .into_iter()
        .map(|c| (format!("of size {} (stored)", c.size), c.note));
    let mut heads = Vec::new();
    for (label, note) in stored.chain(outside.iter().cloned()) {
        let checkpoint = key
            .verify_checkpoint(&note)
            .map_err(|e| VerifyError::Checkpoint {
                label: label.clone(),
                reason: e.to_string(),
            })?;
        if checkpoint.origin != key.name() {
            return Err(VerifyError::Checkpoint {
                label,
                reason: format!("its origin {:?} is not {:?}", checkpoint.origin, key.name()),
            });
        }
        heads.push(Head { label, checkpoint });
    }
    heads.sort_by_key(|h| h.checkpoint.size);
    Ok(heads)
}

/// A record an entry names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Named {
    Detection(i64),
    Alert(u64, u32),
    Acknowledgement(u64),
    TimelineEntry(i64),
    Attempt(u64, u32),
    Silence(u64),
    SilenceEnd(u64),
    Version(u64, u32),
    Notification(u64),
    StockPosting(u64),
    FundPosting(u64),
    Token(String),
    User(u64),
    /// The latest disabling (or enabling) of a user, and the latest password given.
    UserDisabled(u64),
    Password(u64),
}

impl Named {
    /// The record an event names, if it names one (batches of observations are checked by
    /// their own table's triggers and counts, not here).
    fn of(change: &Change) -> Option<Named> {
        match change {
            Change::LevelChanged { detection, .. } if *detection > 0 => {
                Some(Named::Detection(*detection))
            }
            Change::AlertReleased {
                warning, version, ..
            } => Some(Named::Alert(*warning, *version)),
            Change::NotificationAcknowledged { notification, .. } => {
                Some(Named::Acknowledgement(*notification))
            }
            Change::IncidentNoted { entry, .. } => Some(Named::TimelineEntry(*entry)),
            Change::DeliveryAttempted {
                delivery, attempt, ..
            } => Some(Named::Attempt(*delivery, *attempt)),
            Change::SilenceSet { silence, .. } => Some(Named::Silence(*silence)),
            Change::SilenceEnded { silence, .. } => Some(Named::SilenceEnd(*silence)),
            Change::VersionDrafted {
                warning, version, ..
            } => Some(Named::Version(*warning, *version)),
            Change::NotificationQueued { notification, .. } => {
                Some(Named::Notification(*notification))
            }
            Change::StockPosted { posting, .. } => Some(Named::StockPosting(*posting)),
            Change::FundsPosted { posting, .. } => Some(Named::FundPosting(*posting)),
            Change::TokenIssued { token, .. } => Some(Named::Token(token.clone())),
            Change::UserAdded { user, .. } => Some(Named::User(*user)),
            Change::UserDisabled { user, .. } => Some(Named::UserDisabled(*user)),
            Change::PasswordChanged { user, .. } => Some(Named::Password(*user)),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Named::Detection(id) => format!("detection {id}"),
            Named::Alert(warning, version) => {
                format!("alert of warning {warning} version {version}")
            }
            Named::Acknowledgement(id) => format!("acknowledgement of notification {id}"),
            Named::TimelineEntry(id) => format!("timeline entry {id}"),
            Named::Attempt(delivery, attempt) => {
                format!("attempt {attempt} of delivery {delivery}")
            }
            Named::Silence(id) => format!("silence {id}"),
            Named::SilenceEnd(id) => format!("end of silence {id}"),
            Named::Version(warning, version) => format!("version {version} of warning {warning}"),
            Named::Notification(id) => format!("notification {id}"),
            Named::StockPosting(id) => format!("stock posting {id}"),
            Named::FundPosting(id) => format!("fund posting {id}"),
            Named::Token(id) => format!("token {id}"),
            Named::User(id) => format!("user {id}"),
            Named::UserDisabled(id) => format!("disabling of user {id}"),
            Named::Password(id) => format!("password of user {id}"),
        }
    }
}

/// An entry that names a record: its index and event.
struct Journaled {
    index: u64,
    event: Event,
}

/// Streams every entry through a [`Frontier`], checking each entry, each stored subtree and
/// each checkpoint's root as the tree reaches its size; returns the frontier and the entries
/// by the record they name.
fn recompute(
    store: &dyn Store,
    heads: &[Head],
) -> Result<(Frontier, BTreeMap<Named, Journaled>), VerifyError> {
    let tree = StoredTree(store);
    let mut frontier = Frontier::new();
    let mut journaled = BTreeMap::new();
    let mut heads = heads.iter().peekable();
    check_roots(&frontier, &mut heads)?;
    loop {
        let batch = store.journal_entries(frontier.size(), BATCH)?;
        if batch.is_empty() {
            return Ok((frontier, journaled));
        }
        for entry in batch {
            let index = frontier.size();
            let fail = |reason: String| VerifyError::Entry { index, reason };
            if entry.index != index {
                return Err(fail("missing: the next stored entry is a later one".into()));
            }
            if entry.leaf_hash != merkle::leaf_hash(&entry.leaf) {
                return Err(fail("its stored hash is not the hash of its leaf".into()));
            }
            // With the personal values still kept, to hold the records against them.
            let event = entry.event().map_err(fail)?;
            if entry.kind != event.change.kind() {
                return Err(fail(format!(
                    "its row says {}, its leaf {}",
                    entry.kind,
                    event.change.kind()
                )));
            }
            for node in frontier.push(&entry.leaf) {
                if tree.perfect(node.level, node.index)? != node.hash {
                    let width = 1u64 << node.level;
                    let first = node.index * width;
                    return Err(VerifyError::Entry {
                        index: first,
                        reason: format!(
                            "the stored hash over entries {first}..{} is not the hash of their leaves: one of them was changed",
                            first + width - 1
                        ),
                    });
                }
            }
            if let Some(named) = Named::of(&event.change) {
                journaled.insert(named, Journaled { index, event });
            }
            check_roots(&frontier, &mut heads)?;
        }
    }
}

/// Checks the root of every checkpoint of the frontier's size.
fn check_roots<'h>(
    frontier: &Frontier,
    heads: &mut std::iter::Peekable<impl Iterator<Item = &'h Head>>,
) -> Result<(), VerifyError> {
    while let Some(head) = heads.next_if(|h| h.checkpoint.size == frontier.size()) {
        if head.checkpoint.root != frontier.root() {
            return Err(VerifyError::Checkpoint {
                label: head.label.clone(),
                reason: format!(
                    "its root is not the root of the first {} entries: the journal's history was rewritten",
                    head.checkpoint.size
                ),
            });
        }
    }
    Ok(())
}

/// Each checkpoint is consistent with the one before it, by a proof read from the stored tree.
fn check_consistency(store: &dyn Store, heads: &[Head]) -> Result<(), VerifyError> {
    let tree = StoredTree(store);
    for pair in heads.windows(2) {
        let (old, new) = (&pair[0].checkpoint, &pair[1].checkpoint);
        if old.size == 0 {
            continue;
        }
        let inconsistent = |reason: String| VerifyError::Checkpoint {
            label: pair[1].label.clone(),
            reason: format!("not consistent with {}: {reason}", pair[0].label),
        };
        let proof = merkle::consistency_proof(&tree, old.size, new.size)
            .map_err(|e| inconsistent(e.to_string()))?;
        merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &proof)
            .map_err(|e| inconsistent(e.to_string()))?;
    }
    Ok(())
}

/// Every record the journal names against its entry, and every record made since its kind is
/// journaled against the entries: a record no entry names was written outside the node, an
/// entry whose record is gone names a deletion.
fn check_records(
    store: &dyn Store,
    mut journaled: BTreeMap<Named, Journaled>,
) -> Result<usize, VerifyError> {
    let stored = store.journaled_records()?;
    let mut rows: Vec<(Named, bool, Option<&'static str>)> = Vec::new();
    let mut differs =
        |named: Named, checked: bool, differ: &dyn Fn(&Event) -> Option<&'static str>| {
            let field = journaled.get(&named).and_then(|j| differ(&j.event));
            rows.push((named, checked, field));
        };
    for (id, detection) in &stored.detections {
        differs(Named::Detection(*id), true, &|e| {
            differing_field(e, detection)
        });
    }
    for alert in &stored.alerts {
        let named = Named::Alert(alert.warning, alert.version);
        differs(named, alert.checked, &|e| differing_alert(e, alert));
    }
    for ack in &stored.acknowledgements {
        let named = Named::Acknowledgement(ack.notification);
        differs(named, ack.checked, &|e| differing_ack(e, ack));
    }
    for row in &stored.timeline {
        differs(Named::TimelineEntry(row.id), row.checked, &|e| {
            differing_entry(e, row)
        });
    }
    for row in &stored.attempts {
        let named = Named::Attempt(row.delivery, row.attempt);
        differs(named, row.checked, &|e| differing_attempt(e, row));
    }
    for (silence, checked) in &stored.silences {
        differs(Named::Silence(silence.id), *checked, &|e| {
            differing_silence(e, silence)
        });
        if silence.expired_by.is_some() {
            differs(Named::SilenceEnd(silence.id), *checked, &|e| {
                differing_silence_end(e, silence)
            });
        }
    }
    for (version, checked) in &stored.versions {
        let named = Named::Version(version.warning, version.number);
        differs(named, *checked, &|e| differing_version(e, version));
    }
    for (notification, deliveries, checked) in &stored.notifications {
        differs(Named::Notification(notification.id), *checked, &|e| {
            differing_notification(e, notification, *deliveries)
        });
    }
    for (id, posting, checked) in &stored.stock {
        differs(Named::StockPosting(*id), *checked, &|e| {
            differing_stock(e, posting)
        });
    }
    for (id, posting, checked) in &stored.funds {
        differs(Named::FundPosting(*id), *checked, &|e| {
            differing_funds(e, posting)
        });
    }
    for (token, checked) in &stored.tokens {
        differs(Named::Token(token.id.clone()), *checked, &|e| {
            differing_token(e, token)
        });
    }
    for (user, checked) in &stored.users {
        let later = LaterState::of(&journaled, user.id);
        differs(Named::User(user.id), *checked, &|e| {
            differing_user(e, user, &later)
        });
        // Held above through the user's own row.
        differs(Named::UserDisabled(user.id), false, &|_| None);
        differs(Named::Password(user.id), false, &|_| None);
    }
    let count = rows.len();
    for (named, checked, field) in rows {
        match journaled.remove(&named) {
            Some(entry) => {
                if let Some(field) = field {
                    return Err(VerifyError::Record {
                        what: named.describe(),
                        reason: format!(
                            "its {field} is not what journal entry {} says: it was changed",
                            entry.index
                        ),
                    });
                }
            }
            None if checked => {
                return Err(VerifyError::Record {
                    what: named.describe(),
                    reason: "no journal entry names it: it was written outside the node".into(),
                });
            }
            None => {}
        }
    }
    if let Some((named, entry)) = journaled.into_iter().next() {
        return Err(VerifyError::Entry {
            index: entry.index,
            reason: format!("its {} is not stored: it was deleted", named.describe()),
        });
    }
    Ok(count)
}

/// The first field in which a published alert differs from its journaled release.
fn differing_alert(event: &Event, alert: &tocsin_store::ReleasedAlert) -> Option<&'static str> {
    let Change::AlertReleased {
        identifier,
        cap_sha256,
        released_by,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("identifier", *identifier == alert.identifier),
        (
            "CAP XML",
            *cap_sha256 == sha256_hex(alert.cap_xml.as_bytes()),
        ),
        ("releaser", *released_by == alert.released_by),
    ])
}

/// Whether the acknowledgement differs from its journaled one (its kept value, unless erased).
fn differing_ack(event: &Event, ack: &tocsin_store::Acknowledgement) -> Option<&'static str> {
    let Change::NotificationAcknowledged { by, .. } = &event.change else {
        return Some("kind");
    };
    first_differing(&[("acknowledger", kept_matches(by, &ack.acked_by))])
}

/// The first field in which a timeline entry differs from its journaled one.
fn differing_entry(event: &Event, row: &tocsin_store::TimelineRow) -> Option<&'static str> {
    let Change::IncidentNoted {
        incident,
        time_ms,
        note,
        text,
        by,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("incident", *incident == row.incident),
        ("time", *time_ms == row.time_ms),
        ("kind", *note == row.kind),
        ("text", kept_matches(text, &row.text)),
        ("author", *by == row.by),
    ])
}

/// The first field in which a delivery attempt differs from its journaled one.
fn differing_attempt(event: &Event, row: &tocsin_store::AttemptRow) -> Option<&'static str> {
    let Change::DeliveryAttempted {
        time_ms,
        outcome,
        error_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let error = row.error.as_ref().map(|e| sha256_hex(e.as_bytes()));
    first_differing(&[
        ("time", *time_ms == row.time_ms),
        ("outcome", *outcome == row.outcome),
        ("error", *error_sha256 == error),
    ])
}

/// The first field in which a silence differs from its journaled one; an ended silence ends
/// when it was ended, if that came before its own end.
fn differing_silence(event: &Event, row: &tocsin_store::SilenceRecord) -> Option<&'static str> {
    let Change::SilenceSet {
        matchers,
        recipient,
        starts_ms,
        ends_ms,
        author,
        reason,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let ends = row.expired_ms.map_or(*ends_ms, |ended| ended.min(*ends_ms));
    first_differing(&[
        ("matchers", *matchers == row.matchers),
        ("recipient", *recipient == row.recipient),
        ("start", *starts_ms == row.starts_ms),
        ("end", ends == row.ends_ms),
        ("author", kept_matches(author, &row.author)),
        ("reason", kept_matches(reason, &row.reason)),
    ])
}

/// The first field in which an ended silence differs from its journaled end.
fn differing_silence_end(event: &Event, row: &tocsin_store::SilenceRecord) -> Option<&'static str> {
    let Change::SilenceEnded { by, .. } = &event.change else {
        return Some("kind");
    };
    first_differing(&[
        ("ender", Some(by) == row.expired_by.as_ref()),
        ("end time", Some(event.at_ms) == row.expired_ms),
    ])
}

/// The first field in which a warning version differs from the one the lifecycle journaled.
fn differing_version(event: &Event, row: &tocsin_store::VersionRecord) -> Option<&'static str> {
    let Change::VersionDrafted {
        hazard,
        action,
        level,
        made_ms,
        draft_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("hazard", *hazard == row.hazard),
        ("province", event.region == row.province),
        ("action", *action == row.action),
        ("level", *level == row.level),
        ("time", *made_ms == row.made_ms),
        ("draft", *draft_sha256 == sha256_hex(row.draft.as_bytes())),
    ])
}

/// The first field in which a notification differs from its journaled one.
fn differing_notification(
    event: &Event,
    row: &tocsin_store::NotificationRecord,
    stored_deliveries: u32,
) -> Option<&'static str> {
    let Change::NotificationQueued {
        recipient,
        warning,
        version,
        reason,
        suppressed,
        needs_ack,
        deliveries,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("recipient", *recipient == row.recipient),
        (
            "warning",
            (*warning, *version) == (row.warning, row.version),
        ),
        ("province", event.region == row.province),
        ("reason", as_json(reason) == row.reason),
        (
            "suppression",
            suppressed.as_ref().map(as_json) == row.suppressed,
        ),
        ("acknowledgement asked", *needs_ack == row.needs_ack),
        ("time", event.at_ms == row.created_ms),
        ("deliveries", *deliveries == stored_deliveries),
    ])
}

/// The first field in which a stock posting differs from its journaled one.
fn differing_stock(event: &Event, posting: &tocsin_store::StockPosting) -> Option<&'static str> {
    let Change::StockPosted {
        movement,
        lines,
        incident,
        note,
        by,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("kind", *movement == posting.kind),
        ("set of lines", *lines == posting.lines),
        ("incident", *incident == posting.incident),
        ("note", kept_matches(note, &posting.note)),
        ("time", event.at_ms == posting.time_ms),
        ("poster", *by == posting.by),
    ])
}

/// The first field in which a fund posting differs from its journaled one.
fn differing_funds(event: &Event, posting: &tocsin_store::FundPosting) -> Option<&'static str> {
    let Change::FundsPosted {
        purpose,
        lines,
        incident,
        reverses,
        memo,
        by,
        approved_by,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("kind", *purpose == posting.kind),
        ("set of lines", *lines == posting.lines),
        ("incident", *incident == posting.incident),
        ("reversed posting", *reverses == posting.reverses),
        ("memo", kept_matches(memo, &posting.memo)),
        ("time", event.at_ms == posting.time_ms),
        ("poster", *by == posting.by),
        ("approver", *approved_by == posting.approved_by),
    ])
}

/// The names of domains, as an account's event lists them.
fn domain_names(domains: &[tocsin_core::station::Domain]) -> Vec<String> {
    domains.iter().map(|d| d.as_str().to_string()).collect()
}

/// The first field in which a token differs from the one issued (a revoked one was revoked
/// outside the node: there is no revocation to journal yet).
fn differing_token(event: &Event, token: &tocsin_store::TokenRecord) -> Option<&'static str> {
    let Change::TokenIssued {
        name,
        role,
        scope_region,
        domains,
        stations,
        hash_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("name", *name == token.name),
        ("role", role == token.role.as_str()),
        ("scope", *scope_region == token.scope_region),
        ("domains", *domains == domain_names(&token.domains)),
        ("stations", *stations == token.stations),
        (
            "secret's hash",
            *hash_sha256 == sha256_hex(token.hash.as_bytes()),
        ),
        ("revocation", !token.revoked),
    ])
}

/// What the journal says of a user since it was made: whether it was last disabled, and the
/// digest of the last password given.
struct LaterState {
    disabled: Option<bool>,
    password_sha256: Option<String>,
}

impl LaterState {
    fn of(journaled: &BTreeMap<Named, Journaled>, user: u64) -> LaterState {
        let change = |named| journaled.get(&named).map(|j| &j.event.change);
        LaterState {
            disabled: match change(Named::UserDisabled(user)) {
                Some(Change::UserDisabled { disabled, .. }) => Some(*disabled),
                _ => None,
            },
            password_sha256: match change(Named::Password(user)) {
                Some(Change::PasswordChanged {
                    password_sha256, ..
                }) => Some(password_sha256.clone()),
                _ => None,
            },
        }
    }
}

/// The first field in which a user account differs from the one made, or from what the
/// entries after it made of it (disabled, a new password).
fn differing_user(
    event: &Event,
    user: &tocsin_store::UserRecord,
    later: &LaterState,
) -> Option<&'static str> {
    let Change::UserAdded {
        username,
        display_name,
        role,
        scope_region,
        domains,
        password_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let password = later.password_sha256.as_ref().unwrap_or(password_sha256);
    first_differing(&[
        ("username", kept_matches(username, &user.username)),
        (
            "display name",
            kept_matches(display_name, &user.display_name),
        ),
        ("role", role == user.role.as_str()),
        ("scope", *scope_region == user.scope_region),
        ("domains", *domains == domain_names(&user.domains)),
        (
            "disabling",
            later.disabled.unwrap_or(false) == user.disabled,
        ),
        (
            "password",
            *password == sha256_hex(user.password_hash.as_bytes()),
        ),
    ])
}

/// A journaled value as the JSON its column keeps (the store writes it the same way).
fn as_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Whether a stored personal value is the one the entry sealed; an erased one (no salt kept)
/// cannot be checked and passes.
fn kept_matches(sealed: &Personal, stored: &str) -> bool {
    sealed.kept.as_ref().is_none_or(|kept| {
        sealed.matches(&Kept {
            value: stored.to_string(),
            salt: kept.salt,
        })
    })
}

fn first_differing(fields: &[(&'static str, bool)]) -> Option<&'static str> {
    fields
        .iter()
        .find(|(_, same)| !same)
        .map(|(field, _)| *field)
}

/// The first field in which a stored detection differs from its journaled level change.
fn differing_field(event: &Event, d: &Detection) -> Option<&'static str> {
    let Change::LevelChanged {
        station,
        rule,
        hazard,
        commune,
        from,
        to,
        time_ms,
        value,
        certainty,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let province = d.province.as_deref().unwrap_or(NATION);
    first_differing(&[
        ("station", *station == d.station),
        ("rule", *rule == d.rule),
        ("hazard", *hazard == d.hazard),
        ("commune", *commune == d.commune),
        ("province", event.region == province),
        ("from level", *from == d.from_level),
        ("level", *to == d.to_level),
        ("time", *time_ms == d.time_ms),
        ("value", *value == d.value.to_string()),
        ("certainty", *certainty == d.certainty),
    ])
}

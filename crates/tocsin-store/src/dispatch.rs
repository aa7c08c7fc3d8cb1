//! Records of dissemination: recipients with their endpoints, silences, notifications with
//! their deliveries, and every delivery attempt.

use crate::page::{Cursor, Paged};
use tocsin_core::dispatch::{Reason, Suppression};

/// An agency that receives warnings, with its endpoints (JSON list).
#[derive(Debug, Clone, PartialEq)]
pub struct RecipientRecord {
    pub id: String,
    pub name: String,
    pub sector: String,
    pub region: String,
    pub tier: String,
    pub exercises: bool,
    /// `vi` or `en`.
    pub language: String,
    pub endpoints: String,
    /// The endpoints marked for exercises (JSON).
    pub exercise_endpoints: String,
    pub updated_ms: i64,
}

/// A silence as stored (matchers as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceRecord {
    pub id: u64,
    pub matchers: String,
    pub recipient: Option<String>,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub author: String,
    pub reason: String,
    pub created_ms: i64,
    pub expired_by: Option<String>,
    pub expired_ms: Option<i64>,
}

/// A notification to store, with one delivery per endpoint of its recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub recipient: String,
    pub warning: u64,
    pub version: u32,
    pub province: String,
    /// Why it was made.
    pub reason: Reason,
    /// Why it is held back, if it is (then it has no deliveries).
    pub suppressed: Option<Suppression>,
    pub needs_ack: bool,
    pub created_ms: i64,
    pub ack_token: String,
    /// (endpoint JSON, idempotency key) per delivery.
    pub deliveries: Vec<(String, String)>,
}

/// A delivery due for an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub id: u64,
    pub notification: u64,
    pub recipient: String,
    pub warning: u64,
    pub version: u32,
    pub endpoint: String,
    pub idempotency_key: String,
    pub attempts: u32,
    pub needs_ack: bool,
    pub ack_token: String,
}

/// What one attempt did.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    Delivered,
    /// Failed; tried again at `retry_ms` when given, else given up.
    Failed {
        reason: String,
        retry_ms: Option<i64>,
    },
}

/// One attempt as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub attempt: u32,
    pub time_ms: i64,
    pub outcome: String,
    pub error: Option<String>,
}

/// One delivery with its attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub endpoint: String,
    pub idempotency_key: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub delivered_ms: Option<i64>,
    pub attempts: Vec<AttemptRecord>,
}

/// A notification as the record shows it: who was told what, when, and whether they acted.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub id: u64,
    pub recipient: String,
    pub warning: u64,
    pub version: u32,
    pub province: String,
    pub reason: String,
    pub suppressed: Option<String>,
    pub needs_ack: bool,
    pub created_ms: i64,
    pub acked_by: Option<String>,
    pub acked_ms: Option<i64>,
    pub deliveries: Vec<DeliveryRecord>,
}

/// Which notification an acknowledgement is for.
#[derive(Debug, Clone, PartialEq)]
pub enum AckKey {
    Id(u64),
    /// The secret of the link in the message.
    Token(String),
}

impl Paged for NotificationRecord {
    const ARITY: usize = 2;
    fn cursor(&self) -> Cursor {
        Cursor::new(vec![self.created_ms, self.id as i64])
    }
}

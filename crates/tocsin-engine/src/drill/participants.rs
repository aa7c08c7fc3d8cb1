//! The drill's participants: the recipients they are, reached through the exercise inbox; the
//! channel faults that cut them off; and the acknowledgements they make, each after its delay.

use super::Drill;
use super::inbox::Inbox;
use super::runner::timestamp;
use super::scenario::{FaultKind, Scenario};
use crate::engine::Engine;
use crate::error::{EngineError, Result};

impl Drill<'_> {
    /// Cuts off the participants whose channel a fault has down at `t`; the others are reached.
    pub(super) fn set_channels(&self, t: i64) {
        let Some(inbox) = &self.inbox else {
            return;
        };
        let participants = &self.scenario.file.participant;
        let down = self
            .scenario
            .file
            .fault
            .iter()
            .filter(|f| f.kind == FaultKind::ChannelDown && f.holds_at(t))
            .flat_map(|f| {
                if f.participants.is_empty() {
                    participants.iter().map(|p| p.id.clone()).collect()
                } else {
                    f.participants.clone()
                }
            })
            .collect();
        inbox.cut_off(down);
    }

    /// Plans the acknowledgement of every notice that reached a participant who acknowledges.
    pub(super) fn plan_acks(&mut self, now: i64) {
        let Some(inbox) = &self.inbox else {
            return;
        };
        for notice in inbox.take() {
            let (Some(after), Some(token)) =
                (self.ack_after_ms.get(&notice.participant), notice.ack_token)
            else {
                continue;
            };
            if self.planned.insert(notice.notification) {
                self.acks.push((now + after, token));
            }
        }
    }

    /// Makes the acknowledgements due by `now`, each at its own time but not before `earliest`
    /// (escalations due before it happen first).
    pub(super) fn acknowledge_due(
        &mut self,
        engine: &Engine,
        earliest: i64,
        now: i64,
    ) -> Result<()> {
        self.acks.sort();
        let due: Vec<(i64, String)> = self
            .acks
            .iter()
            .filter(|(t, _)| *t <= now)
            .cloned()
            .collect();
        self.acks.retain(|(t, _)| *t > now);
        for (t, token) in due {
            self.clock.set(timestamp(t.max(earliest))?);
            engine.run_dispatch()?;
            engine.acknowledge_link(&token)?;
        }
        Ok(())
    }
}

/// The exercise inbox and the recipients the participants are, each reached by a webhook into
/// the inbox; no inbox without participants.
pub(super) fn participants(
    scenario: &Scenario,
) -> Result<(Option<Inbox>, Vec<crate::dispatch::RecipientEntry>)> {
    let file = &scenario.file;
    if file.participant.is_empty() {
        return Ok((None, Vec::new()));
    }
    let inbox = Inbox::start()
        .map_err(|e| EngineError::Invalid(format!("the drill cannot open its inbox: {e}")))?;
    let entries = file
        .participant
        .iter()
        .map(|p| crate::dispatch::RecipientEntry {
            recipient: tocsin_core::dispatch::Recipient {
                id: p.id.clone(),
                name: p.name.clone(),
                sector: p.sector.clone(),
                region: p.region.clone(),
                tier: p.tier,
                exercises: true,
            },
            language: p.language.clone(),
            endpoints: Vec::new(),
            exercise_endpoints: vec![crate::channels::Endpoint::Webhook {
                url: inbox.url(&p.id),
                secret: None,
                body: crate::channels::WebhookBody::Json,
            }],
        })
        .collect();
    Ok((Some(inbox), entries))
}

//! Conformance of recipients, silences, the notification outbox and its record.

use crate::traits::*;
use crate::*;
use tocsin_core::change::{Actor, Change};
use tocsin_core::dispatch::Reason;

pub(crate) fn notification(recipient: &str, key: &str) -> NewNotification {
    NewNotification {
        recipient: recipient.into(),
        warning: 1,
        version: 2,
        province: "15".into(),
        reason: Reason::Route {
            route: "commune".into(),
        },
        suppressed: None,
        needs_ack: true,
        created_ms: 1000,
        ack_token: format!("token-{recipient}"),
        deliveries: vec![(r#"{"channel":"email","address":"a@b"}"#.into(), key.into())],
    }
}

pub fn the_record_pages_newest_first_and_rows_added_meanwhile_do_not_shift_it(store: &dyn Store) {
    let batch = |names: &[&str]| -> Vec<NewNotification> {
        names
            .iter()
            .map(|n| notification(n, &format!("k-{n}")))
            .collect()
    };
    store
        .record_notifications(&batch(&["a", "b", "c", "d", "e"]), "{}")
        .unwrap();
    let page = |before: Option<&Cursor>| {
        let rows = store
            .notifications(&RegionFilter::all(), None, before, 2 + 1)
            .unwrap();
        crate::Page::cut(rows, 2)
    };
    let first = page(None);
    let names = |p: &crate::Page<NotificationRecord>| -> Vec<String> {
        p.items.iter().map(|n| n.recipient.clone()).collect()
    };
    assert_eq!(names(&first), ["e", "d"]);
    // Newer notifications arrive while the client pages: they are above its cursor.
    store
        .record_notifications(&batch(&["f", "g"]), "{}")
        .unwrap();
    let second = page(first.next.as_ref());
    assert_eq!(names(&second), ["c", "b"]);
    let last = page(second.next.as_ref());
    assert_eq!(names(&last), ["a"]);
    assert!(last.next.is_none(), "the end of the list says so");
}

pub fn the_outbox_keeps_every_attempt_and_the_first_acknowledgement(store: &dyn Store) {
    store
        .record_notifications(&[notification("a", "k1"), notification("b", "k2")], "{}")
        .unwrap();
    assert_eq!(store.due_deliveries(999, 10).unwrap().len(), 0);
    let due = store.due_deliveries(1000, 10).unwrap();
    assert_eq!(due.len(), 2);
    let failed = AttemptOutcome::Failed {
        reason: "503".into(),
        retry_ms: Some(5000),
    };
    store.record_attempt(due[0].id, 1000, &failed).unwrap();
    store
        .record_attempt(due[1].id, 1000, &AttemptOutcome::Delivered)
        .unwrap();
    assert!(store.due_deliveries(4999, 10).unwrap().is_empty());
    let again = store.due_deliveries(5000, 10).unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    store
        .record_attempt(again[0].id, 5000, &AttemptOutcome::Delivered)
        .unwrap();
    assert_eq!(
        store
            .acknowledge(&AckKey::Token("token-a".into()), "ubnd", 6000, None)
            .unwrap(),
        Some((1, 2))
    );
    store
        .acknowledge(
            &AckKey::Token("token-a".into()),
            "someone later",
            7000,
            None,
        )
        .unwrap();
    assert_eq!(
        store
            .acknowledge(&AckKey::Token("nope".into()), "x", 7000, None)
            .unwrap(),
        None
    );
    let record = store
        .notifications(&RegionFilter::all(), Some(1), None, 10)
        .unwrap();
    let a = record.iter().find(|n| n.recipient == "a").unwrap();
    assert_eq!(
        (a.acked_by.as_deref(), a.acked_ms),
        (Some("ubnd"), Some(6000))
    );
    let outcomes: Vec<&str> = a.deliveries[0]
        .attempts
        .iter()
        .map(|t| t.outcome.as_str())
        .collect();
    assert_eq!(
        (outcomes, a.deliveries[0].state.as_str()),
        (vec!["failed", "delivered"], "delivered")
    );
    assert_eq!(store.dispatch_state().unwrap().as_deref(), Some("{}"));
}

pub fn silences_expire_with_who_and_when_and_stay_in_the_audit(store: &dyn Store) {
    let silence = SilenceRecord {
        id: 0,
        matchers: "{}".into(),
        recipient: None,
        starts_ms: 0,
        ends_ms: 10_000,
        author: "duty officer".into(),
        reason: "maintenance".into(),
        created_ms: 0,
        expired_by: None,
        expired_ms: None,
    };
    let node = tocsin_core::change::Actor::Node;
    let id = store.insert_silence(&silence, &node).unwrap();
    assert!(store.expire_silence(id, "supervisor", 5000, &node).unwrap());
    assert!(!store.expire_silence(id, "supervisor", 6000, &node).unwrap());
    let all = store.silences().unwrap();
    assert_eq!(
        (all[0].ends_ms, all[0].expired_by.as_deref()),
        (5000, Some("supervisor"))
    );
}

pub fn recipients_are_replaced_by_id_and_journaled_with_their_endpoints_sealed(store: &dyn Store) {
    let recipient = RecipientRecord {
        id: "pccc-01".into(),
        name: "Ban chỉ huy PCTT Hà Nội".into(),
        sector: "disaster".into(),
        region: "01".into(),
        tier: "province".into(),
        exercises: false,
        language: "vi".into(),
        endpoints: r#"[{"sms":"+84912345678"},{"webhook":"http://h.example","secret":"k3y"}]"#
            .into(),
        exercise_endpoints: "[]".into(),
        updated_ms: 1000,
    };
    // What the journal is shown: the secrets replaced, as the desk does.
    let shown = |r: &RecipientRecord| RecipientRecord {
        endpoints: r.endpoints.replace("k3y", "set"),
        ..r.clone()
    };
    let actor = Actor::User("admin".into());
    store
        .upsert_recipients(
            std::slice::from_ref(&recipient),
            &[shown(&recipient)],
            &actor,
        )
        .unwrap();
    assert!(
        matches!(
            store.upsert_recipients(std::slice::from_ref(&recipient), &[], &actor),
            Err(StoreError::Conflict(_))
        ),
        "every recipient is shown to the journal"
    );
    let renamed = RecipientRecord {
        name: "BCH PCTT Hà Nội".into(),
        updated_ms: 2000,
        ..recipient
    };
    store
        .upsert_recipients(std::slice::from_ref(&renamed), &[shown(&renamed)], &actor)
        .unwrap();
    assert_eq!(store.recipients().unwrap(), std::slice::from_ref(&renamed));
    let entries = store.journal_entries(0, 10).unwrap();
    assert_eq!(entries.len(), 2);
    let last = &entries[1];
    assert_eq!(
        (last.kind.as_str(), last.region.as_str(), last.at_ms),
        ("recipient_set", "01", 2000)
    );
    assert!(
        !String::from_utf8_lossy(&last.leaf).contains("0912345678"),
        "the number is sealed"
    );
    let Change::RecipientSet { endpoints, .. } = last.event().unwrap().change else {
        panic!("{last:?}");
    };
    assert_eq!(
        endpoints.kept.map(|k| k.value),
        Some(shown(&renamed).endpoints),
        "kept beside the leaf without its secret"
    );
}

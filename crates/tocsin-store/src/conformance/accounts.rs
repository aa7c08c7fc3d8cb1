//! Conformance of user accounts and sign-in sessions.

use crate::traits::*;
use crate::*;
use tocsin_core::change::Actor;

pub(crate) fn user(name: &str) -> UserRecord {
    UserRecord {
        id: 0,
        username: name.into(),
        display_name: "Nguyễn Văn A".into(),
        password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA".into(),
        role: Role::Operator,
        scope_region: "01".into(),
        domains: vec![Domain::Hydromet],
        created_ms: 1000,
        disabled: false,
    }
}

pub(crate) fn session_of(user: u64, id: &str, created_ms: i64) -> SessionRecord {
    SessionRecord {
        id: id.into(),
        user,
        created_ms,
        expires_ms: created_ms + 10_000,
        last_seen_ms: created_ms,
        csrf_token: format!("csrf-{id}"),
    }
}

pub fn usernames_are_unique_in_any_case_and_read_back_whole(store: &dyn Store) {
    let id = store.insert_user(&user("lan"), &Actor::Node).unwrap();
    let err = store.insert_user(&user("LAN"), &Actor::Node).unwrap_err();
    assert_eq!(err.to_string(), "username: \"LAN\" is already taken");
    let found = store.user_by_name("Lan").unwrap().unwrap();
    assert_eq!(found, UserRecord { id, ..user("lan") });
    assert_eq!(store.users().unwrap(), vec![found]);
    assert_eq!(store.user_by_name("nobody").unwrap(), None);
}

pub fn sessions_are_read_touched_and_ended_with_their_user(store: &dyn Store) {
    let id = store.insert_user(&user("lan"), &Actor::Node).unwrap();
    store
        .insert_session(&session_of(id, "s1", 1000), &Actor::Node)
        .unwrap();
    let (session, owner) = store.session("s1").unwrap().unwrap();
    assert_eq!(
        (session.csrf_token.as_str(), owner.username.as_str()),
        ("csrf-s1", "lan")
    );
    store.touch_session("s1", 5000).unwrap();
    assert_eq!(store.session("s1").unwrap().unwrap().0.last_seen_ms, 5000);
    assert!(store.delete_session("s1").unwrap());
    assert!(!store.delete_session("s1").unwrap());
    assert_eq!(store.session("s1").unwrap(), None);
}

pub fn a_new_session_drops_those_past_their_end(store: &dyn Store) {
    let id = store.insert_user(&user("lan"), &Actor::Node).unwrap();
    store
        .insert_session(&session_of(id, "old", 1000), &Actor::Node)
        .unwrap();
    store
        .insert_session(&session_of(id, "new", 11_000), &Actor::Node)
        .unwrap();
    assert_eq!(store.session("old").unwrap(), None);
    assert!(store.session("new").unwrap().is_some());
}

pub fn disabling_or_a_new_password_ends_every_session_of_the_user(store: &dyn Store) {
    let id = store.insert_user(&user("lan"), &Actor::Node).unwrap();
    store
        .insert_session(&session_of(id, "s1", 1000), &Actor::Node)
        .unwrap();
    assert!(
        store
            .set_user_disabled("LAN", true, 2000, &Actor::Node)
            .unwrap()
    );
    assert_eq!(store.session("s1").unwrap(), None);
    assert!(store.user_by_name("lan").unwrap().unwrap().disabled);
    store
        .insert_session(&session_of(id, "s2", 1000), &Actor::Node)
        .unwrap();
    assert!(
        store
            .set_password_hash("lan", "$argon2id$new", 2000, &Actor::Node)
            .unwrap()
    );
    assert_eq!(store.session("s2").unwrap(), None);
    assert!(
        !store
            .set_password_hash("nobody", "x", 2000, &Actor::Node)
            .unwrap()
    );
}

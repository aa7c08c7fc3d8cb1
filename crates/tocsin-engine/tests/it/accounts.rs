//! User accounts and sessions on a manual clock: sign-in, refusals, throttling by client, idle
//! and absolute expiry, disabled accounts, the password policy and a provincial user's scope.
//! Hashes use the cheapest Argon2 cost ([`PasswordCost::TESTS`]) so the suite stays fast.

use jiff::SignedDuration;
use std::sync::Arc;
use tocsin_core::Clock;
use tocsin_core::access::{Role, Scope};
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;
use tocsin_engine::accounts::{AccountSettings, PasswordCost, SignInError, configure};
use tocsin_engine::{Engine, EngineOptions, FilterRoot};

const PASSWORD: &str = "mưa-lớn-2026-đê";

struct Desk {
    engine: Engine,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

impl Desk {
    /// An engine on an empty registry (nation-scoped users need no regions).
    fn new() -> Desk {
        Desk::open(false)
    }

    fn open(with_regions: bool) -> Desk {
        configure(AccountSettings {
            password_cost: PasswordCost::TESTS,
            https_only: false,
        });
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
        let options = EngineOptions::new(tocsin_engine::Durability::Normal);
        let engine = Engine::open(dir.path(), &options, clock.clone()).unwrap();
        if with_regions {
            engine
                .import_regions(&crate::shared_admin_dir(), &[])
                .unwrap();
        }
        Desk {
            engine,
            clock,
            _dir: dir,
        }
    }

    fn add(&self, username: &str, role: Role, region: &str) {
        let scope = Scope {
            region: region.into(),
            ..Scope::nation()
        };
        self.engine
            .create_user(&admin(), username, "", PASSWORD, role, scope)
            .unwrap();
    }

    fn advance(&self, minutes: i64) {
        self.clock
            .set(self.clock.now() + SignedDuration::from_mins(minutes));
    }

    fn refusal(&self, username: &str, password: &str) -> String {
        self.engine
            .sign_in(username, password)
            .unwrap_err()
            .to_string()
    }
}

fn admin() -> Principal {
    Principal::local_admin()
}

#[test]
fn a_sign_in_opens_a_session_that_acts_as_the_user() {
    let desk = Desk::new();
    desk.add("lan", Role::Operator, "VN");
    let signed = desk.engine.sign_in("  LAN ", PASSWORD).unwrap();
    assert!(signed.secret.starts_with("tss_"));
    assert_eq!(signed.session.csrf_token.len(), 64);
    let session = desk.engine.session(&signed.secret).unwrap().unwrap();
    assert_eq!(session.principal.token_id, "user:lan");
    assert_eq!(session.principal.role, Role::Operator);
    assert_eq!(session.principal.filter.root, FilterRoot::Nation);
    assert_eq!(session.csrf_token, signed.session.csrf_token);
    assert_eq!(desk.engine.session("tss_forged").unwrap(), None);
}

#[test]
fn passwords_are_stored_as_argon2id_phc_strings() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    let stored = desk.engine.store().user_by_name("lan").unwrap().unwrap();
    assert!(
        stored
            .password_hash
            .starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
        "{}",
        stored.password_hash
    );
    assert!(!stored.password_hash.contains(PASSWORD));
}

#[test]
fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    assert_eq!(
        desk.refusal("lan", "not-the-password"),
        "wrong username or password"
    );
    assert_eq!(
        desk.refusal("nobody", PASSWORD),
        "wrong username or password"
    );
    assert_eq!(desk.refusal("", PASSWORD), "wrong username or password");
}

const STRANGER: &str = "203.0.113.9";
const OFFICE: &str = "198.51.100.7";

/// Signs in as `username` from `client`; the answer as text, `ok` on success.
fn attempt(desk: &Desk, client: &str, username: &str, password: &str) -> String {
    match desk.engine.sign_in_from(client, username, password) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_strangers_failures_slow_the_stranger_and_never_lock_the_officer_out() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    let mut throttled = 0;
    let mut failures = 0;
    while failures < 50 {
        match desk.engine.sign_in_from(STRANGER, "lan", "wrong-password!") {
            Err(SignInError::Throttled { wait_ms }) => {
                throttled += 1;
                desk.clock
                    .set(desk.clock.now() + SignedDuration::from_millis(wait_ms));
            }
            Err(SignInError::Refused) => failures += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(throttled, 47, "every failure past the third waits");
    assert_eq!(
        attempt(&desk, STRANGER, "lan", PASSWORD),
        "too many failed sign-ins from this client; try again in 900 s"
    );
    assert_eq!(attempt(&desk, OFFICE, "lan", PASSWORD), "ok");
}

#[test]
fn spraying_one_password_over_many_usernames_is_throttled() {
    let desk = Desk::new();
    let answers: Vec<String> = (0..100)
        .map(|i| attempt(&desk, STRANGER, &format!("officer{i}"), PASSWORD))
        .collect();
    let refused = answers
        .iter()
        .take_while(|a| *a == "wrong username or password")
        .count();
    assert_eq!(refused, 10, "{answers:?}");
    assert!(
        answers[10..]
            .iter()
            .all(|a| a.starts_with("too many failed sign-ins"))
    );
    desk.add("lan", Role::Viewer, "VN");
    assert_eq!(attempt(&desk, OFFICE, "lan", PASSWORD), "ok");
}

#[test]
fn a_success_forgets_the_failures_on_that_username() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    for _ in 0..2 {
        desk.refusal("lan", "wrong-password!");
    }
    desk.engine.sign_in("lan", PASSWORD).unwrap();
    for _ in 0..3 {
        assert_eq!(
            desk.refusal("lan", "wrong-password!"),
            "wrong username or password"
        );
    }
}

#[test]
fn unknown_usernames_are_throttled_alike_so_waits_do_not_reveal_accounts() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    for username in ["lan", "nobody"] {
        for _ in 0..3 {
            desk.refusal(username, "wrong-password!");
        }
        assert_eq!(
            desk.refusal(username, PASSWORD),
            "too many failed sign-ins from this client; try again in 1 s"
        );
    }
}

#[test]
fn a_session_ends_after_twelve_idle_hours() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    let secret = desk.engine.sign_in("lan", PASSWORD).unwrap().secret;
    desk.advance(11 * 60 + 59);
    assert!(desk.engine.session(&secret).unwrap().is_some());
    desk.advance(11 * 60 + 59);
    assert!(
        desk.engine.session(&secret).unwrap().is_some(),
        "use slides the idle end"
    );
    desk.advance(12 * 60);
    assert_eq!(desk.engine.session(&secret).unwrap(), None);
}

#[test]
fn a_session_ends_seven_days_after_sign_in_however_used() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    let secret = desk.engine.sign_in("lan", PASSWORD).unwrap().secret;
    for _ in 0..13 {
        desk.advance(11 * 60);
        assert!(desk.engine.session(&secret).unwrap().is_some());
    }
    desk.advance(24 * 60);
    assert_eq!(desk.engine.session(&secret).unwrap(), None);
}

#[test]
fn signing_out_ends_the_session() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    let secret = desk.engine.sign_in("lan", PASSWORD).unwrap().secret;
    assert!(desk.engine.sign_out(&secret).unwrap());
    assert_eq!(desk.engine.session(&secret).unwrap(), None);
    assert!(!desk.engine.sign_out(&secret).unwrap());
}

#[test]
fn a_disabled_user_cannot_sign_in_and_loses_open_sessions() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    let secret = desk.engine.sign_in("lan", PASSWORD).unwrap().secret;
    desk.engine.disable_user(&admin(), "Lan").unwrap();
    assert_eq!(desk.engine.session(&secret).unwrap(), None);
    assert_eq!(
        desk.refusal("lan", PASSWORD),
        "username: the account \"lan\" is disabled"
    );
    assert_eq!(
        desk.engine
            .disable_user(&admin(), "nobody")
            .unwrap_err()
            .to_string(),
        "username: no account \"nobody\""
    );
    assert!(desk.engine.users(&admin()).unwrap()[0].disabled);
}

#[test]
fn a_new_password_ends_sessions() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    let secret = desk.engine.sign_in("lan", PASSWORD).unwrap().secret;
    desk.engine
        .set_password(&admin(), "lan", "một mật khẩu mới")
        .unwrap();
    assert_eq!(desk.engine.session(&secret).unwrap(), None);
    desk.engine.sign_in("lan", "một mật khẩu mới").unwrap();
    assert_eq!(desk.refusal("lan", PASSWORD), "wrong username or password");
}

/// Creates `username` with `password` and `role` at the national scope; the error, if any.
fn check(username: &str, password: &str, role: Role, expected: &str) {
    let desk = Desk::new();
    let created = desk
        .engine
        .create_user(&admin(), username, "", password, role, Scope::nation());
    let got = created.map_or_else(|e| e.to_string(), |u| format!("created {}", u.username));
    assert_eq!(got, expected, "{username:?} / {password:?}");
}

#[test]
fn the_password_policy_and_the_account_fields_are_checked() {
    let role = Role::Viewer;
    check("Lan.Nguyen", PASSWORD, role, "created lan.nguyen");
    check(
        "lan",
        "short-pass1",
        role,
        "password: must be at least 12 characters",
    );
    check("lan", "mười hai kí ", role, "created lan");
    check(
        "administrator",
        "Administrator",
        role,
        "password: must not be the username",
    );
    check(
        "lan nguyen",
        PASSWORD,
        role,
        "username: use 1 to 64 letters a-z, digits, '.', '_' or '-'",
    );
    check(
        "",
        PASSWORD,
        role,
        "username: use 1 to 64 letters a-z, digits, '.', '_' or '-'",
    );
    check(
        "gauge",
        PASSWORD,
        Role::Ingest,
        "role: ingest is for stations and gateways (use a token); users are viewer, operator or admin",
    );
    check(
        "lan",
        &"x".repeat(1025),
        role,
        "password: must be at most 1024 bytes",
    );
}

#[test]
fn usernames_are_unique_in_any_case() {
    let desk = Desk::new();
    desk.add("lan", Role::Viewer, "VN");
    let again = desk
        .engine
        .create_user(&admin(), "LAN", "", PASSWORD, Role::Viewer, Scope::nation())
        .unwrap_err();
    assert_eq!(again.to_string(), "username: \"lan\" is already taken");
}

#[test]
fn only_national_administrators_manage_accounts() {
    let desk = Desk::new();
    desk.add("lan", Role::Operator, "VN");
    let operator = desk
        .engine
        .sign_in("lan", PASSWORD)
        .unwrap()
        .session
        .principal;
    let refused = desk
        .engine
        .create_user(
            &operator,
            "minh",
            "",
            PASSWORD,
            Role::Admin,
            Scope::nation(),
        )
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "user accounts are managed by national administrators"
    );
    assert!(desk.engine.users(&operator).is_err());
}

#[test]
fn a_provincial_user_acts_within_their_province() {
    let desk = Desk::open(true);
    desk.add("hanoi", Role::Operator, "01");
    let session = desk.engine.sign_in("hanoi", PASSWORD).unwrap().session;
    assert_eq!(
        session.principal.filter.root,
        FilterRoot::Province("01".into())
    );
    assert_eq!(session.user.scope.region, "01");
    let outside = desk.engine.region(&session.principal, "15", None);
    assert!(outside.is_err(), "Lào Cai is outside Hà Nội's scope");
    desk.engine.region(&session.principal, "01", None).unwrap();
    let unknown = desk.engine.create_user(
        &admin(),
        "nowhere",
        "",
        PASSWORD,
        Role::Viewer,
        Scope {
            region: "99".into(),
            ..Scope::nation()
        },
    );
    assert_eq!(
        unknown.unwrap_err().to_string(),
        "scope: no current region 99"
    );
}

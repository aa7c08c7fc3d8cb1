//! `tocsin user …`: the password comes from standard input and is checked by the policy; the
//! account can then sign in, be listed, get a new password and be disabled.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `tocsin user create ARGS` with `stdin` as standard input.
fn create(data: &str, args: &[&str], stdin: &str) -> Output {
    user(&["create", "--data", data], args, stdin)
}

/// Runs `tocsin user COMMAND ARGS` with `stdin` as standard input.
fn user(command: &[&str], args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("user")
        .args(command)
        .args(args)
        .env("TOCSIN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tocsin binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_create_reads_the_password_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let args = [
        "--username",
        "Lan",
        "--role",
        "operator",
        "--name",
        "Nguyễn Thị Lan",
    ];
    let made = create(data, &args, "một mật khẩu dài\n");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&made.stdout),
        "user lan created: role operator, scope VN\n"
    );
    let short = create(data, &["--username", "minh", "--role", "viewer"], "short\n");
    assert!(!short.status.success());
    let errors = String::from_utf8_lossy(&short.stderr);
    assert!(
        errors.contains("password: must be at least 12 characters"),
        "{errors}"
    );
    let clock = std::sync::Arc::new(tocsin_engine::clock::SystemClock);
    let options = tocsin_engine::EngineOptions::new(tocsin_engine::Durability::Full);
    let engine = tocsin_engine::Engine::open(&dir.path().join("data"), &options, clock).unwrap();
    let signed = engine.sign_in("lan", "một mật khẩu dài").unwrap();
    assert_eq!(signed.session.user.display_name, "Nguyễn Thị Lan");
    drop(engine);

    let listed = user(&["list", "--data", data], &[], "");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "lan\toperator\tVN\tactive\tNguyễn Thị Lan\n"
    );
    let changed = user(
        &["password", "--data", data, "--username", "lan"],
        &[],
        "một mật khẩu khác hẳn\n",
    );
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    let disabled = user(&["disable", "--data", data, "--username", "lan"], &[], "");
    assert!(
        disabled.status.success(),
        "{}",
        String::from_utf8_lossy(&disabled.stderr)
    );
    let listed = user(&["list", "--data", data], &[], "");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("\tdisabled\t"));
    let unknown = user(
        &["disable", "--data", data, "--username", "nobody"],
        &[],
        "",
    );
    assert!(!unknown.status.success());
}

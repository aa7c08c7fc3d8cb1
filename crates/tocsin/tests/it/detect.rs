//! `tocsin detect outbreak` on the shared salmonella series: its CSV matches R's reference
//! output row by row (glrnb included); an option the method does not have, or a value it
//! cannot take, is refused by name.

use crate::{tocsin, tocsin_ok};
use std::path::{Path, PathBuf};

fn reference(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/surveillance")
        .join(file)
}

/// Runs the command with `options` over the reference's range and lists the rows that differ
/// from R's (t, observed, upperbound within 1e-6, alarm).
fn check(file: &str, options: &[&str]) -> String {
    let expected = std::fs::read_to_string(reference(file)).unwrap();
    let rows: Vec<Vec<&str>> = expected
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let range = format!("{}:{}", rows[0][0], rows[rows.len() - 1][0]);
    let input = reference("input_salmonella_agona.csv");
    let mut args = vec!["detect", "outbreak", "--frequency", "52", "--range", &range];
    args.extend(["--input", input.to_str().unwrap()]);
    args.extend(options);
    let out = tocsin_ok(&args);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("t,observed,upperbound,alarm"));
    let differences: Vec<String> = rows
        .iter()
        .zip(lines)
        .filter(|(r, line)| {
            let got: Vec<&str> = line.split(',').collect();
            let bound = |s: &str| s.parse::<f64>().unwrap();
            got[0] != r[0]
                || got[1] != r[3]
                || (bound(got[2]) - bound(r[4])).abs() > 1e-6 * bound(r[4]).max(1.0)
                || got[3] != r[5]
        })
        .map(|(r, line)| format!("R {}, got {line}", r.join(",")))
        .collect();
    match differences.is_empty() {
        true => format!("{} rows identical", rows.len()),
        false => differences.join("\n"),
    }
}

#[test]
fn outbreak_csv_matches_r() {
    let ears = ["--method", "ears-c3", "--baseline", "7", "--alpha", "0.001"];
    assert_eq!(
        check("salmonella_agona_earsC_C3.csv", &ears),
        "293 rows identical"
    );
    let flexible = [
        "--method",
        "farrington-flexible",
        "--no-periods",
        "10",
        "--b",
        "4",
        "--w",
        "3",
        "--weights-threshold",
        "2.58",
        "--past-weeks-not-included",
        "26",
        "--p-threshold-trend",
        "1",
        "--alpha",
        "0.1",
    ];
    assert_eq!(
        check(
            "salmonella_agona_farringtonFlexible_control2.csv",
            &flexible
        ),
        "31 rows identical"
    );
    let classic = ["--method", "farrington", "--b", "3", "--alpha", "0.01"];
    assert_eq!(
        check("salmonella_agona_farrington_classic.csv", &classic),
        "31 rows identical"
    );
    let cusum = ["--method", "cusum", "--k", "1.04", "--h", "2.26"];
    assert_eq!(
        check("salmonella_agona_cusum_rossi.csv", &cusum),
        "156 rows identical"
    );
    let glrnb = [
        "--method",
        "glrnb",
        "--c-arl",
        "5",
        "--ret",
        "cases",
        "--dir",
        "inc",
        "--mu0-s",
        "1",
        "--mu0-trend",
        "FALSE",
        "--theta",
        "NULL",
    ];
    assert_eq!(
        check("salmonella_agona_glrnb.csv", &glrnb),
        "156 rows identical"
    );
}

#[test]
fn glrnb_options_reach_the_method() {
    let input = reference("input_salmonella_agona.csv");
    let run = |options: &[&str]| {
        let mut args = vec![
            "detect",
            "outbreak",
            "--method",
            "glrnb",
            "--frequency",
            "52",
        ];
        args.extend(["--input", input.to_str().unwrap(), "--range", "260:262"]);
        args.extend(options);
        tocsin(&args)
    };
    // Given means and dispersion, a window of 2 periods: the statistic at each period.
    let output = run(&["--mu0", "2,2,2", "--alpha", "0.2", "--big-m", "2"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some("t,observed,upperbound,alarm"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    let refused = [
        (vec!["--ret", "all"], "parameter ret: cannot read \"all\""),
        (vec!["--dir", "up"], "parameter dir: cannot read \"up\""),
        (
            vec!["--mu0", "2,2"],
            "mu0 = 2 values: one mean per period of the range",
        ),
        (
            vec!["--theta", "1"],
            "theta = 1: a finite number other than 1",
        ),
    ];
    for (options, message) in refused {
        let output = run(&options);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{stderr}");
    }
}

#[test]
fn an_option_of_another_method_is_refused() {
    let input = reference("input_salmonella_agona.csv");
    let output = tocsin(&[
        "detect",
        "outbreak",
        "--method",
        "cusum",
        "--input",
        input.to_str().unwrap(),
        "--frequency",
        "52",
        "--range",
        "157:312",
        "--no-periods",
        "10",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("parameter \"noPeriods\" does not apply to this method"),
        "{stderr}"
    );
}

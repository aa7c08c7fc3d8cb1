//! Outbreak detection parity with R `surveillance` 1.20.3: every reference output, run again
//! here and compared period by period (identical alarms; upper bounds within 1e-6 absolute or
//! relative, R's output being rounded to 6 decimals).
//!
//! The shared references (`../shared/reference/surveillance`, made by its
//! `make_reference_salmonella.R`) are read in place. More cases — monthly series, missing
//! counts, zero baselines, other parameters — are in `tests/data/outbreak`, made by
//! `make_reference.R` there and listed in its `cases.csv`, and for glrnb by
//! `make_reference_glrnb.R`, listed in `cases_glrnb.csv`.

use std::path::{Path, PathBuf};
use tocsin_core::outbreak::table::parse_series;
use tocsin_core::outbreak::{Method, Range};

fn local() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/outbreak")
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/surveillance")
}

/// The shared references: file, method, parameters (R names), as in
/// `make_reference_salmonella.R`. All use `input_salmonella_agona.csv`, weekly.
const SHARED: [(&str, &str, &str); 8] = [
    (
        "salmonella_agona_earsC_C1.csv",
        "ears-c1",
        "baseline=7;alpha=0.001",
    ),
    (
        "salmonella_agona_earsC_C2.csv",
        "ears-c2",
        "baseline=7;alpha=0.001",
    ),
    (
        "salmonella_agona_earsC_C3.csv",
        "ears-c3",
        "baseline=7;alpha=0.001",
    ),
    (
        "salmonella_agona_farringtonFlexible_control1.csv",
        "farrington-flexible",
        "noPeriods=1;b=4;w=3;weightsThreshold=1;pastWeeksNotIncluded=3;pThresholdTrend=0.05;alpha=0.1",
    ),
    (
        "salmonella_agona_farringtonFlexible_control2.csv",
        "farrington-flexible",
        "noPeriods=10;b=4;w=3;weightsThreshold=2.58;pastWeeksNotIncluded=26;pThresholdTrend=1;alpha=0.1",
    ),
    (
        "salmonella_agona_farrington_classic.csv",
        "farrington",
        "b=3;w=3;reweight=TRUE;trend=TRUE;alpha=0.01",
    ),
    (
        "salmonella_agona_cusum_rossi.csv",
        "cusum",
        "k=1.04;h=2.26;m=NULL;trans=standard",
    ),
    (
        "salmonella_agona_glrnb.csv",
        "glrnb",
        "c.ARL=5;ret=cases;dir=inc;mu0.S=1;mu0.trend=FALSE;theta=NULL",
    ),
];

/// One row of a reference output: t, observed, upperbound, alarm (as text).
struct Row {
    t: usize,
    upperbound: Option<f64>,
    alarm: String,
}

/// Reads R's `write.csv` output: t, year, epochInYear, observed, upperbound, alarm.
fn read_reference(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Row {
                t: f[0].parse().unwrap(),
                upperbound: f[4].parse().ok(),
                alarm: f[5].to_string(),
            }
        })
        .collect()
}

/// Runs `method` with `params` on `input` over the reference's range and lists every
/// difference from it, or says how many periods agree.
fn check(reference: &Path, input: &Path, frequency: usize, method: &str, params: &str) -> String {
    let expected = read_reference(reference);
    let series = parse_series(&std::fs::read_to_string(input).unwrap(), frequency).unwrap();
    let params: Vec<(&str, &str)> = params
        .split(';')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap())
        .collect();
    let range = Range {
        first: expected[0].t,
        last: expected[expected.len() - 1].t,
    };
    let got = match Method::new(method, &params).and_then(|m| m.detect(&series, range)) {
        Ok(got) => got,
        Err(e) => return format!("error: {e}"),
    };
    let mut differences = Vec::new();
    for (row, d) in expected.iter().zip(&got) {
        let alarm = d.alarm.map_or("NA", |a| if a { "1" } else { "0" });
        let bound_ok = match (row.upperbound, d.upperbound) {
            (Some(r), Some(g)) => (r - g).abs() <= 1e-6 * r.abs().max(1.0),
            (r, g) => r.is_none() && g.is_none(),
        };
        if row.t != d.t || row.alarm != alarm || !bound_ok {
            differences.push(format!(
                "t={}: R {:?} {}, got {:?} {alarm}",
                row.t, row.upperbound, row.alarm, d.upperbound
            ));
        }
    }
    match differences.is_empty() {
        true => format!("{} periods identical", got.len()),
        false => differences.join("; "),
    }
}

#[test]
fn every_shared_reference_is_reproduced() {
    let input = shared().join("input_salmonella_agona.csv");
    let report: Vec<String> = SHARED
        .iter()
        .map(|(file, method, params)| {
            let result = check(&shared().join(file), &input, 52, method, params);
            format!("{file}: {result}")
        })
        .collect();
    assert_eq!(
        report.join("\n"),
        "\
salmonella_agona_earsC_C1.csv: 293 periods identical
salmonella_agona_earsC_C2.csv: 293 periods identical
salmonella_agona_earsC_C3.csv: 293 periods identical
salmonella_agona_farringtonFlexible_control1.csv: 31 periods identical
salmonella_agona_farringtonFlexible_control2.csv: 31 periods identical
salmonella_agona_farrington_classic.csv: 31 periods identical
salmonella_agona_cusum_rossi.csv: 156 periods identical
salmonella_agona_glrnb.csv: 156 periods identical"
    );
}

#[test]
fn every_shared_reference_file_is_accounted_for() {
    let mut files: Vec<String> = std::fs::read_dir(shared())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("salmonella_agona_") && f.ends_with(".csv"))
        .collect();
    files.sort();
    let mut known: Vec<&str> = SHARED.iter().map(|c| c.0).collect();
    known.sort();
    assert_eq!(files, known);
}

/// Runs the cases listed in `list` (file, input, frequency, method, params); an input not in
/// `tests/data/outbreak` is one of the shared references.
fn check_cases(list: &str) -> String {
    let cases = std::fs::read_to_string(local().join(list)).unwrap();
    let report: Vec<String> = cases
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
            let (file, input, method, params) = (f[0], f[1], f[3], f[4]);
            let frequency = f[2].parse().unwrap();
            let input = match local().join(input) {
                path if path.exists() => path,
                _ => shared().join(input),
            };
            let result = check(&local().join(file), &input, frequency, method, params);
            format!("{file}: {result}")
        })
        .collect();
    report.join("\n")
}

#[test]
fn every_local_reference_is_reproduced() {
    // R's algo.farrington stops when a reference count is missing, so there is no reference
    // for the classic method on the series with gaps (see farrington.rs for what it does).
    assert_eq!(
        check_cases("cases.csv"),
        "\
monthly_farringtonFlexible.csv: 29 periods identical
monthly_farringtonFlexible_noPeriods4.csv: 29 periods identical
monthly_farrington.csv: 29 periods identical
monthly_farrington_powertrans_half_notrend.csv: 29 periods identical
monthly_earsC_C2.csv: 89 periods identical
monthly_cusum_rossi.csv: 48 periods identical
monthly_cusum_anscombe_m.csv: 48 periods identical
salmonella_na_earsC_C1.csv: 293 periods identical
salmonella_na_earsC_C3.csv: 293 periods identical
salmonella_na_farringtonFlexible.csv: 31 periods identical
salmonella_na_cusum.csv: 33 periods identical
zeros_earsC_C1.csv: 251 periods identical
zeros_earsC_C3.csv: 249 periods identical
zeros_farringtonFlexible.csv: 41 periods identical
zeros_cusum.csv: 161 periods identical"
    );
}

#[test]
fn every_local_glrnb_reference_is_reproduced() {
    // The monthly series is close to Poisson: R's theta.ml stops at its iteration limit there,
    // and so does the fit here.
    assert_eq!(
        check_cases("cases_glrnb.csv"),
        "\
salmonella_glrnb_alpha_value_window.csv: 156 periods identical
salmonella_glrnb_theta_cases.csv: 156 periods identical
salmonella_glrnb_poisson_refit_cases.csv: 156 periods identical
monthly_glrnb_dec_trend.csv: 48 periods identical
salmonella_na_glrnb_cases.csv: 55 periods identical"
    );
}

/// Runs `method` on a weekly series of `len` periods, 2 cases each, missing at `gaps`, and
/// renders the error or the rows as `t:upperbound:alarm`.
fn outcome(
    method: &str,
    params: &[(&str, &str)],
    len: usize,
    gaps: &[usize],
    range: (usize, usize),
) -> String {
    let observed = (1..=len)
        .map(|t| (!gaps.contains(&t)).then_some(2.0))
        .collect();
    let series = tocsin_core::outbreak::Series {
        observed,
        frequency: 52,
    };
    let range = Range {
        first: range.0,
        last: range.1,
    };
    match Method::new(method, params).and_then(|m| m.detect(&series, range)) {
        Err(e) => e.to_string(),
        Ok(rows) => rows
            .iter()
            .map(|d| {
                format!(
                    "{}:{:?}:{:?}",
                    d.t,
                    d.upperbound.map(|u| (u * 1e3).round() / 1e3),
                    d.alarm
                )
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[test]
fn bad_input_is_an_error_or_a_documented_missing_result() {
    let cases = [
        (
            outcome("ears-c1", &[], 10, &[], (3, 4)),
            "the series is too short: period 3 needs 7 earlier period(s) of baseline, it has 2",
        ),
        (
            outcome("ears-c1", &[("baseline", "2")], 10, &[], (8, 8)),
            "baseline = 2: at least 3",
        ),
        (
            outcome("ears-c2", &[("alpha", "1.5")], 20, &[], (12, 12)),
            "alpha = 1.5: a probability strictly between 0 and 1",
        ),
        (
            outcome("ears-c1", &[], 20, &[], (0, 3)),
            "range 0:3 is empty or outside the series (periods 1 to 20)",
        ),
        (
            outcome("ears-c1", &[("lambda", "1")], 20, &[], (10, 10)),
            "parameter \"lambda\" does not apply to this method",
        ),
        (
            outcome("cusum", &[("k", "x")], 20, &[], (10, 10)),
            "parameter k: cannot read \"x\"",
        ),
        (
            outcome("cusum", &[], 20, &[], (1, 3)),
            "the series is too short: period 1 needs 1 earlier period(s) of baseline, it has 0",
        ),
        (
            outcome("farrington-flexible", &[], 200, &[], (200, 200)),
            "the series is too short: period 200 needs 262 earlier period(s) of baseline, it has 199",
        ),
        (
            outcome(
                "farrington-flexible",
                &[("noPeriods", "0")],
                300,
                &[],
                (290, 290),
            ),
            "noPeriods = 0: at least 1",
        ),
        // A constant baseline: EARS sd = 0 (C1 bound = mean, C3 undefined as in R).
        (
            outcome("ears-c1", &[], 20, &[], (20, 20)),
            "20:Some(2.0):Some(false)",
        ),
        (outcome("ears-c3", &[], 20, &[], (20, 20)), "20:None:None"),
        // A missing reference count: R's algo.farrington stops; here that period alone is NA.
        (
            outcome("farrington", &[("b", "3")], 300, &[248], (296, 297)),
            "296:Some(5.428):Some(false) 297:None:None",
        ),
        // Missing in the last 4 weeks: the flexible bound is NA and there is no alarm, as in R.
        (
            outcome(
                "farrington-flexible",
                &[("b", "3")],
                300,
                &[298],
                (298, 299),
            ),
            "298:None:Some(false) 299:None:Some(false)",
        ),
        // glrnb: R stops where the model cannot be fitted (θ undefined on a constant
        // baseline) and on a missing count in the range.
        (
            outcome("glrnb", &[], 120, &[], (110, 112)),
            "the in-control mean model (mu0) cannot be fitted",
        ),
        (
            outcome("glrnb", &[("alpha", "0.1")], 120, &[111], (110, 112)),
            "period 111: the count is missing, and this method needs every count of the range",
        ),
        (
            outcome("glrnb", &[], 20, &[], (3, 5)),
            "the series is too short: period 3 needs 3 earlier period(s) of baseline, it has 2",
        ),
        (
            outcome("glrnb", &[("theta", "1")], 120, &[], (110, 112)),
            "theta = 1: a finite number other than 1",
        ),
        (
            outcome("glrnb", &[("mu0", "1,2")], 120, &[], (110, 112)),
            "mu0 = 2 values: one mean per period of the range",
        ),
        (
            outcome("glrnb", &[("mu0", "1,2,3")], 120, &[], (110, 112)),
            "alpha = NULL: a value when mu0 is given",
        ),
        (
            outcome(
                "glrnb",
                &[("mu0", "1,2,3"), ("mu0.S", "2")],
                120,
                &[],
                (110, 112),
            ),
            "mu0 = 3 values: either values or the model (mu0.S, mu0.trend, mu0.refit), not both",
        ),
        (
            outcome("glrnb", &[("change", "epi")], 120, &[], (110, 112)),
            "change = epi: intercept (the epidemic chart is not implemented)",
        ),
        (
            outcome("glrnb", &[("c.ARL", "0")], 120, &[], (110, 112)),
            "c.ARL = 0: a positive number",
        ),
        // Given means, as R: glrnb(s, control = list(range = 110:112, mu0 = c(1, 2, 3),
        // alpha = 0.1, ret = "cases")), then ret = "value" (0.342158, 0.144275, 0.00203).
        (
            outcome(
                "glrnb",
                &[("mu0", "1,2,3"), ("alpha", "0.1"), ("ret", "cases")],
                120,
                &[],
                (110, 112),
            ),
            "110:Some(7.0):Some(false) 111:Some(10.0):Some(false) 112:Some(12.0):Some(false)",
        ),
        (
            outcome(
                "glrnb",
                &[("mu0", "1,2,3"), ("alpha", "0.1")],
                120,
                &[],
                (110, 112),
            ),
            "110:Some(0.342):Some(false) 111:Some(0.144):Some(false) 112:Some(0.002):Some(false)",
        ),
    ];
    for (got, expected) in cases {
        assert_eq!(got, expected);
    }
}

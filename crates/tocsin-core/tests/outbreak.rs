//! Outbreak detection parity with R `surveillance` 1.20.3: every reference output, run again
//! here and compared period by period (identical alarms; upper bounds within 1e-6 absolute or
//! relative, R's output being rounded to 6 decimals).
//!
//! The shared references (`../shared/reference/surveillance`, made by its
//! `make_reference_salmonella.R`) are read in place. More cases — monthly series, missing
//! counts, zero baselines, other parameters — follow in `tests/data/outbreak`.

use std::path::{Path, PathBuf};
use tocsin_core::outbreak::table::parse_series;
use tocsin_core::outbreak::{Method, Range};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/surveillance")
}

/// The shared references: file, method, parameters (R names), as in
/// `make_reference_salmonella.R`. All use `input_salmonella_agona.csv`, weekly.
const SHARED: [(&str, &str, &str); 7] = [
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
];

/// Shared references of methods not implemented, with the reason.
const NOT_IMPLEMENTED: [(&str, &str); 1] = [(
    "salmonella_agona_glrnb.csv",
    "glrnb (GLR negative binomial CUSUM) is not implemented",
)];

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
salmonella_agona_cusum_rossi.csv: 156 periods identical"
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
    known.extend(NOT_IMPLEMENTED.iter().map(|c| c.0));
    known.sort();
    assert_eq!(files, known);
}

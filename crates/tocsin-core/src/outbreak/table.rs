//! The text forms of a detection: the count series CSV read (`t,year,week,observed` for ISO
//! weeks or `t,year,month,observed` for months, `NA` for a missing count, header names may be
//! quoted as R writes them) and the result CSV written (`t,observed,upperbound,alarm`).

use super::{Detection, Series};
use std::fmt::Write;

/// A problem in the series CSV, with its line number (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

/// Reads a series of the given frequency (52: column `week`, 12: column `month`).
pub fn parse_series(text: &str, frequency: usize) -> Result<Series, TableError> {
    let period = match frequency {
        52 => "week",
        12 => "month",
        _ => return Err(error(1, format!("frequency {frequency}: use 52 or 12"))),
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .map(|(_, l)| fields(l).map(str::to_string).collect())
        .unwrap_or_default();
    let expected = ["t", "year", period, "observed"];
    if header != expected {
        return Err(error(
            1,
            format!("the header must be {}", expected.join(",")),
        ));
    }
    let mut observed = Vec::new();
    for (index, line) in lines {
        let row: Vec<&str> = fields(line).collect();
        observed
            .push(parse_row(&row, observed.len() + 1, frequency).map_err(|m| error(index + 1, m))?);
    }
    Ok(Series {
        observed,
        frequency,
    })
}

/// One row: t must be the next period, the period in year within range, the count a number
/// or NA.
fn parse_row(row: &[&str], t: usize, frequency: usize) -> Result<Option<f64>, String> {
    let [t_text, year, period, count] = row else {
        return Err(format!("expected 4 fields, found {}", row.len()));
    };
    if t_text.parse::<usize>().ok() != Some(t) {
        return Err(format!(
            "t = {t_text}: expected {t} (periods numbered 1, 2, … in order)"
        ));
    }
    year.parse::<i32>()
        .map_err(|_| format!("year {year:?} is not a year"))?;
    let most = if frequency == 52 { 53 } else { 12 };
    match period.parse::<usize>() {
        Ok(p) if (1..=most).contains(&p) => {}
        _ => return Err(format!("period {period:?} is not between 1 and {most}")),
    }
    if *count == "NA" {
        return Ok(None);
    }
    match count.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        _ => Err(format!("observed {count:?} is not a count (or NA)")),
    }
}

/// The comma-separated fields of a line, trimmed and unquoted.
fn fields(line: &str) -> impl Iterator<Item = &str> {
    line.split(',').map(|f| f.trim().trim_matches('"'))
}

/// A bound rounded to 6 decimals; from 1e15 on in R's exponent form (glrnb's 1e+99).
fn write_bound(v: f64) -> String {
    if v.abs() < 1e15 {
        return ((v * 1e6).round() / 1e6).to_string();
    }
    let text = format!("{v:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            format!("{mantissa}e+{exponent}")
        }
        _ => text,
    }
}

fn error(line: usize, message: String) -> TableError {
    TableError { line, message }
}

/// Writes `t,observed,upperbound,alarm`: the bound rounded to 6 decimals as R's reference
/// output is, the alarm 0 or 1, `NA` for what is missing.
pub fn write_detections(detections: &[Detection]) -> String {
    let mut out = String::from("t,observed,upperbound,alarm\n");
    for d in detections {
        let observed = d.observed.map_or("NA".to_string(), |v| v.to_string());
        let bound = d.upperbound.map_or("NA".to_string(), write_bound);
        let alarm = d.alarm.map_or("NA", |a| if a { "1" } else { "0" });
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{},{observed},{bound},{alarm}", d.t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, frequency: usize, expected: &str) {
        let got = match parse_series(text, frequency) {
            Ok(series) => format!("{:?}", series.observed),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn series_csv() {
        check(
            "\"t\",\"year\",\"week\",\"observed\"\n1,1990,1,3\n2,1990,2,NA\n",
            52,
            "[Some(3.0), None]",
        );
        check("t,year,month,observed\n1,2020,12,0\n", 12, "[Some(0.0)]");
        check(
            "t,year,week,observed\n1,2020,1,0\n",
            12,
            "line 1: the header must be t,year,month,observed",
        );
        check(
            "t,year,week,observed\n2,2020,1,0\n",
            52,
            "line 2: t = 2: expected 1 (periods numbered 1, 2, … in order)",
        );
        check(
            "t,year,week,observed\n1,2020,54,0\n",
            52,
            "line 2: period \"54\" is not between 1 and 53",
        );
        check(
            "t,year,week,observed\n1,2020,5,-1\n",
            52,
            "line 2: observed \"-1\" is not a count (or NA)",
        );
        check(
            "t,year,week,observed\n1,2020,5\n",
            52,
            "line 2: expected 4 fields, found 3",
        );
    }

    #[test]
    fn detections_csv() {
        let d = |t, observed, upperbound, alarm| Detection {
            t,
            observed,
            upperbound,
            alarm,
        };
        let text = write_detections(&[
            d(1, Some(3.0), Some(2.8681204), Some(true)),
            d(2, None, None, None),
            d(3, Some(0.0), Some(9.0), Some(false)),
            d(4, Some(0.0), Some(1e99), Some(false)),
        ]);
        assert_eq!(
            text,
            "t,observed,upperbound,alarm\n1,3,2.86812,1\n2,NA,NA,NA\n3,0,9,0\n4,0,1e+99,0\n"
        );
    }
}

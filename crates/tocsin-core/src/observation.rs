//! Observations: the record as received, the checks every record passes before it may reach the
//! journal, and the validated form that is stored.
//!
//! A rejection always names the field and the reason; the caller adds the record's index.

use crate::units::Unit;
use jiff::Timestamp;

/// How far ahead of the engine's clock an observed time may lie (clock skew allowance).
pub const MAX_FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;

/// The earliest time an observation (or a forecast's valid or issue time) may carry:
/// 1900-01-01T00:00:00Z. No instrumental record the node keeps is older; an earlier time is a
/// typo or a placeholder such as `0000-01-01`.
pub const EARLIEST_TIME_MS: i64 = -2_208_988_800_000;

/// The largest UTC offset RFC 3339 allows: `±23:59`.
const MAX_OFFSET_SECONDS: i32 = 23 * 3600 + 59 * 60;

/// A record as it arrives, before validation. Absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservationInput {
    pub station: Option<String>,
    pub metric: Option<String>,
    /// RFC 3339 time with a UTC offset; for a forecast, the valid time.
    pub time: Option<String>,
    pub value: Option<f64>,
    pub unit: Option<String>,
    /// `observed` (the default) or `forecast`.
    pub kind: Option<String>,
    /// For a forecast, when it was issued (RFC 3339).
    pub issued: Option<String>,
}

/// Whether a value was measured or forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservationKind {
    Observed,
    Forecast,
}

/// A record that passed validation: its series, times in Unix milliseconds, and its value in the
/// metric's canonical unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub series: i64,
    /// Observed time, or valid time of a forecast.
    pub time_ms: i64,
    /// Issue time of a forecast; 0 for an observed value.
    pub issued_ms: i64,
    pub value: f64,
}

/// Why a record was refused: the field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub field: String,
    pub reason: String,
}

impl Rejection {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// What validation needs to know about one station's metric.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSpec {
    pub series: i64,
    pub unit: Unit,
    pub min: f64,
    pub max: f64,
}

/// Answers which stations and metrics exist; implemented by the engine's registry cache.
pub trait SeriesLookup {
    /// Whether the station is registered and not retired.
    fn station_active(&self, station: &str) -> bool;
    /// The metric's spec at an active station.
    fn series(&self, station: &str, metric: &str) -> Option<&SeriesSpec>;
}

/// Validates one record against the registry and the current time.
pub fn validate(
    input: &ObservationInput,
    lookup: &impl SeriesLookup,
    now: Timestamp,
) -> Result<Observation, Rejection> {
    let station = required(&input.station, "station")?;
    if !lookup.station_active(station) {
        return Err(Rejection::new(
            "station",
            format!("unknown or retired station {station:?}"),
        ));
    }
    let metric = required(&input.metric, "metric")?;
    let spec = lookup.series(station, metric).ok_or_else(|| {
        Rejection::new(
            "metric",
            format!("station {station:?} does not report metric {metric:?}"),
        )
    })?;
    let kind = parse_kind(input.kind.as_deref())?;
    let time_ms = parse_time(input.time.as_deref(), "time")?;
    let issued_ms = match kind {
        ObservationKind::Observed => {
            if input.issued.is_some() {
                return Err(Rejection::new(
                    "issued",
                    "only a forecast has an issue time",
                ));
            }
            check_not_future(time_ms, now, "time")?;
            check_not_too_early(time_ms, "time")?;
            0
        }
        ObservationKind::Forecast => {
            check_not_too_early(time_ms, "time")?;
            let issued = parse_time(input.issued.as_deref(), "issued")?;
            check_not_future(issued, now, "issued")?;
            if issued <= 0 {
                return Err(Rejection::new(
                    "issued",
                    "issue time must be after 1970-01-01",
                ));
            }
            issued
        }
    };
    let value = convert_value(input, spec)?;
    Ok(Observation {
        series: spec.series,
        time_ms,
        issued_ms,
        value,
    })
}

fn required<'a>(field: &'a Option<String>, name: &str) -> Result<&'a str, Rejection> {
    match field.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(Rejection::new(name, "missing")),
    }
}

fn parse_kind(kind: Option<&str>) -> Result<ObservationKind, Rejection> {
    match kind.map(str::trim) {
        None | Some("") | Some("observed") => Ok(ObservationKind::Observed),
        Some("forecast") => Ok(ObservationKind::Forecast),
        Some(other) => Err(Rejection::new(
            "kind",
            format!("{other:?} is neither \"observed\" nor \"forecast\""),
        )),
    }
}

/// Parses an RFC 3339 time that carries a UTC offset (at most `±23:59`), into Unix milliseconds.
pub fn parse_time(text: Option<&str>, field: &str) -> Result<i64, Rejection> {
    let text = text
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Rejection::new(field, "missing"))?;
    let timestamp: Timestamp = text.parse().map_err(|e| {
        Rejection::new(field, format!("{text:?} is not an RFC 3339 time with a UTC offset (e.g. 2024-09-09T13:00:00+07:00): {e}"))
    })?;
    let offset = jiff::fmt::temporal::Pieces::parse(text)
        .ok()
        .and_then(|pieces| pieces.to_numeric_offset());
    if let Some(offset) = offset.filter(|o| o.seconds().abs() > MAX_OFFSET_SECONDS) {
        return Err(Rejection::new(
            field,
            format!("{text:?} has the UTC offset {offset}; RFC 3339 allows at most ±23:59"),
        ));
    }
    Ok(timestamp.as_millisecond())
}

fn check_not_too_early(time_ms: i64, field: &str) -> Result<(), Rejection> {
    if time_ms < EARLIEST_TIME_MS {
        let when = Timestamp::from_millisecond(time_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        return Err(Rejection::new(
            field,
            format!("{when} is before 1900-01-01T00:00:00Z, the earliest time accepted"),
        ));
    }
    Ok(())
}

fn check_not_future(time_ms: i64, now: Timestamp, field: &str) -> Result<(), Rejection> {
    let ahead_ms = time_ms - now.as_millisecond();
    if ahead_ms > MAX_FUTURE_SKEW_MS {
        let when = Timestamp::from_millisecond(time_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        return Err(Rejection::new(
            field,
            format!(
                "{when} is {} s ahead of the clock ({now}); at most 300 s allowed",
                ahead_ms / 1000
            ),
        ));
    }
    Ok(())
}

fn convert_value(input: &ObservationInput, spec: &SeriesSpec) -> Result<f64, Rejection> {
    let raw = input
        .value
        .ok_or_else(|| Rejection::new("value", "missing"))?;
    if !raw.is_finite() {
        return Err(Rejection::new(
            "value",
            format!("{raw} is not a finite number"),
        ));
    }
    let value = match input
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => raw,
        Some(symbol) => {
            let unit = Unit::parse(symbol)
                .ok_or_else(|| Rejection::new("unit", format!("unknown unit {symbol:?}")))?;
            unit.convert(raw, &spec.unit).ok_or_else(|| {
                Rejection::new(
                    "unit",
                    format!(
                        "{symbol:?} cannot be converted to the metric's unit {:?}",
                        spec.unit.symbol
                    ),
                )
            })?
        }
    };
    if !value.is_finite() || value < spec.min || value > spec.max {
        return Err(Rejection::new(
            "value",
            format!(
                "{value} {} is outside the physical range {}..{} {}",
                spec.unit.symbol, spec.min, spec.max, spec.unit.symbol
            ),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct OneStation(SeriesSpec);

    impl SeriesLookup for OneStation {
        fn station_active(&self, station: &str) -> bool {
            station == "VN-HM-71526"
        }
        fn series(&self, station: &str, metric: &str) -> Option<&SeriesSpec> {
            (station == "VN-HM-71526" && metric == "water_level").then_some(&self.0)
        }
    }

    fn record(time: &str, value: f64, unit: &str) -> ObservationInput {
        ObservationInput {
            station: Some("VN-HM-71526".into()),
            metric: Some("water_level".into()),
            time: Some(time.into()),
            value: Some(value),
            unit: Some(unit.into()),
            ..Default::default()
        }
    }

    /// Validates `input` at 2024-09-09T14:00+07:00 and renders the outcome as text.
    fn check(input: ObservationInput, expected: &str) {
        let lookup = OneStation(SeriesSpec {
            series: 7,
            unit: Unit::parse("m").unwrap(),
            min: -5.0,
            max: 60.0,
        });
        let now: Timestamp = "2024-09-09T07:00:00Z".parse().unwrap();
        let got = match validate(&input, &lookup, now) {
            Ok(o) => format!(
                "ok series={} time={} issued={} value={}",
                o.series, o.time_ms, o.issued_ms, o.value
            ),
            Err(r) => format!("{}: {}", r.field, r.reason),
        };
        assert!(
            got.starts_with(expected),
            "{input:?}\n got: {got}\nwant: {expected}"
        );
    }

    #[test]
    fn accepted_records() {
        check(
            record("2024-09-09T13:00:00+07:00", 33.98, "m"),
            "ok series=7 time=1725861600000 issued=0 value=33.98",
        );
        check(
            record("2024-09-09T06:00:00Z", 3398.0, "cm"),
            "ok series=7 time=1725861600000 issued=0 value=33.98",
        );
        check(record("2024-09-09T14:04:00+07:00", 1.0, ""), "ok");
        check(record("2024-09-10T06:59:00+23:59", 1.0, "m"), "ok");
        check(record("1900-01-01T00:00:00Z", 1.0, "m"), "ok");
        let forecast = ObservationInput {
            kind: Some("forecast".into()),
            issued: Some("2024-09-09T12:00:00+07:00".into()),
            ..record("2024-09-10T12:00:00+07:00", 34.5, "m")
        };
        check(
            forecast,
            "ok series=7 time=1725944400000 issued=1725858000000 value=34.5",
        );
    }

    #[test]
    fn rejected_records() {
        check(
            ObservationInput {
                station: None,
                ..record("2024-09-09T13:00:00+07:00", 1.0, "m")
            },
            "station: missing",
        );
        check(
            ObservationInput {
                station: Some("VN-X".into()),
                ..record("2024-09-09T13:00:00+07:00", 1.0, "m")
            },
            "station: unknown or retired station \"VN-X\"",
        );
        check(
            ObservationInput {
                metric: Some("rain".into()),
                ..record("2024-09-09T13:00:00+07:00", 1.0, "m")
            },
            "metric: station \"VN-HM-71526\" does not report metric \"rain\"",
        );
        check(
            record("2024-09-09T13:00:00", 1.0, "m"),
            "time: \"2024-09-09T13:00:00\" is not an RFC 3339 time",
        );
        check(
            record("yesterday", 1.0, "m"),
            "time: \"yesterday\" is not an RFC 3339 time",
        );
        check(record("", 1.0, "m"), "time: missing");
        check(
            record("3000-01-01T00:00:00Z", 1.0, "m"),
            "time: 3000-01-01T00:00:00Z is ",
        );
        check(
            record("0000-01-01T00:00:00Z", 1.0, "m"),
            "time: 0000-01-01T00:00:00Z is before 1900-01-01T00:00:00Z",
        );
        check(
            record("1899-12-31T23:59:59Z", 1.0, "m"),
            "time: 1899-12-31T23:59:59Z is before 1900-01-01T00:00:00Z",
        );
        check(
            ObservationInput {
                kind: Some("forecast".into()),
                issued: Some("2024-09-09T12:00:00+07:00".into()),
                ..record("0000-01-01T00:00:00Z", 1.0, "m")
            },
            "time: 0000-01-01T00:00:00Z is before 1900",
        );
        check(
            record("2024-09-09T13:00:00+25:00", 1.0, "m"),
            "time: \"2024-09-09T13:00:00+25:00\" has the UTC offset +25; RFC 3339 allows at most ±23:59",
        );
        check(
            record("2024-09-09T13:00:00-24:00", 1.0, "m"),
            "time: \"2024-09-09T13:00:00-24:00\" has the UTC offset -24",
        );
        check(
            record("2024-09-09T14:06:00+07:00", 1.0, "m"),
            "time: 2024-09-09T07:06:00Z is 360 s ahead",
        );
        check(
            record("2024-09-09T13:00:00+07:00", f64::NAN, "m"),
            "value: NaN is not a finite number",
        );
        check(
            record("2024-09-09T13:00:00+07:00", 1e308, "m"),
            "value: 100000000",
        );
        check(
            record("2024-09-09T13:00:00+07:00", -6.0, "m"),
            "value: -6 m is outside the physical range -5..60 m",
        );
        check(
            record("2024-09-09T13:00:00+07:00", 1.0, "degC"),
            "unit: \"degC\" cannot be converted to the metric's unit \"m\"",
        );
        check(
            record("2024-09-09T13:00:00+07:00", 1.0, "furlong"),
            "unit: unknown unit \"furlong\"",
        );
        check(
            ObservationInput {
                kind: Some("guess".into()),
                ..record("2024-09-09T13:00:00+07:00", 1.0, "m")
            },
            "kind: \"guess\" is neither",
        );
        check(
            ObservationInput {
                kind: Some("forecast".into()),
                ..record("2024-09-09T13:00:00+07:00", 1.0, "m")
            },
            "issued: missing",
        );
        check(
            ObservationInput {
                issued: Some("2024-09-09T12:00:00+07:00".into()),
                ..record("2024-09-09T13:00:00+07:00", 1.0, "m")
            },
            "issued: only a forecast",
        );
    }
}

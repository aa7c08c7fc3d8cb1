//! Observation request bodies — a JSON array, NDJSON or CSV — parsed record by record, so one bad
//! record is rejected by its index, field and reason without losing the others.
//!
//! Each JSON record is first read into a typed struct (the fast path); only when that fails is
//! it re-read as a generic value to say precisely which field is wrong.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use tocsin_core::observation::{ObservationInput, Rejection};

/// Records longer than this are refused without being parsed.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// The parsed body: each record or the reason it could not be read.
pub type ParsedRecords = Vec<Result<ObservationInput, Rejection>>;

/// The body formats the ingest endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    JsonArray,
    Ndjson,
    Csv,
}

impl BodyFormat {
    /// The format named by a Content-Type header.
    pub fn from_content_type(content_type: &str) -> Option<BodyFormat> {
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/json" => Some(BodyFormat::JsonArray),
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/jsonlines" => Some(BodyFormat::Ndjson),
            "text/csv" | "application/csv" => Some(BodyFormat::Csv),
            _ => None,
        }
    }
}

/// Why a body was refused as a whole, before any record was read.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyRefused {
    /// Not the format at all (not a JSON array, not CSV).
    Unreadable(String),
    /// A CSV header that names a column twice, lacks one or names an unknown one.
    Header(Rejection),
}

/// Parses a whole body; an error here means the body as a whole is refused.
pub fn parse_body(format: BodyFormat, body: &[u8]) -> Result<ParsedRecords, BodyRefused> {
    match format {
        BodyFormat::JsonArray => parse_json_array(body),
        BodyFormat::Ndjson => Ok(parse_ndjson(body)),
        BodyFormat::Csv => parse_csv(body),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRecord<'a> {
    #[serde(borrow)]
    station: Option<Cow<'a, str>>,
    #[serde(borrow)]
    metric: Option<Cow<'a, str>>,
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
    value: Option<f64>,
    #[serde(borrow)]
    unit: Option<Cow<'a, str>>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    issued: Option<Cow<'a, str>>,
}

const FIELDS: [&str; 7] = [
    "station", "metric", "time", "value", "unit", "kind", "issued",
];

/// Reads one JSON record.
pub fn parse_record(bytes: &[u8]) -> Result<ObservationInput, Rejection> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(Rejection::new(
            "record",
            format!(
                "{} bytes is longer than the {MAX_RECORD_BYTES}-byte limit for one record",
                bytes.len()
            ),
        ));
    }
    match serde_json::from_slice::<WireRecord>(bytes) {
        Ok(w) => Ok(ObservationInput {
            station: w.station.map(Cow::into_owned),
            metric: w.metric.map(Cow::into_owned),
            time: w.time.map(Cow::into_owned),
            value: w.value,
            unit: w.unit.map(Cow::into_owned),
            kind: w.kind.map(Cow::into_owned),
            issued: w.issued.map(Cow::into_owned),
        }),
        Err(_) => Err(explain_record(bytes)),
    }
}

/// Says which field of a record that failed the typed read is wrong.
fn explain_record(bytes: &[u8]) -> Rejection {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Rejection::new(
                "record",
                format!("not valid UTF-8 (byte {})", e.valid_up_to()),
            );
        }
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Rejection::new("record", format!("not valid JSON: {e}")),
    };
    let Some(object) = value.as_object() else {
        return Rejection::new(
            "record",
            format!("expected a JSON object, found {}", type_name(&value)),
        );
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Rejection::new(
            unknown,
            format!("unknown field; expected one of {}", FIELDS.join(", ")),
        );
    }
    for (field, v) in object {
        let ok = match field.as_str() {
            "value" => v.is_number() || v.is_null(),
            _ => v.is_string() || v.is_null(),
        };
        if !ok {
            let expected = if field == "value" {
                "a number"
            } else {
                "a string"
            };
            return Rejection::new(
                field,
                format!("expected {expected}, found {}", type_name(v)),
            );
        }
    }
    Rejection::new("value", "number out of range for a 64-bit float")
}

fn type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn parse_json_array(body: &[u8]) -> Result<ParsedRecords, BodyRefused> {
    let items: Vec<&RawValue> = serde_json::from_slice(body)
        .map_err(|e| BodyRefused::Unreadable(format!("body: not a JSON array of records: {e}")))?;
    Ok(items
        .into_iter()
        .map(|raw| parse_record(raw.get().as_bytes()))
        .collect())
}

fn parse_ndjson(body: &[u8]) -> ParsedRecords {
    body.split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(parse_record)
        .collect()
}

fn parse_csv(body: &[u8]) -> Result<ParsedRecords, BodyRefused> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body);
    let header = tocsin_engine::csv_header::read(&mut reader).map_err(|e| {
        if e.column.is_empty() {
            BodyRefused::Unreadable(format!("body: {e}"))
        } else {
            BodyRefused::Header(Rejection::new(&e.column, e.reason))
        }
    })?;
    let column = |name: &str| header.iter().position(|h| h == name);
    const EXPECTED: &str = "expected station,metric,time,value[,unit,kind,issued]";
    if let Some(missing) = ["station", "metric", "time", "value"]
        .into_iter()
        .find(|c| column(c).is_none())
    {
        return Err(BodyRefused::Header(Rejection::new(
            missing,
            format!("the column is missing; {EXPECTED}"),
        )));
    }
    if let Some(unknown) = header.iter().find(|h| !FIELDS.contains(h)) {
        return Err(BodyRefused::Header(Rejection::new(
            unknown,
            format!("is not a column of observations; {EXPECTED}"),
        )));
    }
    let records = reader.records().map(|row| {
        let row = row.map_err(|e| Rejection::new("record", format!("unreadable CSV row: {e}")))?;
        if row.len() != header.len() {
            return Err(Rejection::new(
                "record",
                format!("{} fields where the header has {}", row.len(), header.len()),
            ));
        }
        let get = |name: &str| {
            column(name)
                .and_then(|i| row.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let value = match get("value") {
            None => None,
            Some(text) => Some(
                text.parse::<f64>()
                    .map_err(|_| Rejection::new("value", format!("{text:?} is not a number")))?,
            ),
        };
        Ok(ObservationInput {
            station: get("station"),
            metric: get("metric"),
            time: get("time"),
            value,
            unit: get("unit"),
            kind: get("kind"),
            issued: get("issued"),
        })
    });
    Ok(records.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(format: BodyFormat, body: &str, expected: &[&str]) {
        let got: Vec<String> = match parse_body(format, body.as_bytes()) {
            Ok(records) => records
                .into_iter()
                .map(|r| match r {
                    Ok(i) => format!(
                        "ok {} {} {:?}",
                        i.station.unwrap_or_default(),
                        i.metric.unwrap_or_default(),
                        i.value
                    ),
                    Err(e) => format!("{}: {}", e.field, e.reason),
                })
                .collect(),
            Err(BodyRefused::Unreadable(reason)) => vec![reason],
            Err(BodyRefused::Header(r)) => vec![format!("header {}: {}", r.field, r.reason)],
        };
        let got: Vec<&str> = got.iter().map(String::as_str).collect();
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for (g, e) in got.iter().zip(expected) {
            assert!(g.starts_with(e), "got {g:?}, want {e:?}");
        }
    }

    const GOOD: &str = r#"{"station":"S","metric":"rain_mm","time":"2024-09-09T13:00:00+07:00","value":1.5,"unit":"mm"}"#;

    #[test]
    fn json_arrays() {
        check(
            BodyFormat::JsonArray,
            &format!("[{GOOD},{GOOD}]"),
            &["ok S rain_mm Some(1.5)", "ok S rain_mm Some(1.5)"],
        );
        check(
            BodyFormat::JsonArray,
            &format!("[{GOOD},{{\"station\":"),
            &["body: not a JSON array of records: EOF"],
        );
        check(
            BodyFormat::JsonArray,
            r#"[{"station":"S","value":"high"}]"#,
            &["value: expected a number, found a string"],
        );
        check(
            BodyFormat::JsonArray,
            r#"[{"station":5}]"#,
            &["station: expected a string, found a number"],
        );
        check(
            BodyFormat::JsonArray,
            r#"[{"station":"S","valeu":1}]"#,
            &["valeu: unknown field"],
        );
        check(
            BodyFormat::JsonArray,
            r#"[{"value":1e400}]"#,
            &["record: not valid JSON: number out of range"],
        );
        check(
            BodyFormat::JsonArray,
            r#"[7]"#,
            &["record: expected a JSON object, found a number"],
        );
        check(
            BodyFormat::JsonArray,
            r#"{"station":"S"}"#,
            &["body: not a JSON array of records"],
        );
    }

    #[test]
    fn ndjson_lines() {
        check(
            BodyFormat::Ndjson,
            &format!("{GOOD}\n\n{GOOD}\r\n{{\"sta"),
            &["ok S", "ok S", "record: not valid JSON: EOF"],
        );
        let long = format!("{{\"station\":\"{}\"}}", "x".repeat(MAX_RECORD_BYTES));
        check(
            BodyFormat::Ndjson,
            &long,
            &["record: 65550 bytes is longer than the 65536-byte limit"],
        );
        let invalid_utf8 = unsafe_free_invalid_utf8();
        let parsed = parse_body(BodyFormat::Ndjson, &invalid_utf8).unwrap();
        assert_eq!(
            parsed[0].as_ref().unwrap_err().reason,
            "not valid UTF-8 (byte 12)"
        );
    }

    fn unsafe_free_invalid_utf8() -> Vec<u8> {
        let mut bytes = br#"{"station":""#.to_vec();
        bytes.extend([0xff, 0xfe]);
        bytes.extend(br#""}"#);
        bytes
    }

    #[test]
    fn csv_bodies() {
        check(
            BodyFormat::Csv,
            "station,metric,time,value,unit\nS,rain_mm,2024-09-09T13:00:00+07:00,1.5,mm\n",
            &["ok S rain_mm Some(1.5)"],
        );
        check(
            BodyFormat::Csv,
            "station,metric,value\nS,rain_mm,1\n",
            &[
                "header time: the column is missing; expected station,metric,time,value[,unit,kind,issued]",
            ],
        );
        check(
            BodyFormat::Csv,
            "station,metric,time,value,value\nS,rain_mm,2024-09-09T13:00:00+07:00,1.5,9\n",
            &["header value: appears more than once (again as column 5)"],
        );
        check(
            BodyFormat::Csv,
            "station,metric,time,value\nS,rain_mm,t,abc\nS,rain_mm\n",
            &[
                "value: \"abc\" is not a number",
                "record: 2 fields where the header has 4",
            ],
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(
            BodyFormat::from_content_type("application/x-ndjson; charset=utf-8"),
            Some(BodyFormat::Ndjson)
        );
        assert_eq!(
            BodyFormat::from_content_type("text/csv"),
            Some(BodyFormat::Csv)
        );
        assert_eq!(BodyFormat::from_content_type("text/plain"), None);
    }
}

//! Validation beyond the schema: the rules of the CAP 1.2 specification's text that the XSD
//! cannot express, each with a name and a level. Errors are kept for what the standard says an
//! alert MUST (or MUST NOT) do and make it invalid; warnings flag what real agencies do that the
//! standard does not forbid, or that only a profile forbids (an `expires` before `effective`, an
//! update without `references`, a polygon whose edges cross).
//!
//! | rule | level | what |
//! |---|---|---|
//! | `datetime` | error | sent/effective/onset/expires in the CAP form `YYYY-MM-DDThh:mm:ss±hh:mm` |
//! | `identifier-chars` | error | identifier and sender non-empty, without spaces, commas, `<` or `&` |
//! | `restriction-scope` | error | `restriction` only with scope Restricted (warning: Restricted without it, or empty) |
//! | `addresses-scope` | error | scope Private needs `addresses` |
//! | `references` | error | `sender,identifier,sent` triples, never the alert itself (warning: empty) |
//! | `references-missing` | warning | an Update, Cancel, Ack or Error without references (CAP does not require them; profiles do) |
//! | `language` | error | RFC 3066 language tags |
//! | `polygon` | error | valid coordinates, at least 4 pairs, closed (warning: empty) |
//! | `polygon-crossing` | warning | edges that cross (CAP does not forbid it; areas are still placed) |
//! | `circle` | error | `lat,lon radius` with a radius ≥ 0 |
//! | `altitude-ceiling` | error | decimals; ceiling only with altitude, altitude ≤ ceiling |
//! | `expires-effective` | warning | expires after effective (or sent), onset before expires |
//! | `empty-value` | warning | geocode and eventCode values present |

use crate::findings::Finding;
use crate::geometry;
use crate::model::*;

/// Every finding of the rules above for `alert`.
pub fn validate(alert: &Alert) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_alert(alert, &mut findings);
    for (i, info) in alert.info.iter().enumerate() {
        check_info(alert, info, &format!("alert.info[{i}]"), &mut findings);
    }
    findings
}

fn check_alert(alert: &Alert, out: &mut Vec<Finding>) {
    check_datetime(&alert.sent, "alert.sent", out);
    check_token(&alert.identifier, "alert.identifier", out);
    check_token(&alert.sender, "alert.sender", out);
    check_scope(alert, out);
    check_references(alert, out);
}

fn check_info(alert: &Alert, info: &Info, path: &str, out: &mut Vec<Finding>) {
    for (name, value) in [
        ("effective", &info.effective),
        ("onset", &info.onset),
        ("expires", &info.expires),
    ] {
        if let Some(value) = value {
            check_datetime(value, &format!("{path}.{name}"), out);
        }
    }
    if let Some(language) = &info.language.as_ref().filter(|l| !is_language_tag(l)) {
        out.push(Finding::error(
            "language",
            format!("{path}.language"),
            format!("{language:?} is not a language tag (RFC 3066)"),
        ));
    }
    check_times(alert, info, path, out);
    check_values(&info.event_code, &format!("{path}.eventCode"), out);
    for (i, area) in info.area.iter().enumerate() {
        check_area(area, &format!("{path}.area[{i}]"), out);
    }
}

fn check_area(area: &Area, path: &str, out: &mut Vec<Finding>) {
    for (i, polygon) in area.polygon.iter().enumerate() {
        if polygon.is_empty() {
            out.push(Finding::warning(
                "polygon",
                format!("{path}.polygon[{i}]"),
                "empty polygon (ignored)",
            ));
        } else {
            check_polygon(polygon, &format!("{path}.polygon[{i}]"), out);
        }
    }
    for (i, circle) in area.circle.iter().enumerate() {
        if let Err(error) = geometry::parse_circle(circle) {
            out.push(Finding::error(
                "circle",
                format!("{path}.circle[{i}]"),
                error.to_string(),
            ));
        }
    }
    check_values(&area.geocode, &format!("{path}.geocode"), out);
    check_altitude(area, path, out);
}

fn check_polygon(polygon: &str, path: &str, out: &mut Vec<Finding>) {
    match geometry::parse_polygon(polygon) {
        Err(error) => out.push(Finding::error("polygon", path, error.to_string())),
        Ok(points) => {
            if let Some(crossing) = geometry::self_crossing(&points) {
                let message = format!("the polygon intersects itself: {crossing} (read anyway)");
                out.push(Finding::warning("polygon-crossing", path, message));
            }
        }
    }
}

fn check_altitude(area: &Area, path: &str, out: &mut Vec<Finding>) {
    let decimal = |name: &str, text: &Option<String>, out: &mut Vec<Finding>| {
        let text = text.as_ref()?;
        let value = text.parse::<f64>().ok().filter(|v| v.is_finite());
        if value.is_none() {
            out.push(Finding::error(
                "altitude-ceiling",
                format!("{path}.{name}"),
                format!("{text:?} is not a decimal"),
            ));
        }
        value
    };
    let altitude = decimal("altitude", &area.altitude, out);
    let ceiling = decimal("ceiling", &area.ceiling, out);
    if area.ceiling.is_some() && area.altitude.is_none() {
        out.push(Finding::error(
            "altitude-ceiling",
            format!("{path}.ceiling"),
            "ceiling is given without altitude",
        ));
    }
    if let (Some(altitude), Some(ceiling)) = (altitude, ceiling)
        && altitude > ceiling
    {
        let message = format!("altitude {altitude} is above ceiling {ceiling}");
        out.push(Finding::error(
            "altitude-ceiling",
            format!("{path}.altitude"),
            message,
        ));
    }
}

fn check_values(pairs: &[NamedValue], path: &str, out: &mut Vec<Finding>) {
    for (i, pair) in pairs.iter().enumerate().filter(|(_, p)| p.value.is_empty()) {
        let message = format!("value of {:?} is empty", pair.value_name);
        out.push(Finding::warning(
            "empty-value",
            format!("{path}[{i}]"),
            message,
        ));
    }
}

fn check_scope(alert: &Alert, out: &mut Vec<Finding>) {
    let restriction = alert.restriction.as_deref().filter(|r| !r.is_empty());
    match (alert.scope, restriction) {
        (Scope::Restricted, None) => out.push(Finding::warning(
            "restriction-scope",
            "alert.scope",
            "scope is Restricted but no restriction says who may see the alert",
        )),
        (scope, Some(_)) if scope != Scope::Restricted => out.push(Finding::error(
            "restriction-scope",
            "alert.restriction",
            format!(
                "restriction is only allowed with scope Restricted (scope is {})",
                scope.as_str()
            ),
        )),
        (scope, None) if scope != Scope::Restricted && alert.restriction.is_some() => {
            out.push(Finding::warning(
                "restriction-scope",
                "alert.restriction",
                "empty restriction (ignored)",
            ))
        }
        _ => {}
    }
    if alert.scope == Scope::Private && alert.addresses.as_deref().is_none_or(str::is_empty) {
        out.push(Finding::error(
            "addresses-scope",
            "alert.addresses",
            "scope is Private but no addresses are given",
        ));
    }
}

/// References must be `sender,identifier,sent` triples; a message that updates, cancels,
/// acknowledges or corrects should say which alerts it concerns (CAP 1.2 leaves `references`
/// optional, so its absence is a warning).
fn check_references(alert: &Alert, out: &mut Vec<Finding>) {
    let path = "alert.references";
    let references = alert.references.as_deref().unwrap_or_default();
    if references.split_whitespace().next().is_none() {
        if alert.msg_type != MsgType::Alert {
            let message = format!(
                "msgType {} needs references to the alerts it concerns",
                alert.msg_type.as_str()
            );
            out.push(Finding::warning("references-missing", path, message));
        } else if alert.references.is_some() {
            out.push(Finding::warning(
                "references",
                path,
                "empty references (ignored)",
            ));
        }
    }
    for reference in references.split_whitespace() {
        match reference.split(',').collect::<Vec<_>>().as_slice() {
            [sender, identifier, sent] if is_cap_datetime(sent) => {
                if *sender == alert.sender && *identifier == alert.identifier {
                    out.push(Finding::error("references", path, format!("{reference:?} refers to the alert itself")));
                }
            }
            _ => out.push(Finding::error(
                "references",
                path,
                format!("{reference:?} is not sender,identifier,sent (with sent as YYYY-MM-DDThh:mm:ss±hh:mm)"),
            )),
        }
    }
}

fn check_token(value: &str, path: &str, out: &mut Vec<Finding>) {
    let bad = value
        .chars()
        .find(|c| c.is_whitespace() || matches!(c, ',' | '<' | '&'));
    let problem = match bad {
        _ if value.is_empty() => Some("is empty".to_string()),
        Some(c) => Some(format!(
            "{value:?} contains {c:?} (spaces, commas, < and & are not allowed)"
        )),
        None => None,
    };
    if let Some(problem) = problem {
        out.push(Finding::error("identifier-chars", path, problem));
    }
}

fn check_datetime(value: &str, path: &str, out: &mut Vec<Finding>) {
    if !is_cap_datetime(value) {
        let message = format!(
            "{value:?} is not a CAP date-time (YYYY-MM-DDThh:mm:ss±hh:mm, no Z, no fractions)"
        );
        out.push(Finding::error("datetime", path, message));
    }
}

/// Warns when the info expires before it takes effect, or begins after it expires.
fn check_times(alert: &Alert, info: &Info, path: &str, out: &mut Vec<Finding>) {
    let start = info.effective.as_deref().unwrap_or(&alert.sent);
    let (Some(start), Some(expires)) = (instant(start), info.expires.as_deref().and_then(instant))
    else {
        return;
    };
    if expires <= start {
        let what = if info.effective.is_some() {
            "effective"
        } else {
            "sent"
        };
        out.push(Finding::warning(
            "expires-effective",
            format!("{path}.expires"),
            format!("expires is not after {what}"),
        ));
    }
    if info
        .onset
        .as_deref()
        .and_then(instant)
        .is_some_and(|onset| onset >= expires)
    {
        out.push(Finding::warning(
            "expires-effective",
            format!("{path}.onset"),
            "onset is not before expires",
        ));
    }
}

/// The CAP date-time form: `YYYY-MM-DDThh:mm:ss±hh:mm`, a real instant.
pub fn is_cap_datetime(text: &str) -> bool {
    let shape = "dddd-dd-ddTdd:dd:dd+dd:dd";
    let shaped = text.len() == shape.len()
        && text.bytes().zip(shape.bytes()).all(|(c, s)| match s {
            b'd' => c.is_ascii_digit(),
            b'+' => c == b'+' || c == b'-',
            _ => c == s,
        });
    shaped && instant(text).is_some()
}

/// The instant a CAP date-time names (`-00:00` read as UTC).
pub fn instant(text: &str) -> Option<jiff::Timestamp> {
    text.parse::<jiff::Timestamp>().ok()
}

/// RFC 3066: a primary subtag of 1–8 letters, then subtags of 1–8 letters or digits.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let fits = |part: &str, ok: fn(&u8) -> bool| {
        (1..=8).contains(&part.len()) && part.bytes().all(|b| ok(&b))
    };
    fits(primary, u8::is_ascii_alphabetic)
        && parts.all(|part| fits(part, u8::is_ascii_alphanumeric))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_follow_the_cap_form() {
        assert!(is_cap_datetime("2012-05-02T23:21:04-00:00"));
        assert!(is_cap_datetime("2025-09-06T07:00:00+07:00"));
        assert!(!is_cap_datetime("2025-09-06T07:00:00Z"));
        assert!(!is_cap_datetime("2025-09-06T07:00:00.5+07:00"));
        assert!(!is_cap_datetime("2025-02-30T07:00:00+07:00"));
    }

    #[test]
    fn language_tags_follow_rfc_3066() {
        assert!(is_language_tag("vi-VN") && is_language_tag("en") && is_language_tag("zh-tw"));
        assert!(
            !is_language_tag("")
                && !is_language_tag("en_US")
                && !is_language_tag("en-toolongsubtag")
        );
        assert!(!is_language_tag("toolongtag"));
    }
}

#[cfg(test)]
mod levels {
    use super::*;

    /// The findings of an alert with `msg_type`, `references` and one area with `polygons`, as
    /// `level [rule] path: message` lines.
    fn check(msg_type: &str, references: &str, polygons: &[&str]) -> Vec<String> {
        let polygons: String = polygons
            .iter()
            .map(|p| format!("<polygon>{p}</polygon>"))
            .collect();
        let xml = format!(
            "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>a.1</identifier>\
             <sender>s@x</sender><sent>2025-09-06T07:00:00+07:00</sent><status>Actual</status>\
             <msgType>{msg_type}</msgType><scope>Public</scope>{references}\
             <info><category>Met</category><event>rain</event><urgency>Expected</urgency>\
             <severity>Severe</severity><certainty>Likely</certainty>\
             <area><areaDesc>x</areaDesc>{polygons}</area></info></alert>"
        );
        let read = crate::read(xml.as_bytes()).unwrap();
        assert!(read.warnings.is_empty(), "{:?}", read.warnings);
        validate(&read.alert)
            .iter()
            .map(Finding::to_string)
            .collect()
    }

    #[test]
    fn what_cap_does_not_forbid_is_a_warning_and_what_it_requires_an_error() {
        let square = "0,0 0,1 1,1 1,0 0,0";
        let bowtie = "0,0 1,1 1,0 0,1 0,0";
        let cases: &[(&str, &str, &[&str], &[&str])] = &[
            ("Alert", "", &[square], &[]),
            (
                "Alert",
                "",
                &[bowtie],
                &[
                    "warning [polygon-crossing] alert.info[0].area[0].polygon[0]: the polygon intersects itself: edge 0 crosses edge 2 (read anyway)",
                ],
            ),
            ("Alert", "", &["0,0 0,1 1,1 0,0"], &[]),
            (
                "Alert",
                "",
                &["0,0 0,1 1,1"],
                &[
                    "error [polygon] alert.info[0].area[0].polygon[0]: a polygon needs at least 4 points (the first repeated last); it has 3",
                ],
            ),
            (
                "Alert",
                "",
                &["0,0 0,1 1,1 1,0 0,0.5"],
                &[
                    "error [polygon] alert.info[0].area[0].polygon[0]: the polygon is not closed: the last point must repeat the first",
                ],
            ),
            (
                "Update",
                "<references/>",
                &[square],
                &[
                    "warning [references-missing] alert.references: msgType Update needs references to the alerts it concerns",
                ],
            ),
            (
                "Cancel",
                "<references>s@x,a.0,2025-09-06T06:00:00+07:00</references>",
                &[square],
                &[],
            ),
            (
                "Update",
                "<references>s@x,a.0</references>",
                &[square],
                &[
                    "error [references] alert.references: \"s@x,a.0\" is not sender,identifier,sent (with sent as YYYY-MM-DDThh:mm:ss±hh:mm)",
                ],
            ),
        ];
        for (msg_type, references, polygons, expected) in cases {
            assert_eq!(
                check(msg_type, references, polygons),
                *expected,
                "{msg_type} {references} {polygons:?}"
            );
        }
    }
}

//! Input that was once stored and must not be: each request gets 422 naming the record, the
//! field and the reason, and nothing of it is stored.

use crate::{fixture, send};
use axum::http::StatusCode;

const RESOURCE_HEADER: &str = "id,name,category,kind,unit,quantity,status,owner,commune,province,tier,lat,lon,readiness_minutes,skills\n";

fn resource(id: &str, lat: f64, lon: f64) -> String {
    format!(
        "{id},Xuồng (synthetic),materials,boat,boat,1,available,Ban CHQS,,01,province,{lat},{lon},20,\n"
    )
}

fn station(id: &str, lat: f64, lon: f64) -> String {
    format!("{id},Refused gauge (synthetic),hydromet,{lat},{lon},,rain_mm:mm:0:500:600,\n")
}

fn recipient(id: &str, endpoint: &str) -> String {
    format!(
        r#"{{"id": "{id}", "name": "Refused", "sector": "standing", "region": "01", "tier": "province", "endpoints": [{endpoint}]}}"#
    )
}

fn observation(time: &str) -> String {
    format!(
        r#"[{{"station":"SYN-HN-1","metric":"rain_mm","time":"{time}","value":1.5,"unit":"mm"}}]"#
    )
}

/// One refused request: where it goes, what it sends, its status (422 for a record refused, 400
/// where the body's reader already refuses a line), the message its answer must contain,
/// and a read whose answer must not contain `absent` afterwards.
struct Case {
    method: &'static str,
    uri: &'static str,
    content_type: &'static str,
    body: String,
    status: StatusCode,
    expected: &'static str,
    read: &'static str,
    absent: &'static str,
}

#[tokio::test]
async fn refused_input_is_named_and_not_stored() {
    let stations_header = tocsin_engine::stations::CSV_HEADER.join(",") + "\n";
    let cases = [
        Case {
            method: "POST", uri: "/api/v1/observations", content_type: "text/csv",
            body: "station,metric,time,value,value\nSYN-HN-1,rain_mm,2001-02-03T04:05:06Z,1.5,9\n".into(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"value","reason":"appears more than once (again as column 5)","record":"CSV header""#,
            read: "/api/v1/observations/versions?station=SYN-HN-1&metric=rain_mm&time=2001-02-03T04:05:06Z",
            absent: "value",
        },
        Case {
            method: "POST", uri: "/api/v1/observations", content_type: "application/json",
            body: observation("0000-01-01T00:00:00Z"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"time","index":0,"reason":"0000-01-01T00:00:00Z is before 1900-01-01T00:00:00Z"#,
            read: "/api/v1/observations/versions?station=SYN-HN-1&metric=rain_mm&time=0000-01-01T00:00:00Z",
            absent: "value",
        },
        Case {
            method: "POST", uri: "/api/v1/observations", content_type: "application/json",
            body: observation("2024-09-09T13:00:00+25:00"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"time","index":0,"reason":"\"2024-09-09T13:00:00+25:00\" has the UTC offset +25"#,
            read: "/api/v1/observations/versions?station=SYN-HN-1&metric=rain_mm&time=2024-09-08T12:00:00Z",
            absent: "value",
        },
        Case {
            method: "POST", uri: "/api/v1/stations", content_type: "text/csv",
            body: format!("{}{}", stations_header.replace(",attributes", ",lat"), station("REF-DUPCOL", 21.0, 105.8).replace(",\n", ",21.5\n")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"lat","reason":"appears more than once (again as column 8)","station":"row 1""#,
            read: "/api/v1/stations", absent: "REF-DUPCOL",
        },
        Case {
            method: "POST", uri: "/api/v1/stations", content_type: "text/csv",
            body: format!("{stations_header}{}", station("REF-ZERO", 0.0, 0.0)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"lat","reason":"(0, 0) lies outside Vietnam's land and sea (6°–23.5° N, 102°–118° E)","station":"REF-ZERO""#,
            read: "/api/v1/stations", absent: "REF-ZERO",
        },
        Case {
            method: "POST", uri: "/api/v1/stations", content_type: "text/csv",
            body: format!("{stations_header}{}{}", station("REF-TWICE", 21.0, 105.8), station("REF-TWICE", 21.1, 105.9)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"id","reason":"appears more than once in this request (records 0, 1)","station":"REF-TWICE""#,
            read: "/api/v1/stations", absent: "REF-TWICE",
        },
        Case {
            method: "PUT", uri: "/api/v1/resources", content_type: "text/csv",
            body: format!("{RESOURCE_HEADER}{}{}", resource("REF-BOAT", 21.0, 105.8), resource("REF-BOAT", 21.0, 105.8)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"id","reason":"appears more than once in this request (records 0, 1)","record":"resource \"REF-BOAT\"""#,
            read: "/api/v1/resources", absent: "REF-BOAT",
        },
        Case {
            method: "PUT", uri: "/api/v1/resources", content_type: "text/csv",
            body: format!("{RESOURCE_HEADER}{}", resource("REF-NOWHERE", 0.0, 0.0)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"lat/lon","reason":"(0, 0) lies outside Vietnam's land and sea"#,
            read: "/api/v1/resources", absent: "REF-NOWHERE",
        },
        Case {
            method: "POST", uri: "/api/v1/incidents", content_type: "application/json",
            body: r#"{"hazard": "zombies", "lat": 21.03853, "lon": 105.83806, "text": "zombies", "reporter": "Refused"}"#.into(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"hazard","reason":"\"zombies\" is not a hazard of the catalogue ("#,
            read: "/api/v1/incidents", absent: "zombies",
        },
        Case {
            method: "PUT", uri: "/api/v1/auto-release", content_type: "application/json",
            body: r#"{"hazard": "zombies", "max_level": 2}"#.into(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"hazard","reason":"\"zombies\" is not a hazard of the catalogue ("#,
            read: "/api/v1/auto-release", absent: "zombies",
        },
        Case {
            method: "PUT", uri: "/api/v1/recipients", content_type: "application/json",
            body: format!("[{}]", recipient("ref-file", r#"{"channel": "webhook", "url": "file:///etc/passwd", "body": "json"}"#)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"endpoints[0].url","reason":"\"file:///etc/passwd\": not a URL (invalid format); only absolute http:// URLs are reached"#,
            read: "/api/v1/recipients", absent: "ref-file",
        },
        Case {
            method: "PUT", uri: "/api/v1/recipients", content_type: "application/json",
            body: format!("[{}]", recipient("ref-mqtt", r#"{"channel": "mqtt", "broker": "mqtt://broker", "topic_prefix": "tocsin/#", "body": "json"}"#)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"endpoints[0].broker","reason":"\"mqtt://broker\" is not a broker's host:port""#,
            read: "/api/v1/recipients", absent: "ref-mqtt",
        },
        Case {
            method: "PUT", uri: "/api/v1/recipients", content_type: "application/json",
            body: format!("[{}]", recipient("ref-mail", r#"{"channel": "email", "address": "trực ban"}"#)),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"endpoints[0].address","reason":"\"trực ban\" is not an address (local@domain)""#,
            read: "/api/v1/recipients", absent: "ref-mail",
        },
        Case {
            method: "PUT", uri: "/api/v1/recipients", content_type: "application/json",
            body: format!("[{}, {}]", recipient("ref-twice", ""), recipient("ref-twice", "")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            expected: r#""field":"id","reason":"appears more than once in this request (records 0, 1)","record":"recipient ref-twice""#,
            read: "/api/v1/recipients", absent: "ref-twice",
        },
    ];
    let admin = fixture().admin.as_str();
    for case in cases {
        let (status, text) = send(
            case.method,
            case.uri,
            Some(admin),
            case.content_type,
            case.body.clone(),
        )
        .await;
        assert_eq!(status, case.status, "{} {}: {text}", case.method, case.uri);
        assert!(
            text.contains(case.expected),
            "{} {}: {text}\nshould contain {}",
            case.method,
            case.uri,
            case.expected
        );
        let (status, stored) = send("GET", case.read, Some(admin), "", "").await;
        assert_eq!(status, StatusCode::OK, "{}: {stored}", case.read);
        assert!(
            !stored.contains(case.absent),
            "{} {} stored: {stored}",
            case.method,
            case.uri
        );
    }
}

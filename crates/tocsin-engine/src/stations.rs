//! Station files: import and export as JSON (an array of stations) or CSV, one station a row:
//! `id,name,domain,lat,lon,commune,metrics,attributes` where `metrics` is
//! `name:unit:min:max:interval_s` joined by `;` and `attributes` is `key=value` joined by `;`.

use std::collections::BTreeMap;
use tocsin_core::station::{AttributeValue, Domain, MetricSpec, Station, StationError};

/// The CSV header of station files.
pub const CSV_HEADER: [&str; 8] = [
    "id",
    "name",
    "domain",
    "lat",
    "lon",
    "commune",
    "metrics",
    "attributes",
];

fn row_error(row: usize, station: &str, field: &str, reason: impl Into<String>) -> StationError {
    StationError {
        station: if station.is_empty() {
            format!("row {row}")
        } else {
            station.to_string()
        },
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parses a station CSV; every problem names the row or station, the field and the reason.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<Station>, Vec<StationError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = crate::csv_header::read(&mut reader).map_err(|e| {
        let field = if e.column.is_empty() {
            "header"
        } else {
            &e.column
        };
        vec![row_error(1, "", field, e.reason)]
    })?;
    let position = |name: &str| header.iter().position(|h| h == name);
    let missing: Vec<StationError> = CSV_HEADER[..5]
        .iter()
        .chain(["metrics"].iter())
        .filter(|c| position(c).is_none())
        .map(|c| row_error(1, "", c, "column missing from the header"))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut stations = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        match record
            .map_err(|e| row_error(row, "", "row", e.to_string()))
            .and_then(|r| station_from_row(row, &r, &position))
        {
            Ok(station) => stations.push(station),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(stations)
    } else {
        Err(errors)
    }
}

fn station_from_row(
    row: usize,
    record: &csv::StringRecord,
    position: &dyn Fn(&str) -> Option<usize>,
) -> Result<Station, StationError> {
    let get = |name: &str| {
        position(name)
            .and_then(|i| record.get(i))
            .unwrap_or_default()
    };
    let id = get("id");
    let number = |name: &str| {
        get(name)
            .parse::<f64>()
            .map_err(|_| row_error(row, id, name, format!("{:?} is not a number", get(name))))
    };
    let domain = Domain::parse(get("domain")).ok_or_else(|| {
        row_error(
            row,
            id,
            "domain",
            format!("unknown domain {:?}", get("domain")),
        )
    })?;
    Ok(Station {
        id: id.to_string(),
        name: get("name").to_string(),
        domain,
        lat: number("lat")?,
        lon: number("lon")?,
        commune: Some(get("commune").to_string()).filter(|c| !c.is_empty()),
        metrics: parse_metrics(get("metrics"))
            .map_err(|reason| row_error(row, id, "metrics", reason))?,
        attributes: parse_attributes(get("attributes"))
            .map_err(|reason| row_error(row, id, "attributes", reason))?,
        retired: None,
    })
}

fn parse_metrics(text: &str) -> Result<Vec<MetricSpec>, String> {
    text.split(';')
        .filter(|m| !m.trim().is_empty())
        .map(|m| {
            let parts: Vec<&str> = m.split(':').map(str::trim).collect();
            let [name, unit, min, max, interval] = parts[..] else {
                return Err(format!("{m:?} is not name:unit:min:max:interval_s"));
            };
            let number = |t: &str| {
                t.parse::<f64>()
                    .map_err(|_| format!("{m:?}: {t:?} is not a number"))
            };
            Ok(MetricSpec {
                name: name.into(),
                unit: unit.into(),
                min: number(min)?,
                max: number(max)?,
                interval_s: interval.parse().map_err(|_| {
                    format!("{m:?}: interval {interval:?} is not a whole number of seconds")
                })?,
            })
        })
        .collect()
}

fn parse_attributes(text: &str) -> Result<BTreeMap<String, AttributeValue>, String> {
    text.split(';')
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            let (key, value) = a
                .split_once('=')
                .ok_or_else(|| format!("{a:?} is not key=value"))?;
            let value = match value.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => AttributeValue::Number(n),
                _ => AttributeValue::Text(value.trim().to_string()),
            };
            Ok((key.trim().to_string(), value))
        })
        .collect()
}

/// Writes stations as CSV in the import format.
pub fn to_csv(stations: &[Station]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(CSV_HEADER);
    for s in stations {
        let metrics: Vec<String> = s
            .metrics
            .iter()
            .map(|m| format!("{}:{}:{}:{}:{}", m.name, m.unit, m.min, m.max, m.interval_s))
            .collect();
        let attributes: Vec<String> = s
            .attributes
            .iter()
            .map(|(k, v)| match v {
                AttributeValue::Number(n) => format!("{k}={n}"),
                AttributeValue::Text(t) => format!("{k}={t}"),
            })
            .collect();
        let (lat, lon) = (s.lat.to_string(), s.lon.to_string());
        let _ = writer.write_record([
            s.id.as_str(),
            s.name.as_str(),
            s.domain.as_str(),
            &lat,
            &lon,
            s.commune.as_deref().unwrap_or_default(),
            &metrics.join(";"),
            &attributes.join(";"),
        ]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trip() {
        let csv = "id,name,domain,lat,lon,commune,metrics,attributes\n\
                   VN-HM-71526,Yên Bái (synthetic),hydromet,21.7,104.87,,water_level:m:0:60:600;rain_mm:mm:0:500:600,bd1=31;bd2=32;bd3=33\n";
        let stations = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(stations[0].metrics.len(), 2);
        assert_eq!(stations[0].attributes["bd3"], AttributeValue::Number(33.0));
        assert_eq!(to_csv(&stations), csv);
    }

    #[test]
    fn csv_problems_are_named() {
        let errors = parse_csv(b"id,name,lat\nX,Y,1\n").unwrap_err();
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            text,
            [
                "station \"row 1\": domain: column missing from the header",
                "station \"row 1\": lon: column missing from the header",
                "station \"row 1\": metrics: column missing from the header"
            ]
        );
        let errors = parse_csv(
            b"id,name,domain,lat,lon,lat,metrics\nS1,Y,air,1,2,3,pm25:ug/m3:0:1000:3600\n",
        )
        .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "station \"row 1\": lat: appears more than once (again as column 6)"
        );
        let errors =
            parse_csv(b"id,name,domain,lat,lon,metrics\nS1,Y,air,north,1,pm25:ug/m3:0:1000:3600\n")
                .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "station \"S1\": lat: \"north\" is not a number"
        );
    }
}

//! The resource registry of the four on-site categories: command posts, forces and units,
//! materials and means, logistics stocks — each with its owner, place, quantity, status and
//! readiness. Imported from CSV (all or nothing, every problem named by line and field) or set
//! over the API.
//!
//! CSV columns: `id,name,category,kind,unit,quantity,status,owner,commune,province,tier,lat,lon,readiness_minutes,skills`
//! (`skills` separated by `;`; `commune` may be empty for a provincial or national depot).

use crate::access::{Place, Principal};
use crate::engine::Engine;
use crate::error::{EngineError, RecordError, Result};
use tocsin_core::access::{Access, Resource};
use tocsin_core::response::{Category, Tier};
use tocsin_store::ResourceRecord;

/// The statuses a resource can have.
pub const STATUSES: &[&str] = &["available", "out_of_service"];

/// Why an import of resources was refused: a body that cannot be read as its format at all,
/// or records with problems (each named with its record, field and reason); nothing is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Unreadable(String),
    Records(Vec<RecordError>),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Unreadable(reason) => f.write_str(reason),
            Refused::Records(errors) => {
                let lines: Vec<String> = errors.iter().map(RecordError::to_string).collect();
                f.write_str(&lines.join("\n"))
            }
        }
    }
}

/// Reads resources from a JSON array of objects with the CSV's columns as keys; every problem is
/// named `resource N` (its place in the array) with its field.
pub fn parse_json(bytes: &[u8]) -> std::result::Result<Vec<ResourceRecord>, Refused> {
    let rows: Vec<serde_json::Value> = serde_json::from_slice(bytes).map_err(|e| {
        Refused::Unreadable(format!("body: {e} (expected a JSON array of resources)"))
    })?;
    let read = rows.into_iter().enumerate().map(|(index, row)| {
        let record = format!("resource {index}");
        serde_json::from_value::<Row>(row)
            .map_err(|e| RecordError::new(&record, "row", e.to_string()))
            .and_then(|row| {
                row.into_record()
                    .map_err(|(field, reason)| RecordError::new(&record, field, reason))
            })
    });
    all_or_nothing(read)
}

/// Reads resources from CSV; every problem is named `line N` with its field.
pub fn parse_csv(bytes: &[u8]) -> std::result::Result<Vec<ResourceRecord>, Refused> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    crate::csv_header::read(&mut reader).map_err(|e| {
        let field = if e.column.is_empty() {
            "header"
        } else {
            &e.column
        };
        Refused::Records(vec![RecordError::new("line 1", field, e.reason)])
    })?;
    let read = reader.deserialize::<Row>().enumerate().map(|(index, row)| {
        let record = format!("line {}", index + 2);
        row.map_err(|e| RecordError::new(&record, "row", e.to_string()))
            .and_then(|row| {
                row.into_record()
                    .map_err(|(field, reason)| RecordError::new(&record, field, reason))
            })
    });
    all_or_nothing(read)
}

/// Every resource read, or every problem found.
fn all_or_nothing(
    read: impl Iterator<Item = std::result::Result<ResourceRecord, RecordError>>,
) -> std::result::Result<Vec<ResourceRecord>, Refused> {
    let (resources, problems): (Vec<_>, Vec<_>) = read.partition(|r| r.is_ok());
    if problems.is_empty() {
        Ok(resources.into_iter().flatten().collect())
    } else {
        Err(Refused::Records(
            problems.into_iter().filter_map(|r| r.err()).collect(),
        ))
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    id: String,
    name: String,
    category: String,
    kind: String,
    unit: String,
    quantity: u64,
    status: String,
    owner: String,
    #[serde(default)]
    commune: String,
    province: String,
    tier: String,
    lat: f64,
    lon: f64,
    readiness_minutes: u32,
    #[serde(default)]
    skills: String,
}

impl Row {
    fn into_record(self) -> std::result::Result<ResourceRecord, (&'static str, String)> {
        let category = Category::parse(&self.category).ok_or((
            "category",
            format!(
                "{:?} is none of command, forces, materials, logistics",
                self.category
            ),
        ))?;
        let tier = Tier::parse(&self.tier).ok_or((
            "tier",
            format!("{:?} is none of commune, province, national", self.tier),
        ))?;
        let quantity = super::storable(self.quantity).map_err(|reason| ("quantity", reason))?;
        let record = ResourceRecord {
            id: self.id,
            name: self.name,
            category,
            kind: self.kind,
            unit: self.unit,
            quantity,
            assigned: 0,
            status: self.status,
            owner: self.owner,
            commune: Some(self.commune).filter(|c| !c.is_empty()),
            province: self.province,
            tier,
            lon: self.lon,
            lat: self.lat,
            readiness_minutes: self.readiness_minutes,
            skills: self
                .skills
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        };
        check(&record).map(|_| record)
    }
}

/// The rules every resource keeps: named, a known status, a point in Vietnam's land and sea.
fn check(r: &ResourceRecord) -> std::result::Result<(), (&'static str, String)> {
    if r.id.trim().is_empty() || r.name.trim().is_empty() {
        return Err(("id/name", "both are needed".into()));
    }
    if r.kind.trim().is_empty() {
        return Err(("kind", "is empty".into()));
    }
    if !STATUSES.contains(&r.status.as_str()) {
        return Err((
            "status",
            format!("{:?} is none of {}", r.status, STATUSES.join(", ")),
        ));
    }
    if let Some(reason) = tocsin_core::station::outside_vietnam(r.lat, r.lon) {
        return Err(("lat/lon", reason));
    }
    if r.province.trim().is_empty() {
        return Err(("province", "is empty".into()));
    }
    Ok(())
}

impl Engine {
    /// The resources of the provinces `who` sees, with the national reserves.
    pub fn resources(&self, who: &Principal) -> Result<Vec<ResourceRecord>> {
        who.require(Resource::Resources, Access::Read)?;
        Ok(self.store().resources(&who.filter)?)
    }

    /// Creates or replaces resources (all or nothing): operators and administrators, within their
    /// provinces; national reserves by national ones only.
    pub fn set_resources(&self, who: &Principal, resources: &[ResourceRecord]) -> Result<usize> {
        who.require(Resource::Resources, Access::Write)?;
        if resources.is_empty() {
            return Err(EngineError::Invalid(
                "body: no resources (an empty array, or a CSV header without rows)".into(),
            ));
        }
        let today = self.today();
        let all = tocsin_store::RegionFilter::all();
        let repeated = crate::batch::repeated_ids(resources.iter().map(|r| r.id.as_str()));
        if !repeated.is_empty() {
            return Err(EngineError::InvalidRecords(
                repeated
                    .into_iter()
                    .map(|(id, reason)| RecordError::new(format!("resource {id:?}"), "id", reason))
                    .collect(),
            ));
        }
        for r in resources {
            let problem = |field: &str, reason: String| {
                EngineError::record(format!("resource {:?}", r.id), field, reason)
            };
            check(r).map_err(|(field, reason)| problem(field, reason))?;
            let place = match r.tier {
                Tier::National => Place::region(""),
                _ => Place::region(&r.province),
            };
            who.require_in(
                Resource::Resources,
                Access::Write,
                &format!("resource {:?} of {} {}", r.id, r.tier.as_str(), r.province),
                &place,
            )?;
            let province = self.store().region(&r.province, today, &all)?;
            if province.is_none_or(|p| p.kind != tocsin_core::region::RegionKind::Province) {
                return Err(problem(
                    "province",
                    format!("{} is not a current province", r.province),
                ));
            }
            if let Some(commune) = &r.commune {
                let found = self.store().region(commune, today, &all)?;
                if found.is_none_or(|c| c.parent.as_deref() != Some(r.province.as_str())) {
                    return Err(problem(
                        "commune",
                        format!(
                            "{commune} is not a current commune of province {}",
                            r.province
                        ),
                    ));
                }
            }
        }
        let now = self.clock().now().as_millisecond();
        self.store()
            .upsert_resources(resources, now, &who.actor())?;
        Ok(resources.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "id,name,category,kind,unit,quantity,status,owner,commune,province,tier,lat,lon,readiness_minutes,skills\n\
        B-1,Xuồng (synthetic),materials,boat,boat,4,available,Ban CHQS,04252,15,commune,21.7,104.87,30,\n\
        F-1,Đội cứu hộ (synthetic),forces,rescue_personnel,person,30,available,Công an,,15,province,21.7,104.9,60,swimming; first aid\n";

    #[test]
    fn resources_read_from_csv() {
        let found = parse_csv(CSV.as_bytes()).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].commune.as_deref(), Some("04252"));
        assert_eq!(found[1].commune, None);
        assert_eq!(found[1].skills, vec!["swimming", "first aid"]);
    }

    #[test]
    fn a_repeated_column_is_refused() {
        let repeated = CSV.replacen(",skills\n", ",quantity\n", 1);
        assert_eq!(
            parse_csv(repeated.as_bytes()).unwrap_err().to_string(),
            "line 1: quantity: appears more than once (again as column 15)"
        );
    }

    #[test]
    fn every_bad_line_is_named() {
        let bad = CSV
            .replace(",materials,", ",boats,")
            .replace(",available,Công an", ",lost,Công an");
        let Refused::Records(problems) = parse_csv(bad.as_bytes()).unwrap_err() else {
            panic!("the body is readable");
        };
        let problems: Vec<String> = problems.iter().map(RecordError::to_string).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("line 2: category:"),
            "{}",
            problems[0]
        );
        assert!(
            problems[1].starts_with("line 3: status:"),
            "{}",
            problems[1]
        );
    }
}

//! Import of Vietnam's administrative units from the official files (`data/vn/admin`):
//! the 34 provinces and 3,321 communes in force since 1 July 2025 with their boundaries, the
//! pre-reform provinces, districts and communes as retired units, and the official conversion
//! table as succession links. Pre-reform communes the table does not cover are reported.

use super::changes::{RegionChange, apply_changes};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use tocsin_core::geo::{Area, BBox, GeoJsonGeometry, LonLat};
use tocsin_core::region::{NATION_CODE, REFORM_2025, Region, RegionKind, Succession};
use tocsin_core::text::{ascii_name, split_unit_type};
use tocsin_store::{RegionRecord, SuccessionRecord};

/// A failure to read the official files: which file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct ImportError {
    pub file: String,
    pub reason: String,
}

fn fail(file: &str, reason: impl std::fmt::Display) -> ImportError {
    ImportError {
        file: file.to_string(),
        reason: reason.to_string(),
    }
}

/// Everything an import writes, and what it found worth reporting.
#[derive(Debug, Default)]
pub struct RegionImport {
    pub regions: Vec<RegionRecord>,
    pub successions: Vec<SuccessionRecord>,
    pub report: ImportReport,
}

/// Counts and exceptions of an import, printed by `tocsin import regions`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    pub provinces: usize,
    pub communes: usize,
    pub old_provinces: usize,
    pub old_districts: usize,
    pub old_communes: usize,
    pub successions: usize,
    /// Pre-2025 communes that no row of the conversion table covers: `code name (district)`.
    pub uncovered_old_communes: Vec<String>,
    /// Old codes in the conversion table that the pre-2025 list does not have.
    pub unknown_old_codes: Vec<String>,
    /// Current communes without a boundary in the boundary file.
    pub missing_boundaries: Vec<String>,
    /// Changes after the reform applied from the changes file.
    pub changes_applied: usize,
}

const NESTED: &str = "nested-divisions.json";
const PROVINCE_SHAPES: &str = "provinces_34_simplified_0.002deg.geojson";
const COMMUNE_SHAPES: &str = "wards_3321_simplified_0.001deg.geojson";
const CENTROIDS: &str = "wards_3321_centroid_bbox.csv";
const PRE_2025: &str = "pre2025_Xa_2025-01-04.csv";
const CONVERSION: &str = "conversion_old_to_new_communes_2025.csv";
const PROVINCE_MAPPING: &str = "province_mapping_63_to_34_derived.csv";

/// Reads the official files in `dir` and applies `changes` made after the reform.
pub fn read_official_files(
    dir: &Path,
    changes: &[RegionChange],
) -> Result<RegionImport, ImportError> {
    let shapes = read_shapes(&dir.join(PROVINCE_SHAPES), PROVINCE_SHAPES)?;
    let commune_shapes = read_shapes(&dir.join(COMMUNE_SHAPES), COMMUNE_SHAPES)?;
    let centroids = read_centroids(&dir.join(CENTROIDS))?;
    let mut import = RegionImport::default();
    import.regions.push(nation());
    read_current_units(
        dir,
        changes,
        &shapes,
        &commune_shapes,
        &centroids,
        &mut import,
    )?;
    let old = read_pre_reform_units(&dir.join(PRE_2025))?;
    let links = read_conversion(&dir.join(CONVERSION), &old, &mut import.report)?;
    let province_links = read_province_mapping(&dir.join(PROVINCE_MAPPING))?;
    add_old_units(old, &links, &province_links, &mut import);
    import.successions.extend(links);
    import.successions.extend(province_links);
    import.report.changes_applied =
        apply_changes(&mut import.regions, &mut import.successions, changes)
            .map_err(|e| fail("changes", e))?;
    import.report.successions = import.successions.len();
    Ok(import)
}

fn nation() -> RegionRecord {
    RegionRecord {
        region: Region {
            code: NATION_CODE.into(),
            kind: RegionKind::Nation,
            name: "Việt Nam".into(),
            name_en: "Viet Nam".into(),
            division_type: "quốc gia".into(),
            parent: None,
            valid_from: None,
            valid_to: None,
            centroid: Some([105.8, 16.0]),
            bbox: Some(BBox {
                min_lon: 102.14,
                min_lat: 8.18,
                max_lon: 117.9,
                max_lat: 23.39,
            }),
            source: "tocsin".into(),
        },
        boundary: None,
        provinces: Vec::new(),
    }
}

/// A boundary read from a GeoJSON file: its geometry text, English name and box.
struct Shape {
    geometry: String,
    name_en: String,
    bbox: Option<BBox>,
    centroid: Option<LonLat>,
}

fn read_shapes(path: &Path, file: &str) -> Result<HashMap<String, Shape>, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| fail(file, e))?;
    let collection: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(file, e))?;
    let features = collection["features"]
        .as_array()
        .ok_or_else(|| fail(file, "no features array"))?;
    let mut shapes = HashMap::new();
    for (i, feature) in features.iter().enumerate() {
        let code = feature["id"]
            .as_str()
            .or(feature["properties"]["code"].as_str())
            .ok_or_else(|| fail(file, format!("feature {i}: no code")))?;
        let geometry: GeoJsonGeometry = serde_json::from_value(feature["geometry"].clone())
            .map_err(|e| fail(file, format!("feature {code}: {e}")))?;
        let area = Area::from_geojson(&geometry)
            .map_err(|e| fail(file, format!("feature {code}: {e}")))?;
        let shape = Shape {
            geometry: serde_json::to_string(&geometry).map_err(|e| fail(file, e))?,
            name_en: feature["properties"]["nameEn"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            bbox: area.bbox(),
            centroid: largest_ring_centroid(&area),
        };
        shapes.insert(code.to_string(), shape);
    }
    Ok(shapes)
}

/// The area-weighted centroid of the largest outer ring (for provinces, whose files carry none).
fn largest_ring_centroid(area: &Area) -> Option<LonLat> {
    let ring_stats = |ring: &Vec<LonLat>| {
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for pair in ring.windows(2) {
            let cross = pair[0][0] * pair[1][1] - pair[1][0] * pair[0][1];
            a += cross;
            cx += (pair[0][0] + pair[1][0]) * cross;
            cy += (pair[0][1] + pair[1][1]) * cross;
        }
        (a / 2.0, cx, cy)
    };
    let (a, cx, cy) = area
        .polygons
        .iter()
        .filter_map(|rings| rings.first())
        .map(ring_stats)
        .max_by(|x, y| x.0.abs().total_cmp(&y.0.abs()))?;
    (a != 0.0).then(|| [cx / (6.0 * a), cy / (6.0 * a)])
}

/// Centroid, box and English names of each current commune.
struct CommuneFacts {
    name_en: String,
    centroid: LonLat,
    bbox: BBox,
}

fn read_centroids(path: &Path) -> Result<HashMap<String, CommuneFacts>, ImportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(CENTROIDS, e))?;
    let mut facts = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| fail(CENTROIDS, e))?;
        let number = |col: usize| -> Result<f64, ImportError> {
            row.get(col).and_then(|v| v.parse().ok()).ok_or_else(|| {
                fail(
                    CENTROIDS,
                    format!("row {}: column {col} is not a number", i + 2),
                )
            })
        };
        let code = row.get(0).unwrap_or_default().to_string();
        facts.insert(
            code,
            CommuneFacts {
                name_en: row.get(3).unwrap_or_default().to_string(),
                centroid: [number(8)?, number(9)?],
                bbox: BBox {
                    min_lon: number(10)?,
                    min_lat: number(11)?,
                    max_lon: number(12)?,
                    max_lat: number(13)?,
                },
            },
        );
    }
    Ok(facts)
}

fn pad(code: &serde_json::Value, width: usize) -> String {
    match code {
        serde_json::Value::Number(n) => format!("{:0width$}", n.as_u64().unwrap_or_default()),
        other => format!("{:0>width$}", other.as_str().unwrap_or_default()),
    }
}

/// Codes under which the current unit `code` may appear in the boundary files, which already
/// carry some post-reform recodes.
fn shape_codes(code: &str, changes: &[RegionChange]) -> Vec<String> {
    let mut codes = vec![code.to_string()];
    codes.extend(
        changes
            .iter()
            .filter(|c| c.from == code)
            .filter_map(|c| c.code.clone()),
    );
    codes
}

fn read_current_units(
    dir: &Path,
    changes: &[RegionChange],
    province_shapes: &HashMap<String, Shape>,
    commune_shapes: &HashMap<String, Shape>,
    centroids: &HashMap<String, CommuneFacts>,
    import: &mut RegionImport,
) -> Result<(), ImportError> {
    let text = std::fs::read_to_string(dir.join(NESTED)).map_err(|e| fail(NESTED, e))?;
    let provinces: Vec<serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| fail(NESTED, e))?;
    for province in &provinces {
        let code = pad(&province["code"], 2);
        let full_name = province["name"]
            .as_str()
            .ok_or_else(|| fail(NESTED, format!("province {code}: no name")))?;
        let (division_type, name) = split_unit_type(full_name);
        let shape = province_shapes.get(&code);
        import.regions.push(RegionRecord {
            region: Region {
                code: code.clone(),
                kind: RegionKind::Province,
                name_en: shape
                    .map(|s| s.name_en.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| ascii_name(&name)),
                name,
                division_type,
                parent: Some(NATION_CODE.into()),
                valid_from: Some(REFORM_2025),
                valid_to: None,
                centroid: shape.and_then(|s| s.centroid),
                bbox: shape.and_then(|s| s.bbox),
                source: NESTED.into(),
            },
            boundary: shape.map(|s| s.geometry.clone()),
            provinces: vec![code.clone()],
        });
        import.report.provinces += 1;
        let wards = province["wards"]
            .as_array()
            .ok_or_else(|| fail(NESTED, format!("province {code}: no wards")))?;
        for ward in wards {
            let commune = current_commune(
                ward,
                &code,
                changes,
                commune_shapes,
                centroids,
                &mut import.report,
            )?;
            import.regions.push(commune);
            import.report.communes += 1;
        }
    }
    Ok(())
}

fn current_commune(
    ward: &serde_json::Value,
    province: &str,
    changes: &[RegionChange],
    shapes: &HashMap<String, Shape>,
    centroids: &HashMap<String, CommuneFacts>,
    report: &mut ImportReport,
) -> Result<RegionRecord, ImportError> {
    let code = pad(&ward["code"], 5);
    let full_name = ward["name"]
        .as_str()
        .ok_or_else(|| fail(NESTED, format!("commune {code}: no name")))?;
    let (division_type, name) = split_unit_type(full_name);
    let known_as = shape_codes(&code, changes);
    let shape = known_as.iter().find_map(|c| shapes.get(c));
    let facts = known_as.iter().find_map(|c| centroids.get(c));
    if shape.is_none() {
        report.missing_boundaries.push(code.clone());
    }
    Ok(RegionRecord {
        region: Region {
            code,
            kind: RegionKind::Commune,
            name_en: facts
                .map(|f| f.name_en.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| ascii_name(&name)),
            name,
            division_type,
            parent: Some(province.to_string()),
            valid_from: Some(REFORM_2025),
            valid_to: None,
            centroid: facts.map(|f| f.centroid),
            bbox: facts.map(|f| f.bbox).or(shape.and_then(|s| s.bbox)),
            source: NESTED.into(),
        },
        boundary: shape.map(|s| s.geometry.clone()),
        provinces: vec![province.to_string()],
    })
}

/// The pre-reform units read from the 2025-01-04 list.
#[derive(Default)]
struct OldUnits {
    provinces: BTreeMap<String, (String, String)>,
    districts: BTreeMap<String, (String, String, String)>,
    communes: BTreeMap<String, OldCommune>,
}

struct OldCommune {
    full_name: String,
    division_type: String,
    district: String,
    name_en: String,
}

fn read_pre_reform_units(path: &Path) -> Result<OldUnits, ImportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(PRE_2025, e))?;
    let mut units = OldUnits::default();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| fail(PRE_2025, format!("row {}: {e}", i + 2)))?;
        let col = |n: usize| row.get(n).unwrap_or_default().trim().to_string();
        let (province, district, commune) = (col(1), col(3), col(5));
        if province.len() != 2 || district.len() != 3 {
            return Err(fail(
                PRE_2025,
                format!(
                    "row {}: province {province:?} or district {district:?} code malformed",
                    i + 2
                ),
            ));
        }
        units
            .provinces
            .entry(province.clone())
            .or_insert_with(|| split_unit_type(&col(0)));
        let (kind, name) = split_unit_type(&col(2));
        units
            .districts
            .entry(district.clone())
            .or_insert((kind, name, province));
        if !commune.is_empty() {
            units.communes.insert(
                commune,
                OldCommune {
                    full_name: col(4),
                    division_type: col(6).to_lowercase(),
                    district,
                    name_en: col(7),
                },
            );
        }
    }
    Ok(units)
}

/// Reads the `(NNN)` code at the end of "Quận Ba Đình (001)".
fn trailing_code(text: &str) -> Option<String> {
    let open = text.rfind('(')?;
    let code = text[open + 1..].trim_end().strip_suffix(')')?;
    code.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| code.to_string())
}

fn read_conversion(
    path: &Path,
    old: &OldUnits,
    report: &mut ImportReport,
) -> Result<Vec<SuccessionRecord>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| fail(CONVERSION, e))?;
    let mut links = Vec::new();
    let mut unknown = BTreeSet::new();
    for row in reader.records() {
        let row = row.map_err(|e| fail(CONVERSION, e))?;
        let col = |n: usize| row.get(n).unwrap_or_default().trim().to_string();
        let new_code = col(2);
        if new_code.len() != 5 || !new_code.bytes().all(|b| b.is_ascii_digit()) {
            continue; // a heading row
        }
        let relation = Succession::from_conversion_note(&col(5));
        let old_code = col(4);
        let from = if !old_code.is_empty() {
            if !old.communes.contains_key(&old_code) {
                unknown.insert(old_code.clone());
                continue;
            }
            old_code
        } else {
            // A whole district without communes became a special zone (island districts).
            match trailing_code(&col(6)).filter(|d| old.districts.contains_key(d)) {
                Some(district) => district,
                None => continue,
            }
        };
        links.push(SuccessionRecord {
            from,
            to: new_code,
            on: REFORM_2025,
            relation,
            note: col(5),
        });
    }
    report.unknown_old_codes = unknown.into_iter().collect();
    Ok(links)
}

fn read_province_mapping(path: &Path) -> Result<Vec<SuccessionRecord>, ImportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(PROVINCE_MAPPING, e))?;
    let mut rows = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| fail(PROVINCE_MAPPING, e))?;
        rows.push((
            row.get(0).unwrap_or_default().to_string(),
            row.get(2).unwrap_or_default().to_string(),
        ));
    }
    let targets = |old: &str| rows.iter().filter(|(o, _)| o == old).count();
    let sources = |new: &str| rows.iter().filter(|(_, n)| n == new).count();
    Ok(rows
        .iter()
        .map(|(old, new)| {
            let relation = if targets(old) > 1 {
                Succession::Partial
            } else if old == new && sources(new) == 1 {
                Succession::Renamed
            } else {
                Succession::Whole
            };
            SuccessionRecord {
                from: old.clone(),
                to: new.clone(),
                on: REFORM_2025,
                relation,
                note: PROVINCE_MAPPING.into(),
            }
        })
        .collect())
}

fn retired(
    code: String,
    kind: RegionKind,
    (division_type, name): (String, String),
    parent: &str,
    provinces: Vec<String>,
) -> RegionRecord {
    RegionRecord {
        region: Region {
            code,
            kind,
            name_en: ascii_name(&name),
            name,
            division_type,
            parent: Some(parent.to_string()),
            valid_from: None,
            valid_to: Some(REFORM_2025),
            centroid: None,
            bbox: None,
            source: PRE_2025.into(),
        },
        boundary: None,
        provinces,
    }
}

/// Adds the pre-reform units, each tagged with the current provinces its successors lie in.
fn add_old_units(
    old: OldUnits,
    links: &[SuccessionRecord],
    province_links: &[SuccessionRecord],
    import: &mut RegionImport,
) {
    let province_of: HashMap<&str, &str> = import
        .regions
        .iter()
        .filter(|r| r.region.kind == RegionKind::Commune)
        .filter_map(|r| Some((r.region.code.as_str(), r.region.parent.as_deref()?)))
        .collect();
    let mut successor_provinces: HashMap<String, BTreeSet<String>> = HashMap::new();
    for link in links {
        if let Some(p) = province_of.get(link.to.as_str()) {
            successor_provinces
                .entry(link.from.clone())
                .or_default()
                .insert(p.to_string());
        }
    }
    let mut records = Vec::new();
    for (code, commune) in &old.communes {
        let provinces: BTreeSet<String> =
            successor_provinces.get(code).cloned().unwrap_or_default();
        if provinces.is_empty() {
            import.report.uncovered_old_communes.push(format!(
                "{code} {} ({})",
                commune.full_name, commune.district
            ));
        }
        let district_provinces = successor_provinces
            .entry(commune.district.clone())
            .or_default();
        district_provinces.extend(provinces.iter().cloned());
        let mut record = retired(
            code.clone(),
            RegionKind::Commune,
            split_unit_type(&commune.full_name),
            &commune.district,
            provinces.into_iter().collect(),
        );
        record.region.division_type = commune.division_type.clone();
        if !commune.name_en.is_empty() {
            record.region.name_en = commune.name_en.clone();
        }
        records.push(record);
        import.report.old_communes += 1;
    }
    for (code, (kind, name, province)) in old.districts {
        let provinces = successor_provinces
            .get(&code)
            .map(|p| p.iter().cloned().collect())
            .unwrap_or_default();
        records.push(retired(
            code,
            RegionKind::District,
            (kind, name),
            &province,
            provinces,
        ));
        import.report.old_districts += 1;
    }
    for (code, names) in old.provinces {
        let provinces = province_links
            .iter()
            .filter(|l| l.from == code)
            .map(|l| l.to.clone())
            .collect();
        records.push(retired(
            code,
            RegionKind::Province,
            names,
            NATION_CODE,
            provinces,
        ));
        import.report.old_provinces += 1;
    }
    import.regions.extend(records);
}

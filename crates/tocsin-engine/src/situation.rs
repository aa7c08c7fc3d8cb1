//! The situation of a region: the active levels of its stations rolled up — per commune, per
//! province, the highest level and how many communes stand at each level.
//!
//! Concurrent hazards (QĐ 18/2021/QĐ-TTg Art. 4): where two or more hazards are active in one
//! commune, its level is the highest of them raised by 1, or by 2 when a rule marks lives as
//! seriously threatened, and never above 5. Data gaps are listed apart: silence is shown, never
//! taken for calm, and never raises a level.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use tocsin_store::Detection;

/// One commune's combined level.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneLevel {
    /// The level after the concurrent-hazard raise.
    pub level: u8,
    /// The highest single rule level.
    pub highest_rule_level: u8,
    /// The hazards active in the commune.
    pub hazards: BTreeSet<String>,
    /// How much the concurrent hazards raised the level (0, 1 or 2).
    pub raise: u8,
    /// Whether a rule active in the commune marks lives as seriously threatened.
    pub lives_at_risk: bool,
}

impl CommuneLevel {
    /// Why the level is above its highest rule's, in Vietnamese and English (`None` when it is
    /// not): the raise, the hazards that caused it, and the article that allows it. `name` gives
    /// a hazard's Vietnamese and English names.
    pub fn raise_reason(
        &self,
        name: impl Fn(&str) -> (String, String),
    ) -> Option<(String, String)> {
        if self.raise == 0 {
            return None;
        }
        let (vi, en): (Vec<String>, Vec<String>) = self.hazards.iter().map(|h| name(h)).unzip();
        let (lives_vi, lives_en) = match self.lives_at_risk {
            true => (
                "; tính mạng bị đe dọa nghiêm trọng",
                "; lives seriously threatened",
            ),
            false => ("", ""),
        };
        Some((
            format!(
                "Cấp {} nâng thêm {} do nhiều thiên tai đồng thời ({}){lives_vi} — QĐ 18/2021/QĐ-TTg Điều 4",
                self.highest_rule_level,
                self.raise,
                vi.join(", ")
            ),
            format!(
                "Level {} raised by {} for concurrent hazards ({}){lives_en} — QĐ 18/2021/QĐ-TTg Art. 4",
                self.highest_rule_level,
                self.raise,
                en.join(", ")
            ),
        ))
    }
}

/// A region's roll-up of active levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    pub region: String,
    /// The highest level anywhere in the region (0 when calm).
    pub max_level: u8,
    /// For levels 1 to 5, how many communes stand at that level.
    pub communes_per_level: [usize; 5],
    /// Highest level per province.
    pub provinces: BTreeMap<String, u8>,
    pub communes: BTreeMap<String, CommuneLevel>,
    /// Every active rule level, highest first (data gaps excluded).
    pub active: Vec<Detection>,
    /// Stations that stopped reporting.
    pub silent_stations: Vec<Detection>,
    /// Levels forecast from trends (certainty likely), with their lead times; they do not raise
    /// the current levels.
    pub expected: Vec<Detection>,
}

impl Situation {
    /// Rolls up the levels (all at 1 or more) of the region `code`; `lives_at_risk` holds the
    /// rules whose hazards seriously threaten lives.
    pub fn of(
        region: String,
        levels: Vec<Detection>,
        lives_at_risk: &HashSet<String>,
    ) -> Situation {
        let (expected, levels): (Vec<Detection>, Vec<Detection>) = levels
            .into_iter()
            .partition(|d| d.certainty == crate::detect::LIKELY);
        let (silent_stations, active): (Vec<Detection>, Vec<Detection>) = levels
            .into_iter()
            .partition(|d| d.rule == crate::detections::DATA_GAP);
        let mut communes: BTreeMap<String, CommuneLevel> = BTreeMap::new();
        let mut lives: HashSet<String> = HashSet::new();
        let mut provinces: BTreeMap<String, u8> = BTreeMap::new();
        let mut province_of: BTreeMap<String, String> = BTreeMap::new();
        for d in &active {
            if let Some(p) = &d.province {
                raise(&mut provinces, p, d.to_level);
            }
            let Some(c) = &d.commune else { continue };
            let entry = communes.entry(c.clone()).or_insert(CommuneLevel {
                level: 0,
                highest_rule_level: 0,
                hazards: BTreeSet::new(),
                raise: 0,
                lives_at_risk: false,
            });
            entry.highest_rule_level = entry.highest_rule_level.max(d.to_level);
            entry.hazards.insert(d.hazard.clone());
            if lives_at_risk.contains(&d.rule) {
                lives.insert(c.clone());
            }
            if let Some(p) = &d.province {
                province_of.insert(c.clone(), p.clone());
            }
        }
        let mut communes_per_level = [0; 5];
        for (code, commune) in communes.iter_mut() {
            let raise_by = match (commune.hazards.len() > 1, lives.contains(code)) {
                (false, _) => 0,
                (true, false) => 1,
                (true, true) => 2,
            };
            commune.level = (commune.highest_rule_level + raise_by).min(5);
            commune.raise = commune.level - commune.highest_rule_level;
            commune.lives_at_risk = lives.contains(code);
            communes_per_level[usize::from(commune.level.clamp(1, 5) - 1)] += 1;
            if let Some(p) = province_of.get(code) {
                raise(&mut provinces, p, commune.level);
            }
        }
        let max_level = provinces
            .values()
            .chain(communes.values().map(|c| &c.level))
            .copied()
            .chain(active.iter().map(|d| d.to_level))
            .max()
            .unwrap_or(0);
        Situation {
            region,
            max_level,
            communes_per_level,
            provinces,
            communes,
            active,
            silent_stations,
            expected,
        }
    }
}

fn raise(levels: &mut BTreeMap<String, u8>, code: &str, level: u8) {
    let entry = levels.entry(code.to_string()).or_insert(0);
    *entry = (*entry).max(level);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(rule: &str, hazard: &str, commune: &str, level: u8) -> Detection {
        Detection {
            station: format!("S-{rule}-{commune}"),
            rule: rule.into(),
            hazard: hazard.into(),
            commune: Some(commune.into()),
            province: Some("15".into()),
            from_level: 0,
            to_level: level,
            time_ms: 0,
            value: 0.0,
            status: "verified".into(),
            certainty: "observed".into(),
            lead: None,
        }
    }

    /// Rolls up and renders each commune as `code:level(highest)`.
    fn check(levels: Vec<Detection>, lives: &[&str], expected: &str) {
        let lives: HashSet<String> = lives.iter().map(|s| s.to_string()).collect();
        let s = Situation::of("15".into(), levels, &lives);
        let got: Vec<String> = s
            .communes
            .iter()
            .map(|(c, l)| format!("{c}:{}({})", l.level, l.highest_rule_level))
            .collect();
        assert_eq!(
            format!(
                "{} max={} per-level={:?}",
                got.join(" "),
                s.max_level,
                s.communes_per_level
            ),
            expected
        );
    }

    #[test]
    fn a_raised_level_says_why() {
        let lives: HashSet<String> = ["river_flood".to_string()].into();
        let s = Situation::of(
            "15".into(),
            vec![
                active("river_flood", "river_flood", "04252", 3),
                active("heavy_rain_24h", "heavy_rain", "04252", 2),
                active("heavy_rain_24h", "heavy_rain", "04253", 2),
            ],
            &lives,
        );
        let name = |h: &str| (format!("{h} vi"), format!("{h} en"));
        assert_eq!(
            s.communes["04252"].raise_reason(name),
            Some((
                "Cấp 3 nâng thêm 2 do nhiều thiên tai đồng thời (heavy_rain vi, river_flood vi); \
                 tính mạng bị đe dọa nghiêm trọng — QĐ 18/2021/QĐ-TTg Điều 4"
                    .into(),
                "Level 3 raised by 2 for concurrent hazards (heavy_rain en, river_flood en); \
                 lives seriously threatened — QĐ 18/2021/QĐ-TTg Art. 4"
                    .into()
            ))
        );
        assert_eq!(s.communes["04253"].raise_reason(name), None);
    }

    #[test]
    fn concurrent_hazards_raise_the_level() {
        check(
            vec![active("river_flood", "river_flood", "04252", 3)],
            &[],
            "04252:3(3) max=3 per-level=[0, 0, 1, 0, 0]",
        );
        check(
            vec![
                active("river_flood", "river_flood", "04252", 3),
                active("heavy_rain_24h", "heavy_rain", "04252", 2),
            ],
            &[],
            "04252:4(3) max=4 per-level=[0, 0, 0, 1, 0]",
        );
        check(
            vec![
                active("river_flood", "river_flood", "04252", 3),
                active("heavy_rain_24h", "heavy_rain", "04252", 2),
            ],
            &["river_flood"],
            "04252:5(3) max=5 per-level=[0, 0, 0, 0, 1]",
        );
        check(
            vec![
                active("river_flood", "river_flood", "04252", 5),
                active("heavy_rain_24h", "heavy_rain", "04252", 4),
            ],
            &["river_flood"],
            "04252:5(5) max=5 per-level=[0, 0, 0, 0, 1]",
        );
        check(
            vec![
                active("heavy_rain_24h", "heavy_rain", "04252", 2),
                active("heavy_rain_12h", "heavy_rain", "04252", 1),
            ],
            &[],
            "04252:2(2) max=2 per-level=[0, 1, 0, 0, 0]",
        );
        check(
            vec![
                active("river_flood", "river_flood", "04252", 2),
                active("heavy_rain_24h", "heavy_rain", "04253", 1),
            ],
            &[],
            "04252:2(2) 04253:1(1) max=2 per-level=[1, 1, 0, 0, 0]",
        );
    }
}

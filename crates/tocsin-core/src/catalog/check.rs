//! Checking a catalogue: every problem is reported at once, naming the file, the item (metric,
//! indicator or rule) and the key. A catalogue that passes is compiled for evaluation.

use super::Table;
use super::{
    Aggregate, CatalogFile, Combine, IndicatorDef, LevelBand, RuleDef, Threshold, parse_duration,
};
use crate::evaluate::{
    CompiledBand, CompiledCatalog, CompiledIndicator, CompiledRule, ForecastSpec, IndicatorKind,
};
use std::collections::{BTreeMap, HashMap};

/// One problem in a catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProblem {
    pub file: String,
    /// `rule heavy_rain`, `indicator rain_24h`, `metric pm25`.
    pub item: String,
    pub key: String,
    pub problem: String,
}

impl std::fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.file, self.item, self.key, self.problem
        )
    }
}

struct Checker<'a> {
    problems: Vec<CatalogProblem>,
    file: &'a str,
}

impl Checker<'_> {
    fn report(&mut self, item: String, key: &str, problem: impl Into<String>) {
        self.problems.push(CatalogProblem {
            file: self.file.to_string(),
            item,
            key: key.to_string(),
            problem: problem.into(),
        });
    }
}

/// Checks and compiles a catalogue made of `(file name, content)` pairs.
pub fn check(files: &[(String, CatalogFile)]) -> Result<CompiledCatalog, Vec<CatalogProblem>> {
    let mut problems = Vec::new();
    let mut metrics: HashMap<&str, &str> = HashMap::new();
    let mut indicators: Vec<(&str, &IndicatorDef)> = Vec::new();
    let mut rules: Vec<(&str, &RuleDef)> = Vec::new();
    let mut outbreaks: Vec<(&str, &super::outbreak::OutbreakDef)> = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    let mut table_index: HashMap<&str, usize> = HashMap::new();
    for (file, content) in files {
        let mut checker = Checker {
            problems: Vec::new(),
            file,
        };
        for metric in &content.metric {
            let item = format!("metric {}", metric.name);
            if metrics.insert(&metric.name, file).is_some() {
                checker.report(item.clone(), "name", "defined twice");
            }
            if crate::units::Unit::parse(&metric.unit).is_none() {
                checker.report(item, "unit", format!("unknown unit {:?}", metric.unit));
            }
        }
        for table in &content.table {
            let item = format!("table {}", table.id);
            if table_index.contains_key(table.id.as_str()) {
                checker.report(item.clone(), "id", "defined twice");
            }
            match Table::compile(table) {
                Ok(compiled) => {
                    table_index.insert(&table.id, tables.len());
                    tables.push(compiled);
                }
                Err(found) => found
                    .into_iter()
                    .for_each(|(key, problem)| checker.report(item.clone(), key, problem)),
            }
        }
        indicators.extend(content.indicator.iter().map(|i| (file.as_str(), i)));
        rules.extend(content.rule.iter().map(|r| (file.as_str(), r)));
        outbreaks.extend(content.outbreak.iter().map(|o| (file.as_str(), o)));
        problems.extend(checker.problems);
    }
    let index: HashMap<&str, usize> = indicators
        .iter()
        .enumerate()
        .map(|(i, (_, d))| (d.id.as_str(), i))
        .collect();
    let mut compiled_indicators = Vec::new();
    let mut seen = HashMap::new();
    for (file, def) in &indicators {
        let mut checker = Checker {
            problems: Vec::new(),
            file,
        };
        if seen.insert(def.id.as_str(), ()).is_some() {
            checker.report(format!("indicator {}", def.id), "id", "defined twice");
        }
        compiled_indicators.push(compile_indicator(
            &mut checker,
            def,
            &metrics,
            &index,
            &table_index,
        ));
        problems.extend(checker.problems);
    }
    problems.extend(cycles(&indicators, &index));
    let mut compiled_rules = Vec::new();
    let mut seen = HashMap::new();
    for (file, rule) in &rules {
        let mut checker = Checker {
            problems: Vec::new(),
            file,
        };
        if seen.insert(rule.id.as_str(), ()).is_some() {
            checker.report(format!("rule {}", rule.id), "id", "defined twice");
        }
        let levels = match &rule.levels_from {
            None => Some(&rule.level),
            Some(id) => rules
                .iter()
                .find(|(_, r)| &r.id == id && r.levels_from.is_none())
                .map(|(_, r)| &r.level),
        };
        match levels {
            Some(levels) => compiled_rules.push(compile_rule(&mut checker, rule, levels, &index)),
            None => checker.report(
                format!("rule {}", rule.id),
                "levels_from",
                format!(
                    "no rule {:?} with level bands of its own",
                    rule.levels_from.as_deref().unwrap_or_default()
                ),
            ),
        }
        problems.extend(checker.problems);
    }
    let zone_ids: Vec<&str> = files
        .iter()
        .flat_map(|(_, f)| f.zone.iter().map(|z| z.id.as_str()))
        .collect();
    for (file, content) in files {
        for (i, zone) in content.zone.iter().enumerate() {
            let item = format!("zone {}", zone.id);
            if zone_ids.iter().filter(|z| **z == zone.id).count() > 1
                && zone_ids.iter().position(|z| *z == zone.id) != Some(i)
            {
                problems.push(CatalogProblem {
                    file: file.clone(),
                    item: item.clone(),
                    key: "id".into(),
                    problem: "defined twice".into(),
                });
            }
            if zone.old_provinces.is_empty() {
                problems.push(CatalogProblem {
                    file: file.clone(),
                    item,
                    key: "old_provinces".into(),
                    problem: "a zone needs at least one province".into(),
                });
            }
        }
    }
    for (file, rule) in &rules {
        for zone in rule
            .zones
            .iter()
            .filter(|z| !zone_ids.contains(&z.as_str()))
        {
            problems.push(CatalogProblem {
                file: file.to_string(),
                item: format!("rule {}", rule.id),
                key: "zones".into(),
                problem: format!("unknown zone {zone:?}"),
            });
        }
    }
    let mut compiled_outbreaks = Vec::new();
    for (file, def) in &outbreaks {
        let item = format!("outbreak {}", def.id);
        if seen.insert(def.id.as_str(), ()).is_some() {
            problems.push(CatalogProblem {
                file: file.to_string(),
                item: item.clone(),
                key: "id".into(),
                problem: "defined twice (rule and outbreak ids share one space)".into(),
            });
        }
        match super::outbreak::compile(def, metrics.contains_key(def.metric.as_str())) {
            Ok(compiled) => compiled_outbreaks.push(compiled),
            Err(found) => problems.extend(found.into_iter().map(|(key, problem)| CatalogProblem {
                file: file.to_string(),
                item: item.clone(),
                key,
                problem,
            })),
        }
        let mut checker = Checker {
            problems: Vec::new(),
            file,
        };
        check_texts(&mut checker, &item, &def.cap, &[]);
        problems.extend(checker.problems);
    }
    problems.extend(super::names::check(files, &rules, &outbreaks));
    if !problems.is_empty() {
        return Err(problems);
    }
    let indicators = compiled_indicators.into_iter().flatten().collect();
    let rules = compiled_rules.into_iter().flatten().collect();
    let mut catalog = CompiledCatalog::new(indicators, rules, tables);
    catalog.outbreaks = compiled_outbreaks;
    catalog.zones = files
        .iter()
        .flat_map(|(_, f)| f.zone.iter().cloned())
        .collect();
    catalog.hazards = files
        .iter()
        .flat_map(|(_, f)| f.hazard.iter().cloned())
        .collect();
    catalog.units = files
        .iter()
        .flat_map(|(_, f)| f.metric.iter())
        .map(|m| (m.name.clone(), m.unit.clone()))
        .collect();
    Ok(catalog)
}

fn compile_indicator(
    checker: &mut Checker,
    def: &IndicatorDef,
    metrics: &HashMap<&str, &str>,
    index: &HashMap<&str, usize>,
    tables: &HashMap<&str, usize>,
) -> Option<CompiledIndicator> {
    let item = format!("indicator {}", def.id);
    match (&def.metric, def.inputs.is_empty()) {
        (Some(metric), true) => {
            if !metrics.contains_key(metric.as_str()) {
                checker.report(
                    item.clone(),
                    "metric",
                    format!("unknown metric {metric:?} (declare it in a [[metric]] table)"),
                );
            }
            let Some(aggregate) = def.aggregate else {
                checker.report(
                    item,
                    "aggregate",
                    "missing (sum, mean, max, min, count, last or rate_of_change)",
                );
                return None;
            };
            let window_s = match (&def.window, aggregate) {
                (None, Aggregate::Last) => 0,
                (None, _) => {
                    checker.report(item, "window", "missing (e.g. \"24h\")");
                    return None;
                }
                (Some(w), _) => match parse_duration(w) {
                    Some(s) => s,
                    None => {
                        checker.report(
                            item,
                            "window",
                            format!("{w:?} is not a duration like 10m, 1h, 24h or 3d"),
                        );
                        return None;
                    }
                },
            };
            let metric = metric.clone();
            let kind = match def.kind.as_deref() {
                None | Some("observed") => IndicatorKind::Window {
                    metric,
                    aggregate,
                    window_s,
                },
                Some("forecast")
                    if matches!(aggregate, Aggregate::Nowcast | Aggregate::RateOfChange) =>
                {
                    checker.report(item, "aggregate", format!("{aggregate:?} cannot aggregate a forecast (use sum, mean, max, min, count or last)"));
                    return None;
                }
                Some("forecast") => IndicatorKind::Forecast {
                    metric,
                    aggregate,
                    window_s,
                },
                Some(other) => {
                    checker.report(
                        item,
                        "kind",
                        format!("{other:?} is neither \"observed\" nor \"forecast\""),
                    );
                    return None;
                }
            };
            Some(CompiledIndicator {
                id: def.id.clone(),
                kind,
            })
        }
        (None, false) => {
            let inputs: Vec<usize> = def
                .inputs
                .iter()
                .filter_map(|i| index.get(i.as_str()).copied())
                .collect();
            for missing in def
                .inputs
                .iter()
                .filter(|i| !index.contains_key(i.as_str()))
            {
                checker.report(
                    item.clone(),
                    "inputs",
                    format!("unknown indicator {missing:?}"),
                );
            }
            let combine = match (def.combine, def.inputs.len()) {
                (Some(combine), _) => combine,
                (None, 1) => Combine::Max,
                (None, _) => {
                    checker.report(
                        item.clone(),
                        "combine",
                        "missing (max, min, sum or mean) for several inputs",
                    );
                    Combine::Max
                }
            };
            let transform = def.transform.as_ref().and_then(|t| {
                let found = tables.get(t.as_str()).copied();
                if found.is_none() {
                    checker.report(item.clone(), "transform", format!("unknown table {t:?}"));
                }
                found
            });
            Some(CompiledIndicator {
                id: def.id.clone(),
                kind: IndicatorKind::Derived {
                    inputs,
                    combine,
                    transform,
                },
            })
        }
        _ => {
            checker.report(
                item,
                "metric",
                "give either metric, aggregate and window, or inputs and combine",
            );
            None
        }
    }
}

/// Cycles between derived indicators, each reported once at the indicator that closes it.
fn cycles(
    indicators: &[(&str, &IndicatorDef)],
    index: &HashMap<&str, usize>,
) -> Vec<CatalogProblem> {
    let mut problems = Vec::new();
    let mut state = vec![0u8; indicators.len()]; // 0 new, 1 on the path, 2 done
    fn visit(
        at: usize,
        indicators: &[(&str, &IndicatorDef)],
        index: &HashMap<&str, usize>,
        state: &mut [u8],
        path: &mut Vec<usize>,
        problems: &mut Vec<CatalogProblem>,
    ) {
        state[at] = 1;
        path.push(at);
        for input in &indicators[at].1.inputs {
            let Some(&next) = index.get(input.as_str()) else {
                continue;
            };
            if state[next] == 1 {
                let start = path.iter().position(|p| *p == next).unwrap_or(0);
                let names: Vec<&str> = path[start..]
                    .iter()
                    .chain([&next])
                    .map(|i| indicators[*i].1.id.as_str())
                    .collect();
                problems.push(CatalogProblem {
                    file: indicators[at].0.to_string(),
                    item: format!("indicator {}", indicators[at].1.id),
                    key: "inputs".into(),
                    problem: format!("cycle between derived indicators: {}", names.join(" → ")),
                });
            } else if state[next] == 0 {
                visit(next, indicators, index, state, path, problems);
            }
        }
        path.pop();
        state[at] = 2;
    }
    for start in 0..indicators.len() {
        if state[start] == 0 {
            visit(
                start,
                indicators,
                index,
                &mut state,
                &mut Vec::new(),
                &mut problems,
            );
        }
    }
    problems
}

fn duration_key(checker: &mut Checker, item: &str, key: &str, text: &Option<String>) -> i64 {
    match text {
        None => 0,
        Some(t) => parse_duration(t).unwrap_or_else(|| {
            checker.report(
                item.to_string(),
                key,
                format!("{t:?} is not a duration like 10m, 1h, 24h or 3d"),
            );
            0
        }),
    }
}

fn compile_rule(
    checker: &mut Checker,
    rule: &RuleDef,
    levels: &[LevelBand],
    index: &HashMap<&str, usize>,
) -> Option<CompiledRule> {
    let item = format!("rule {}", rule.id);
    let indicator = index.get(rule.indicator.as_str()).copied();
    if indicator.is_none() {
        checker.report(
            item.clone(),
            "indicator",
            format!("unknown indicator {:?}", rule.indicator),
        );
    }
    if !(rule.hysteresis.is_finite() && rule.hysteresis >= 0.0) {
        checker.report(item.clone(), "hysteresis", "must be a number ≥ 0");
    }
    for domain in &rule.domains {
        if crate::station::Domain::parse(domain).is_none() {
            checker.report(
                item.clone(),
                "domains",
                format!("unknown domain {domain:?}"),
            );
        }
    }
    if levels.is_empty() {
        checker.report(
            item.clone(),
            "level",
            "a rule needs at least one level band",
        );
    }
    let min_hold_s = duration_key(checker, &item, "min_hold", &rule.min_hold);
    check_cap(checker, &item, rule);
    let forecast = rule.forecast.as_ref().map(|f| {
        if f.method != "linear_trend" {
            checker.report(
                item.clone(),
                "forecast.method",
                format!("{:?} is not a known method (linear_trend)", f.method),
            );
        }
        ForecastSpec {
            fit_s: duration_key(checker, &item, "forecast.fit", &Some(f.fit.clone())),
            horizon_s: duration_key(checker, &item, "forecast.horizon", &Some(f.horizon.clone())),
        }
    });
    let mut bands = Vec::new();
    for (i, band) in levels.iter().enumerate() {
        let key = format!("level[{i}]");
        if !(1..=5).contains(&band.level) {
            checker.report(
                item.clone(),
                &key,
                format!("level {} is not 1 to 5", band.level),
            );
        }
        if let (Threshold::Value(min), Some(Threshold::Value(max))) = (&band.min, &band.max)
            && min >= max
        {
            checker.report(
                item.clone(),
                &key,
                format!("min {min} is not below max {max}"),
            );
        }
        let sustained_s =
            duration_key(checker, &item, &format!("{key}.sustained"), &band.sustained);
        let also = band
            .also
            .iter()
            .filter_map(|c| match index.get(c.indicator.as_str()) {
                Some(&i) => Some((i, c.min.clone(), c.max.clone())),
                None => {
                    checker.report(
                        item.clone(),
                        &format!("{key}.also"),
                        format!("unknown indicator {:?}", c.indicator),
                    );
                    None
                }
            })
            .collect();
        bands.push(CompiledBand {
            level: band.level,
            min: band.min.clone(),
            max: band.max.clone(),
            also,
            when: band.when.clone(),
            sustained_s,
            status: band.status.unwrap_or(rule.status),
            severity: band.severity.clone(),
            instruction_vi: band.instruction_vi.clone(),
            instruction_en: band.instruction_en.clone(),
        });
    }
    check_band_order(checker, &item, levels);
    check_surface(checker, &item, rule, levels);
    Some(CompiledRule {
        id: rule.id.clone(),
        hazard: rule.hazard.clone(),
        name_vi: rule.name_vi.clone(),
        name_en: rule.name_en.clone(),
        indicator: indicator?,
        source: rule.source.clone(),
        status: rule.status,
        domains: rule.domains.clone(),
        regions: rule.regions.clone(),
        zones: rule.zones.clone(),
        surface: rule.surface,
        hysteresis: rule.hysteresis,
        min_hold_s,
        lives_at_risk: rule.lives_at_risk,
        cap: rule.cap.clone(),
        forecast,
        bands,
    })
}

/// A band that reads the station's marine zone judges a station at sea: its rule says so.
fn check_surface(checker: &mut Checker, item: &str, rule: &RuleDef, levels: &[LevelBand]) {
    for (i, band) in levels.iter().enumerate() {
        if band.when.contains_key(super::MARINE_ZONE) && rule.surface != super::Surface::Sea {
            checker.report(
                item.to_string(),
                &format!("level[{i}].when"),
                "a band on marine_zone judges stations at sea: set surface = \"sea\"",
            );
        }
    }
}

/// The warning texts and CAP fields of a rule and its bands.
fn check_cap(checker: &mut Checker, item: &str, rule: &RuleDef) {
    check_texts(checker, item, &rule.cap, &rule.level);
    for (i, band) in rule.level.iter().enumerate() {
        if let Some(severity) = band
            .severity
            .as_ref()
            .filter(|s| !super::cap::SEVERITIES.contains(&s.as_str()))
        {
            checker.report(
                item.to_string(),
                &format!("level[{i}].severity"),
                format!("{severity:?} is not a CAP severity (Minor, Moderate, Severe, Extreme)"),
            );
        }
    }
}

/// The CAP category and every text template of a warning (and its bands' overrides).
fn check_texts(checker: &mut Checker, item: &str, cap: &super::cap::CapDef, bands: &[LevelBand]) {
    if !super::cap::CATEGORIES.contains(&cap.category.as_str()) {
        checker.report(
            item.to_string(),
            "cap.category",
            format!(
                "{:?} is not a CAP category ({})",
                cap.category,
                super::cap::CATEGORIES.join(", ")
            ),
        );
    }
    if let Some(radius) = cap.radius_km.filter(|r| !(r.is_finite() && *r > 0.0)) {
        checker.report(
            item.to_string(),
            "cap.radius_km",
            format!("{radius} is not a distance in km above 0"),
        );
    }
    let texts = [
        ("cap.event_vi", Some(&cap.event_vi)),
        ("cap.event_en", Some(&cap.event_en)),
        ("cap.headline_vi", Some(&cap.headline_vi)),
        ("cap.headline_en", Some(&cap.headline_en)),
        ("cap.instruction_vi", Some(&cap.instruction_vi)),
        ("cap.instruction_en", Some(&cap.instruction_en)),
    ];
    let band_texts = bands.iter().enumerate().flat_map(|(i, b)| {
        [
            (
                format!("level[{i}].instruction_vi"),
                b.instruction_vi.as_ref(),
            ),
            (
                format!("level[{i}].instruction_en"),
                b.instruction_en.as_ref(),
            ),
        ]
    });
    for (key, text) in texts
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .chain(band_texts)
    {
        let Some(text) = text else { continue };
        if text.trim().is_empty() {
            checker.report(item.to_string(), &key, "must not be empty");
        } else if let Some(problem) = super::cap::template_problem(text) {
            checker.report(item.to_string(), &key, problem);
        }
    }
}

/// The comparable position of a threshold: (attribute or "", offset or value).
fn position(t: &Threshold) -> (&str, f64) {
    match t {
        Threshold::Value(v) => ("", *v),
        Threshold::Attribute { name, offset } => (name.as_str(), *offset),
    }
}

/// Within bands that apply under the same conditions (attributes, duration, other indicators), a
/// higher level must not start lower, and
/// two levels must not overlap.
fn check_band_order(checker: &mut Checker, item: &str, bands: &[LevelBand]) {
    let mut groups: BTreeMap<String, Vec<(usize, &LevelBand)>> = BTreeMap::new();
    for (i, band) in bands.iter().enumerate() {
        groups
            .entry(format!(
                "{:?}|{:?}|{:?}",
                band.when, band.sustained, band.also
            ))
            .or_default()
            .push((i, band));
    }
    for group in groups.values() {
        for (a, (i, lower)) in group.iter().enumerate() {
            for (j, higher) in group
                .iter()
                .skip(a + 1)
                .filter(|(_, b)| b.level != lower.level)
            {
                let (lo, hi, lo_i, hi_i) = if lower.level < higher.level {
                    (lower, higher, i, j)
                } else {
                    (higher, lower, j, i)
                };
                let (lo_attr, lo_min) = position(&lo.min);
                let (hi_attr, hi_min) = position(&hi.min);
                if lo_attr != hi_attr {
                    continue;
                }
                if hi_min < lo_min {
                    checker.report(item.to_string(), &format!("level[{hi_i}]"), format!("level {} starts at {} below level {} (level[{lo_i}]) at {}: bands must rise with the level", hi.level, hi.min, lo.level, lo.min));
                    continue;
                }
                let lo_max = lo
                    .max
                    .as_ref()
                    .map(position)
                    .filter(|(attr, _)| *attr == lo_attr)
                    .map(|(_, v)| v);
                if lo_max.is_none_or(|max| hi_min < max)
                    && lo.max.as_ref().is_none_or(|m| position(m).0 == lo_attr)
                {
                    let until = lo
                        .max
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| "no upper bound".into());
                    checker.report(
                        item.to_string(),
                        &format!("level[{hi_i}]"),
                        format!(
                            "level {} (from {}) overlaps level {} (level[{lo_i}], {} to {until})",
                            hi.level, hi.min, lo.level, lo.min
                        ),
                    );
                }
            }
        }
    }
}

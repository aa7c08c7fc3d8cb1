//! Streaming evaluation of a compiled catalogue: each observation updates the windows of the
//! indicators on its metric, then the derived indicators that depend on them, then the rules on
//! those indicators; a rule whose level changes at a station yields a [`LevelChange`].
//!
//! Levels: the highest band whose condition holds (thresholds resolved from the station's
//! attributes; a band whose attribute the station lacks never holds). A level drops only when
//! the value falls below the current band's lower edge by more than the rule's hysteresis and the
//! level has been held for the rule's minimum hold time.

use crate::catalog::{Aggregate, Combine, Confidence, Table, Threshold};
use crate::curve::ForecastCurve;
use crate::station::{AttributeValue, Domain};
use crate::trend::{Crossing, Trend};
use crate::window::Window;
use std::collections::{BTreeMap, HashMap};

/// What an indicator computes.
#[derive(Debug, Clone, PartialEq)]
pub enum IndicatorKind {
    Window {
        metric: String,
        aggregate: Aggregate,
        window_s: i64,
    },
    /// The newest forecast issue of a metric aggregated over `[issued, issued + window]`.
    Forecast {
        metric: String,
        aggregate: Aggregate,
        window_s: i64,
    },
    Derived {
        inputs: Vec<usize>,
        combine: Combine,
        /// A lookup table applied to the combined value.
        transform: Option<usize>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompiledIndicator {
    pub id: String,
    pub kind: IndicatorKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompiledBand {
    pub level: u8,
    pub min: Threshold,
    pub max: Option<Threshold>,
    /// Conditions on other indicators: (indicator, min, max), all of which must hold.
    pub also: Vec<(usize, Threshold, Option<Threshold>)>,
    pub when: BTreeMap<String, Vec<AttributeValue>>,
    pub sustained_s: i64,
    pub status: Confidence,
    pub severity: Option<String>,
    pub instruction_vi: Option<String>,
    pub instruction_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompiledRule {
    pub id: String,
    pub hazard: String,
    pub name_vi: String,
    pub name_en: String,
    pub indicator: usize,
    pub source: String,
    pub status: Confidence,
    pub domains: Vec<String>,
    pub regions: Vec<String>,
    pub zones: Vec<String>,
    pub surface: crate::catalog::Surface,
    pub hysteresis: f64,
    pub min_hold_s: i64,
    pub lives_at_risk: bool,
    pub cap: crate::catalog::cap::CapDef,
    pub forecast: Option<ForecastSpec>,
    pub bands: Vec<CompiledBand>,
}

/// A checked catalogue with the lookups evaluation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledCatalog {
    pub indicators: Vec<CompiledIndicator>,
    pub rules: Vec<CompiledRule>,
    /// For each indicator, the derived indicators that read it.
    dependents: Vec<Vec<usize>>,
    /// For each indicator, the rules on it.
    rules_on: Vec<Vec<usize>>,
    pub tables: Vec<Table>,
    /// Outbreak rules on count metrics, judged per period.
    pub outbreaks: Vec<crate::catalog::outbreak::CompiledOutbreak>,
    /// Zones of pre-2025 provinces that rules may be limited to.
    pub zones: Vec<crate::catalog::ZoneDef>,
    /// The hazards the rules judge, with their names.
    pub hazards: Vec<crate::catalog::HazardDef>,
    /// The canonical unit of each metric.
    pub units: BTreeMap<String, String>,
    /// Whether some rule reads the indicator, directly or through derived ones; the others are
    /// not computed.
    live: Vec<bool>,
}

/// The indicators some rule reads, directly, in a condition, or as an input of one it reads.
fn live_indicators(indicators: &[CompiledIndicator], rules: &[CompiledRule]) -> Vec<bool> {
    let mut live = vec![false; indicators.len()];
    let mut pending: Vec<usize> = rules
        .iter()
        .flat_map(|r| {
            std::iter::once(r.indicator)
                .chain(r.bands.iter().flat_map(|b| b.also.iter().map(|a| a.0)))
        })
        .collect();
    while let Some(i) = pending.pop() {
        if std::mem::replace(&mut live[i], true) {
            continue;
        }
        if let IndicatorKind::Derived { inputs, .. } = &indicators[i].kind {
            pending.extend(inputs);
        }
    }
    live
}

impl CompiledCatalog {
    pub(crate) fn new(
        indicators: Vec<CompiledIndicator>,
        rules: Vec<CompiledRule>,
        tables: Vec<Table>,
    ) -> CompiledCatalog {
        let live = live_indicators(&indicators, &rules);
        let mut dependents = vec![Vec::new(); indicators.len()];
        for (i, indicator) in indicators.iter().enumerate().filter(|(i, _)| live[*i]) {
            if let IndicatorKind::Derived { inputs, .. } = &indicator.kind {
                for &input in inputs {
                    dependents[input].push(i);
                }
            }
        }
        let mut rules_on = vec![Vec::new(); indicators.len()];
        for (r, rule) in rules.iter().enumerate() {
            rules_on[rule.indicator].push(r);
            for &(other, ..) in rule.bands.iter().flat_map(|b| &b.also) {
                if !rules_on[other].contains(&r) {
                    rules_on[other].push(r);
                }
            }
        }
        CompiledCatalog {
            indicators,
            rules,
            dependents,
            rules_on,
            tables,
            outbreaks: Vec::new(),
            zones: Vec::new(),
            hazards: Vec::new(),
            units: BTreeMap::new(),
            live,
        }
    }

    /// The window and forecast indicators computed from `metric` (those some rule reads).
    pub fn indicators_on(&self, metric: &str) -> Vec<usize> {
        (0..self.indicators.len())
            .filter(|&i| self.live[i])
            .filter(|&i| match &self.indicators[i].kind {
                IndicatorKind::Window { metric: m, .. }
                | IndicatorKind::Forecast { metric: m, .. } => m == metric,
                IndicatorKind::Derived { .. } => false,
            })
            .collect()
    }

    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }

    /// The Vietnamese and English names of a rule or outbreak rule.
    pub fn rule_names(&self, id: &str) -> Option<(&str, &str)> {
        let rule = self.rules.iter().find(|r| r.id == id);
        let named = rule.map(|r| (r.name_vi.as_str(), r.name_en.as_str()));
        named.or_else(|| {
            let o = self.outbreaks.iter().find(|o| o.id == id)?;
            Some((o.name_vi.as_str(), o.name_en.as_str()))
        })
    }

    /// The Vietnamese and English names of a hazard.
    pub fn hazard_names(&self, id: &str) -> Option<(&str, &str)> {
        let hazard = self.hazards.iter().find(|h| h.id == id)?;
        Some((hazard.name_vi.as_str(), hazard.name_en.as_str()))
    }

    pub fn indicator_index(&self, id: &str) -> Option<usize> {
        self.indicators.iter().position(|i| i.id == id)
    }

    /// The unit of a rule's indicator: its metric's unit, or `None` for derived indicators
    /// (indices such as VN_AQI or the Beaufort force).
    pub fn rule_unit(&self, rule: usize) -> Option<&str> {
        match &self.indicators[self.rules[rule].indicator].kind {
            IndicatorKind::Window { metric, .. } | IndicatorKind::Forecast { metric, .. } => {
                self.units.get(metric).map(String::as_str)
            }
            IndicatorKind::Derived { .. } => None,
        }
    }
}

/// The lowest value of a level on a station's raw metric ([`Evaluator::raw_thresholds`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RawThreshold {
    pub metric: String,
    pub rule: String,
    pub level: u8,
    pub value: f64,
}

/// A rule's level changed at a station.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelChange {
    pub station: usize,
    pub rule: usize,
    /// 0 means no level.
    pub from: u8,
    pub to: u8,
    pub time_s: i64,
    /// The indicator value that decided it.
    pub value: f64,
    /// For a forecast level (the rule's `forecast`): when the level is expected to be reached.
    /// `None` for an observed level.
    pub forecast: Option<ForecastLevel>,
}

/// A level the trend says is coming, and when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastLevel {
    /// The crossing of the band that gives the level; `None` when the forecast level drops to 0.
    pub crossing: Option<Crossing>,
}

/// A rule's trend forecast, as compiled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastSpec {
    pub fit_s: i64,
    pub horizon_s: i64,
}

/// What the evaluator knows of a station.
#[derive(Debug, Clone, Default)]
pub struct StationContext {
    pub domain: Domain,
    pub attributes: BTreeMap<String, AttributeValue>,
    /// The codes of the current commune and province the station lies in.
    pub regions: Vec<String>,
    /// The catalogue zones the station lies in.
    pub zones: Vec<String>,
}

#[derive(Debug, Clone)]
struct RuleState {
    level: u8,
    since_s: i64,
    /// The bands that apply at this station, with thresholds resolved from its attributes.
    bands: Vec<ResolvedBand>,
    /// Recent indicator values for the trend forecast (empty without one).
    history: std::collections::VecDeque<(i64, f64)>,
    forecast_level: u8,
    /// See the end of `evaluate_rule`.
    stable: bool,
}

/// A band at one station: numeric edges, and since when its condition has held.
#[derive(Debug, Clone)]
struct ResolvedBand {
    level: u8,
    min: f64,
    max: f64,
    /// Conditions on other indicators, resolved: (indicator, min, max).
    also: Vec<(usize, f64, f64)>,
    sustained_s: i64,
    holding_since: Option<i64>,
}

impl ResolvedBand {
    /// The band at a station, or `None` where its condition or a threshold's attribute is absent.
    fn at(
        band: &CompiledBand,
        attributes: &BTreeMap<String, AttributeValue>,
    ) -> Option<ResolvedBand> {
        let when_holds = band
            .when
            .iter()
            .all(|(name, allowed)| attributes.get(name).is_some_and(|v| allowed.contains(v)));
        let edges = |min: &Threshold, max: &Option<Threshold>| -> Option<(f64, f64)> {
            Some((
                min.resolve(attributes)?,
                match max {
                    None => f64::INFINITY,
                    Some(max) => max.resolve(attributes)?,
                },
            ))
        };
        let (min, max) = edges(&band.min, &band.max)?;
        let also = band
            .also
            .iter()
            .map(|(i, lo, hi)| edges(lo, hi).map(|(lo, hi)| (*i, lo, hi)))
            .collect::<Option<Vec<_>>>()?;
        when_holds.then_some(ResolvedBand {
            level: band.level,
            min,
            max,
            also,
            sustained_s: band.sustained_s,
            holding_since: None,
        })
    }
}

struct StationState {
    /// Per forecast indicator, the newest issue's curve.
    curves: Vec<Option<Box<ForecastCurve>>>,
    /// Boxed, so that the slots of indicators a station never feeds stay small.
    windows: Vec<Option<Box<Window>>>,
    values: Vec<Option<f64>>,
    /// The rules that apply at this station, with their state.
    rules: RuleStates,
}

/// The states of the rules that apply at a station, by rule index (few per station, so a short
/// list scanned in order beats a slot for every rule of the catalogue).
#[derive(Debug, Default)]
struct RuleStates(Vec<(usize, RuleState)>);

impl RuleStates {
    fn get(&self, rule: usize) -> Option<&RuleState> {
        self.0.iter().find(|(r, _)| *r == rule).map(|(_, s)| s)
    }

    fn get_mut(&mut self, rule: usize) -> Option<&mut RuleState> {
        self.0.iter_mut().find(|(r, _)| *r == rule).map(|(_, s)| s)
    }

    fn set(&mut self, rule: usize, state: Option<RuleState>) {
        self.0.retain(|(r, _)| *r != rule);
        if let Some(state) = state {
            self.0.push((rule, state));
        }
    }
}

/// An observation stream's entry point: which station and which window indicators.
#[derive(Debug, Clone)]
struct SeriesSlot {
    station: usize,
    indicators: Vec<usize>,
}

/// The streaming evaluator over one catalogue.
pub struct Evaluator {
    catalog: CompiledCatalog,
    stations: Vec<StationState>,
    series: Vec<SeriesSlot>,
    by_metric: HashMap<String, Vec<usize>>,
    /// How far behind the newest sample a late one is still taken into its windows.
    pub lateness_s: i64,
    pending: Pending,
}

/// The indicators an observation touched, waiting for their derived indicators and rules.
#[derive(Debug)]
struct Pending {
    changed: Vec<bool>,
    /// Whether the indicator's value differs from before (a rule whose state is stable needs no
    /// evaluation when it does not).
    differs: Vec<bool>,
    touched: Vec<usize>,
}

impl Pending {
    /// Stores indicator `i`'s new value and marks it touched.
    fn note(&mut self, values: &mut [Option<f64>], i: usize, new: Option<f64>) {
        self.differs[i] |= new != values[i];
        values[i] = new;
        if !std::mem::replace(&mut self.changed[i], true) {
            self.touched.push(i);
        }
    }
}

/// Handle of a series registered with [`Evaluator::series`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesHandle(usize);

impl Evaluator {
    pub fn new(catalog: CompiledCatalog, lateness_s: i64) -> Evaluator {
        let n = catalog.indicators.len();
        Evaluator {
            catalog,
            stations: Vec::new(),
            series: Vec::new(),
            by_metric: HashMap::new(),
            lateness_s,
            pending: Pending {
                changed: vec![false; n],
                differs: vec![false; n],
                touched: Vec::new(),
            },
        }
    }

    pub fn catalog(&self) -> &CompiledCatalog {
        &self.catalog
    }

    /// Registers a station; returns its index.
    pub fn add_station(&mut self, context: StationContext) -> usize {
        let rules = self
            .catalog
            .rules
            .iter()
            .enumerate()
            .filter_map(|(r, rule)| rule_state_at(rule, &context).map(|state| (r, state)))
            .collect();
        let rules = RuleStates(rules);
        let n = self.catalog.indicators.len();
        self.stations.push(StationState {
            curves: vec![None; n],
            windows: vec![None; n],
            values: vec![None; n],
            rules,
        });
        self.stations.len() - 1
    }

    /// The level edges a station's raw values are judged against directly, for charts: for each
    /// metric and level, the lowest value that reaches the level in a rule that applies at the
    /// station and reads the latest value of the metric. Windowed sums, means, derived indices
    /// and bands with further conditions are judged on more than the raw value and are left out.
    pub fn raw_thresholds(&self, station: usize) -> Vec<RawThreshold> {
        let Some(state) = self.stations.get(station) else {
            return Vec::new();
        };
        let mut found: Vec<RawThreshold> = Vec::new();
        for (r, rule_state) in &state.rules.0 {
            let rule = &self.catalog.rules[*r];
            let IndicatorKind::Window {
                metric,
                aggregate: Aggregate::Last,
                ..
            } = &self.catalog.indicators[rule.indicator].kind
            else {
                continue;
            };
            for band in rule_state.bands.iter().filter(|b| b.also.is_empty()) {
                let same_level = found
                    .iter_mut()
                    .find(|t| t.metric == *metric && t.level == band.level);
                match same_level {
                    Some(known) => known.value = known.value.min(band.min),
                    None => found.push(RawThreshold {
                        metric: metric.clone(),
                        rule: rule.id.clone(),
                        level: band.level,
                        value: band.min,
                    }),
                }
            }
        }
        found.sort_by(|a, b| (&a.metric, a.level).cmp(&(&b.metric, b.level)));
        found
    }

    /// Re-reads a station's attributes and domain (thresholds are resolved again); current levels
    /// are kept, sustained conditions start over.
    pub fn update_station(&mut self, station: usize, context: StationContext) {
        for (r, rule) in self.catalog.rules.iter().enumerate() {
            let mut fresh = rule_state_at(rule, &context);
            if let (Some(new), Some(old)) =
                (fresh.as_mut(), self.stations[station].rules.get_mut(r))
            {
                new.level = old.level;
                new.since_s = old.since_s;
                new.forecast_level = old.forecast_level;
                new.history = std::mem::take(&mut old.history);
            }
            self.stations[station].rules.set(r, fresh);
        }
    }

    /// Sets the level a rule holds at a station (to resume after a restart from stored levels).
    pub fn set_level(&mut self, station: usize, rule: usize, level: u8, since_s: i64) {
        if let Some(state) = self.stations[station].rules.get_mut(rule) {
            state.level = level;
            state.since_s = since_s;
            state.stable = false;
        }
    }

    /// The longest span of history that decides a level: the longest window plus the longest
    /// sustained condition plus the longest minimum hold.
    pub fn horizon_s(&self) -> i64 {
        let window = self
            .catalog
            .indicators
            .iter()
            .map(|i| match i.kind {
                IndicatorKind::Window { window_s, .. } => window_s,
                IndicatorKind::Forecast { .. } => 0,
                IndicatorKind::Derived { .. } => 0,
            })
            .max()
            .unwrap_or(0);
        let sustained = self
            .catalog
            .rules
            .iter()
            .flat_map(|r| r.bands.iter().map(|b| b.sustained_s))
            .max()
            .unwrap_or(0);
        let hold = self
            .catalog
            .rules
            .iter()
            .map(|r| r.min_hold_s)
            .max()
            .unwrap_or(0);
        window + sustained + hold
    }

    /// The handle for `metric` at `station`, or `None` when no indicator reads that metric.
    pub fn series(&mut self, station: usize, metric: &str) -> Option<SeriesHandle> {
        let indicators = self
            .by_metric
            .entry(metric.to_string())
            .or_insert_with(|| self.catalog.indicators_on(metric))
            .clone();
        if indicators.is_empty() {
            return None;
        }
        self.series.push(SeriesSlot {
            station,
            indicators,
        });
        Some(SeriesHandle(self.series.len() - 1))
    }

    /// The station a series belongs to.
    pub fn station_of(&self, series: SeriesHandle) -> usize {
        self.series[series.0].station
    }

    /// The current level of `rule` at `station` (0 when none or not applicable).
    pub fn level(&self, station: usize, rule: usize) -> u8 {
        self.stations[station]
            .rules
            .get(rule)
            .map_or(0, |r| r.level)
    }

    /// The current value of an indicator at a station.
    pub fn value(&self, station: usize, indicator: usize) -> Option<f64> {
        self.stations[station].values[indicator]
    }

    /// Feeds one observation; level changes are appended to `changes`.
    pub fn observe(
        &mut self,
        series: SeriesHandle,
        time_s: i64,
        value: f64,
        changes: &mut Vec<LevelChange>,
    ) {
        let slot = &self.series[series.0];
        let station = slot.station;
        let state = &mut self.stations[station];
        for &i in &slot.indicators {
            let IndicatorKind::Window {
                aggregate,
                window_s,
                ..
            } = self.catalog.indicators[i].kind
            else {
                continue;
            };
            let window =
                state.windows[i].get_or_insert_with(|| Box::new(Window::new(aggregate, window_s)));
            if window.push(time_s, value, self.lateness_s) {
                self.pending.note(&mut state.values, i, window.value());
            }
        }
        self.propagate(station, time_s, changes);
    }

    /// Feeds one forecast value (issue time, valid time) to the forecast indicators of its
    /// metric; level changes of rules on them are forecast levels with their lead time.
    pub fn observe_forecast(
        &mut self,
        series: SeriesHandle,
        issued_s: i64,
        valid_s: i64,
        value: f64,
        changes: &mut Vec<LevelChange>,
    ) {
        let slot = &self.series[series.0];
        let station = slot.station;
        let state = &mut self.stations[station];
        for &i in &slot.indicators {
            let IndicatorKind::Forecast {
                aggregate,
                window_s,
                ..
            } = self.catalog.indicators[i].kind
            else {
                continue;
            };
            let curve = state.curves[i].get_or_insert_with(Box::default);
            if curve.add(issued_s, valid_s, value) {
                self.pending
                    .note(&mut state.values, i, curve.value(aggregate, window_s));
            }
        }
        self.propagate(station, issued_s, changes);
    }

    /// Recomputes the derived indicators touched by new values, then the rules on every changed
    /// indicator.
    fn propagate(&mut self, station: usize, time_s: i64, changes: &mut Vec<LevelChange>) {
        self.update_derived(station);
        while let Some(i) = self.pending.touched.pop() {
            if std::mem::take(&mut self.pending.changed[i]) {
                let differs = std::mem::take(&mut self.pending.differs[i]);
                for r in 0..self.catalog.rules_on[i].len() {
                    let rule = self.catalog.rules_on[i][r];
                    self.evaluate_rule(station, rule, time_s, differs, changes);
                }
            }
        }
    }

    fn update_derived(&mut self, station: usize) {
        let mut k = 0;
        while k < self.pending.touched.len() {
            let i = self.pending.touched[k];
            for &d in &self.catalog.dependents[i] {
                let IndicatorKind::Derived {
                    inputs,
                    combine,
                    transform,
                } = &self.catalog.indicators[d].kind
                else {
                    continue;
                };
                // Recomputed only when an input differs; touched in any case, because its rules
                // may still have a drop or a sustained condition due with the passing time.
                if inputs.iter().any(|&x| self.pending.differs[x]) {
                    let values = &self.stations[station].values;
                    let combined =
                        combine_values(*combine, inputs.iter().filter_map(|&x| values[x])).map(
                            |v| match transform {
                                Some(t) => self.catalog.tables[*t].apply(v),
                                None => v,
                            },
                        );
                    self.pending
                        .note(&mut self.stations[station].values, d, combined);
                } else if !std::mem::replace(&mut self.pending.changed[d], true) {
                    self.pending.touched.push(d);
                }
            }
            k += 1;
        }
    }

    fn evaluate_rule(
        &mut self,
        station: usize,
        r: usize,
        time_s: i64,
        value_differs: bool,
        changes: &mut Vec<LevelChange>,
    ) {
        let rule = &self.catalog.rules[r];
        let state = &mut self.stations[station];
        let (Some(value), Some(rule_state)) =
            (state.values[rule.indicator], state.rules.get_mut(r))
        else {
            return;
        };
        if rule_state.stable && !value_differs && rule.forecast.is_none() {
            return;
        }
        let mut candidate = 0;
        let mut current_band_holds = false;
        for band in &mut rule_state.bands {
            let others_hold = band
                .also
                .iter()
                .all(|&(i, lo, hi)| state.values[i].is_some_and(|v| v >= lo && v < hi));
            let inside = value >= band.min && value < band.max && others_hold;
            band.holding_since = if inside {
                Some(band.holding_since.unwrap_or(time_s))
            } else {
                None
            };
            if band
                .holding_since
                .is_some_and(|since| time_s - since >= band.sustained_s)
            {
                candidate = candidate.max(band.level);
            }
            // The current level holds while the value stays above its band's lower edge less the
            // hysteresis — also above the band, while a higher level waits to be sustained.
            current_band_holds |= band.level == rule_state.level
                && others_hold
                && value >= band.min - rule.hysteresis;
        }
        let held_long_enough = time_s.saturating_sub(rule_state.since_s) >= rule.min_hold_s;
        let next = if candidate < rule_state.level && (current_band_holds || !held_long_enough) {
            rule_state.level
        } else {
            candidate
        };
        if next != rule_state.level {
            let forecast = match self.catalog.indicators[rule.indicator].kind {
                IndicatorKind::Forecast {
                    aggregate,
                    window_s,
                    ..
                } => {
                    let min = rule_state
                        .bands
                        .iter()
                        .filter(|b| b.level == next)
                        .map(|b| b.min)
                        .fold(f64::INFINITY, f64::min);
                    let lead = state.curves[rule.indicator]
                        .as_ref()
                        .and_then(|c| c.lead_to(aggregate, window_s, min));
                    Some(ForecastLevel {
                        crossing: lead.map(|l| Crossing {
                            lead_s: l,
                            earliest_s: l,
                            latest_s: Some(l),
                        }),
                    })
                }
                _ => None,
            };
            changes.push(LevelChange {
                station,
                rule: r,
                from: rule_state.level,
                to: next,
                time_s,
                value,
                forecast,
            });
            rule_state.level = next;
            rule_state.since_s = time_s;
        }
        // Stable: the level is what the value gives, and no higher band is waiting out its
        // duration, so the same value at a later time changes nothing.
        rule_state.stable = next == candidate
            && !rule_state.bands.iter().any(|b| {
                b.level > next && b.holding_since.is_some_and(|s| time_s - s < b.sustained_s)
            });
        if let Some(spec) = rule.forecast {
            forecast_rule(rule_state, spec, (station, r), time_s, value, changes);
        }
    }
}

/// Updates a rule's trend forecast at a station: the highest band above the current level that
/// the trend crosses within the horizon; a change of that level is reported.
fn forecast_rule(
    state: &mut RuleState,
    spec: ForecastSpec,
    (station, rule): (usize, usize),
    time_s: i64,
    value: f64,
    changes: &mut Vec<LevelChange>,
) {
    state.history.push_back((time_s, value));
    while state
        .history
        .front()
        .is_some_and(|&(t, _)| t <= time_s - spec.fit_s)
    {
        state.history.pop_front();
    }
    let trend = Trend::fit(state.history.make_contiguous());
    let mut expected: (u8, Option<Crossing>) = (0, None);
    for band in state
        .bands
        .iter()
        .filter(|b| b.sustained_s == 0 && b.level > state.level)
    {
        let crossing = trend
            .and_then(|t| t.crossing(band.min))
            .filter(|c| c.lead_s <= spec.horizon_s);
        if let Some(crossing) = crossing.filter(|_| band.level > expected.0) {
            expected = (band.level, Some(crossing));
        }
    }
    if expected.0 != state.forecast_level {
        changes.push(LevelChange {
            station,
            rule,
            from: state.forecast_level,
            to: expected.0,
            time_s,
            value,
            forecast: Some(ForecastLevel {
                crossing: expected.1,
            }),
        });
        state.forecast_level = expected.0;
    }
}

/// A rule's state at a station: `None` where the rule's domains, surface (land or sea), regions
/// or zones exclude the station, or none of its bands can hold there (e.g. a flood rule at a
/// station without alarm levels).
fn rule_state_at(rule: &CompiledRule, context: &StationContext) -> Option<RuleState> {
    let within = |allowed: &[String], held: &[String]| {
        allowed.is_empty() || allowed.iter().any(|a| held.contains(a))
    };
    let applies = (rule.domains.is_empty()
        || rule.domains.iter().any(|d| d == context.domain.as_str()))
        && rule.surface.holds(&context.attributes)
        && within(&rule.regions, &context.regions)
        && within(&rule.zones, &context.zones);
    let bands: Vec<ResolvedBand> = rule
        .bands
        .iter()
        .filter_map(|b| ResolvedBand::at(b, &context.attributes))
        .collect();
    (applies && !bands.is_empty()).then_some(RuleState {
        level: 0,
        since_s: i64::MIN,
        bands,
        history: std::collections::VecDeque::new(),
        forecast_level: 0,
        stable: false,
    })
}

fn combine_values(combine: Combine, values: impl Iterator<Item = f64>) -> Option<f64> {
    let (count, total) = values.fold((0usize, None), |(n, acc): (usize, Option<f64>), v| {
        let next = match (combine, acc) {
            (_, None) => v,
            (Combine::Max, Some(a)) => a.max(v),
            (Combine::Min, Some(a)) => a.min(v),
            (Combine::Sum | Combine::Mean, Some(a)) => a + v,
        };
        (n + 1, Some(next))
    });
    match combine {
        Combine::Mean => total.map(|t| t / count as f64),
        _ => total,
    }
}

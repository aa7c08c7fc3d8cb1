//! Outbreak signals in the catalogue: a count metric reported per week or month, judged by one
//! of the statistical detectors of [`crate::outbreak`] each time a period's count arrives.

use super::Confidence;
use super::cap::CapDef;
use crate::outbreak::Method;
use serde::Deserialize;
use std::collections::BTreeMap;

/// An outbreak rule as written in the catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutbreakDef {
    pub id: String,
    /// The hazard code, e.g. `epidemic_dengue`.
    pub hazard: String,
    pub name_vi: String,
    pub name_en: String,
    /// The count metric (cases per period), declared in a `[[metric]]` table.
    pub metric: String,
    /// 52 for ISO weeks (Monday start), 12 for calendar months.
    pub frequency: usize,
    /// `ears-c1`, `ears-c2`, `ears-c3`, `farrington-flexible`, `farrington` or `cusum` (not
    /// `glrnb`, which is sequential over a whole range).
    pub method: String,
    /// Control parameters named as in R surveillance (`b`, `w`, `alpha`, `noPeriods`, …);
    /// R's defaults for the others.
    #[serde(default)]
    pub parameters: BTreeMap<String, toml_value::Value>,
    /// The level an alarm raises (1–5).
    pub level: u8,
    pub source: String,
    pub status: Confidence,
    pub cap: CapDef,
}

/// Parameter values may be written as numbers, booleans or strings.
pub mod toml_value {
    use serde::Deserialize;

    /// A parameter value as written.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(untagged)]
    pub enum Value {
        Bool(bool),
        Number(f64),
        Text(String),
    }

    impl Value {
        /// The value as the detectors' parameter parser reads it.
        pub fn as_text(&self) -> String {
            match self {
                Value::Bool(b) => {
                    if *b {
                        "TRUE".into()
                    } else {
                        "FALSE".into()
                    }
                }
                Value::Number(n) => n.to_string(),
                Value::Text(t) => t.clone(),
            }
        }
    }
}

/// A checked outbreak rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledOutbreak {
    pub id: String,
    pub hazard: String,
    pub name_vi: String,
    pub name_en: String,
    pub metric: String,
    pub frequency: usize,
    pub method: Method,
    pub level: u8,
    pub source: String,
    pub status: Confidence,
    pub cap: CapDef,
}

/// Checks an outbreak rule; problems are `(key, problem)`.
pub fn compile(
    def: &OutbreakDef,
    metric_known: bool,
) -> Result<CompiledOutbreak, Vec<(String, String)>> {
    let mut problems = Vec::new();
    if !metric_known {
        problems.push((
            "metric".to_string(),
            format!(
                "unknown metric {:?} (declare it in a [[metric]] table)",
                def.metric
            ),
        ));
    }
    if def.frequency != 52 && def.frequency != 12 {
        problems.push((
            "frequency".to_string(),
            format!(
                "{} is neither 52 (ISO weeks) nor 12 (months)",
                def.frequency
            ),
        ));
    }
    if !(1..=5).contains(&def.level) {
        problems.push((
            "level".to_string(),
            format!("level {} is not 1 to 5", def.level),
        ));
    }
    if def.method == "glrnb" {
        problems.push((
            "method".to_string(),
            "glrnb judges a whole range from its start; outbreak rules judge each new period on its own, so use ears-c1, ears-c2, ears-c3, farrington-flexible, farrington or cusum (glrnb is available in `tocsin detect outbreak`)".to_string(),
        ));
    }
    let params: Vec<(String, String)> = def
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.as_text()))
        .collect();
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let method =
        Method::new(&def.method, &borrowed).map_err(|e| ("method".to_string(), e.to_string()));
    if let Err(problem) = &method {
        problems.push(problem.clone());
    }
    match method {
        Ok(method) if problems.is_empty() => Ok(CompiledOutbreak {
            id: def.id.clone(),
            hazard: def.hazard.clone(),
            name_vi: def.name_vi.clone(),
            name_en: def.name_en.clone(),
            metric: def.metric.clone(),
            frequency: def.frequency,
            method,
            level: def.level,
            source: def.source.clone(),
            status: def.status,
            cap: def.cap.clone(),
        }),
        _ => Err(problems),
    }
}

//! The catalogue's names are unique and its hazards declared: two rules never share a name (in
//! either language, ignoring case and tone marks), every rule's hazard is a `[[hazard]]` with
//! names of its own, and a hazard judged both on land and at sea says on every rule which of
//! the two it judges. Each duplicate is reported on the later item, naming the earlier one.

use super::outbreak::OutbreakDef;
use super::{CatalogFile, CatalogProblem, RuleDef, Surface};
use crate::text::search_key;
use std::collections::HashMap;

/// An item with names: (file, item label, hazard, Vietnamese name, English name).
type Named<'a> = (&'a str, String, &'a str, &'a str, &'a str);

/// Every naming and hazard problem of a catalogue.
pub(super) fn check(
    files: &[(String, CatalogFile)],
    rules: &[(&str, &RuleDef)],
    outbreaks: &[(&str, &OutbreakDef)],
) -> Vec<CatalogProblem> {
    let hazards: Vec<Named> = files
        .iter()
        .flat_map(|(file, f)| f.hazard.iter().map(move |h| (file.as_str(), h)))
        .map(|(file, h)| {
            (
                file,
                format!("hazard {}", h.id),
                h.id.as_str(),
                h.name_vi.as_str(),
                h.name_en.as_str(),
            )
        })
        .collect();
    let named_rules: Vec<Named> = rules
        .iter()
        .map(|(file, r)| {
            (
                *file,
                format!("rule {}", r.id),
                r.hazard.as_str(),
                r.name_vi.as_str(),
                r.name_en.as_str(),
            )
        })
        .chain(outbreaks.iter().map(|(file, o)| {
            (
                *file,
                format!("outbreak {}", o.id),
                o.hazard.as_str(),
                o.name_vi.as_str(),
                o.name_en.as_str(),
            )
        }))
        .collect();
    let mut problems = unique_names(&hazards);
    problems.extend(unique_names(&named_rules));
    problems.extend(unique_hazard_ids(&hazards));
    for (file, item, hazard, ..) in &named_rules {
        if !hazards.iter().any(|h| h.2 == *hazard) {
            problems.push(problem(
                file,
                item,
                "hazard",
                format!("hazard {hazard:?} is not declared (add a [[hazard]] with its names)"),
            ));
        }
    }
    problems.extend(surfaces(rules));
    problems
}

fn problem(file: &str, item: &str, key: &str, text: String) -> CatalogProblem {
    CatalogProblem {
        file: file.to_string(),
        item: item.to_string(),
        key: key.to_string(),
        problem: text,
    }
}

/// No two items share a Vietnamese or an English name.
fn unique_names(items: &[Named]) -> Vec<CatalogProblem> {
    let mut problems = Vec::new();
    for (key, pick) in [("name_vi", 3), ("name_en", 4)] {
        let mut first: HashMap<String, &str> = HashMap::new();
        for item in items {
            let name = if pick == 3 { item.3 } else { item.4 };
            match first.get(&search_key(name)) {
                Some(earlier) => problems.push(problem(
                    item.0,
                    &item.1,
                    key,
                    format!("{name:?} is also the name of {earlier}: names must be unique"),
                )),
                None => {
                    first.insert(search_key(name), &item.1);
                }
            }
        }
    }
    problems
}

fn unique_hazard_ids(hazards: &[Named]) -> Vec<CatalogProblem> {
    let mut seen = HashMap::new();
    hazards
        .iter()
        .filter(|h| seen.insert(h.2, ()).is_some())
        .map(|h| problem(h.0, &h.1, "id", "defined twice".into()))
        .collect()
}

/// Where a hazard has a rule at sea, every rule of it says whether it judges land or sea.
fn surfaces(rules: &[(&str, &RuleDef)]) -> Vec<CatalogProblem> {
    rules
        .iter()
        .filter(|(_, r)| r.surface == Surface::Any)
        .filter_map(|(file, r)| {
            let at_sea = rules
                .iter()
                .find(|(_, o)| o.hazard == r.hazard && o.surface == Surface::Sea)?;
            Some(problem(
                file,
                &format!("rule {}", r.id),
                "surface",
                format!(
                    "hazard {} is judged at sea by rule {}: say whether this rule judges \
                     \"land\" or \"sea\"",
                    r.hazard, at_sea.1.id
                ),
            ))
        })
        .collect()
}

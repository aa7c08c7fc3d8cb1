//! Following a unit through the reforms that retired it: which current units took it over, how
//! (whole, partly, renamed) and on which days. The rules are here; the store only answers what
//! the [`SuccessionGraph`] asks.

use super::{Region, Succession};
use jiff::civil::Date;

/// The registry's units and succession links, as a store reads them: `Unit` is the store's key of
/// one unit in one period.
pub trait SuccessionGraph {
    type Unit: Copy + PartialEq;
    type Error;
    /// The unit with this key.
    fn unit(&self, unit: Self::Unit) -> Result<Region, Self::Error>;
    /// The unit's own succession links.
    fn links(&self, unit: Self::Unit) -> Result<Vec<Link<Self::Unit>>, Self::Error>;
    /// The units whose parent was `code` on `day`.
    fn children_on(&self, code: &str, day: Date) -> Result<Vec<Self::Unit>, Self::Error>;
}

/// One succession link: the unit passed into `to`, as `relation` says, on `on`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link<U> {
    pub to: U,
    pub relation: Succession,
    pub on: Date,
}

/// A current unit reached from the one asked for: how, over the whole chain, and the days of
/// the changes on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Reached<U> {
    pub unit: U,
    pub relation: Succession,
    pub changes: Vec<Date>,
}

impl Succession {
    /// The relation of two steps in a row: partial when either is, whole when either is, and a
    /// rename only when both are.
    pub fn then(self, next: Succession) -> Succession {
        match (self, next) {
            (Succession::Partial, _) | (_, Succession::Partial) => Succession::Partial,
            (Succession::Whole, _) | (_, Succession::Whole) => Succession::Whole,
            _ => Succession::Renamed,
        }
    }
}

/// The units valid on `today` that `start` passed into (itself when it is still valid). A unit
/// reached along two chains that say different things was taken over partly.
pub fn successors<G: SuccessionGraph>(
    graph: &G,
    start: G::Unit,
    today: Date,
) -> Result<Vec<Reached<G::Unit>>, G::Error> {
    let mut found: Vec<Reached<G::Unit>> = Vec::new();
    let mut frontier = vec![Reached {
        unit: start,
        relation: Succession::Renamed,
        changes: Vec::new(),
    }];
    while let Some(step) = frontier.pop() {
        let region = graph.unit(step.unit)?;
        if region.valid_on(today) {
            merge(&mut found, step);
            continue;
        }
        for link in next_units(graph, step.unit, &region)? {
            let mut changes = step.changes.clone();
            changes.push(link.on);
            frontier.push(Reached {
                unit: link.to,
                relation: step.relation.then(link.relation),
                changes,
            });
        }
    }
    Ok(found)
}

fn merge<U: PartialEq>(found: &mut Vec<Reached<U>>, step: Reached<U>) {
    match found.iter_mut().find(|f| f.unit == step.unit) {
        Some(existing) if existing.relation != step.relation => {
            existing.relation = Succession::Partial;
        }
        Some(_) => {}
        None => found.push(step),
    }
}

/// The units a retired unit passed into: its own succession links, or, for a unit abolished
/// without links of its own (a district), those of the children it had on its last day, each
/// taken over partly.
fn next_units<G: SuccessionGraph>(
    graph: &G,
    unit: G::Unit,
    region: &Region,
) -> Result<Vec<Link<G::Unit>>, G::Error> {
    let mut next = graph.links(unit)?;
    let last_day = region.valid_to.and_then(|d| d.yesterday().ok());
    if let (true, Some(last_day)) = (next.is_empty(), last_day) {
        for child in graph.children_on(&region.code, last_day)? {
            let child_region = graph.unit(child)?;
            let links = next_units(graph, child, &child_region)?;
            next.extend(links.into_iter().map(|link| Link {
                relation: Succession::Partial,
                ..link
            }));
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionKind;
    use jiff::civil::date;
    use std::collections::HashMap;

    /// Units by index, links by source.
    struct Graph {
        units: Vec<Region>,
        links: HashMap<usize, Vec<Link<usize>>>,
    }

    impl SuccessionGraph for Graph {
        type Unit = usize;
        type Error = std::convert::Infallible;
        fn unit(&self, unit: usize) -> Result<Region, Self::Error> {
            Ok(self.units[unit].clone())
        }
        fn links(&self, unit: usize) -> Result<Vec<Link<usize>>, Self::Error> {
            Ok(self.links.get(&unit).cloned().unwrap_or_default())
        }
        fn children_on(&self, code: &str, day: Date) -> Result<Vec<usize>, Self::Error> {
            Ok((0..self.units.len())
                .filter(|&i| self.units[i].parent.as_deref() == Some(code))
                .filter(|&i| self.units[i].valid_on(day))
                .collect())
        }
    }

    fn unit(code: &str, parent: Option<&str>, valid_to: Option<Date>) -> Region {
        Region {
            code: code.into(),
            kind: RegionKind::Commune,
            name: code.into(),
            name_en: code.into(),
            division_type: "xã".into(),
            parent: parent.map(str::to_string),
            valid_from: None,
            valid_to,
            centroid: None,
            bbox: None,
            source: "synthetic".into(),
        }
    }

    fn link(to: usize, relation: Succession, on: Date) -> Link<usize> {
        Link { to, relation, on }
    }

    /// A retired at the reform, B retired later, C current.
    fn three_units() -> Vec<Region> {
        vec![
            unit("A", None, Some(REFORM)),
            unit("B", None, Some(LATER)),
            unit("C", None, None),
        ]
    }

    const REFORM: Date = date(2025, 7, 1);
    const LATER: Date = date(2026, 3, 1);
    const TODAY: Date = date(2026, 6, 1);

    #[test]
    fn two_steps_are_as_partial_as_the_most_partial_of_them() {
        use Succession::*;
        assert_eq!(Renamed.then(Renamed), Renamed);
        assert_eq!(Renamed.then(Whole), Whole);
        assert_eq!(Whole.then(Renamed), Whole);
        assert_eq!(Whole.then(Partial), Partial);
        assert_eq!(Partial.then(Renamed), Partial);
    }

    #[test]
    fn a_chain_of_changes_ends_at_the_current_unit_with_every_day_on_the_way() {
        // 0 merged whole into 1 at the reform; 1 was renamed 2 later.
        let graph = Graph {
            units: three_units(),
            links: HashMap::from([
                (0, vec![link(1, Succession::Whole, REFORM)]),
                (1, vec![link(2, Succession::Renamed, LATER)]),
            ]),
        };
        let reached = successors(&graph, 0, TODAY).unwrap();
        assert_eq!(
            reached,
            [Reached {
                unit: 2,
                relation: Succession::Whole,
                changes: vec![REFORM, LATER]
            }]
        );
        assert_eq!(
            successors(&graph, 2, TODAY).unwrap()[0].relation,
            Succession::Renamed
        );
    }

    #[test]
    fn an_abolished_district_passes_partly_into_what_its_communes_became() {
        // District D (no links) had communes 1 and 2 on its last day; they went to 3 and 4.
        let graph = Graph {
            units: vec![
                unit("D", None, Some(REFORM)),
                unit("X1", Some("D"), Some(REFORM)),
                unit("X2", Some("D"), Some(REFORM)),
                unit("N1", None, None),
                unit("N2", None, None),
            ],
            links: HashMap::from([
                (1, vec![link(3, Succession::Whole, REFORM)]),
                (2, vec![link(4, Succession::Whole, REFORM)]),
            ]),
        };
        let mut reached: Vec<(usize, Succession)> = successors(&graph, 0, TODAY)
            .unwrap()
            .into_iter()
            .map(|r| (r.unit, r.relation))
            .collect();
        reached.sort_by_key(|r| r.0);
        assert_eq!(
            reached,
            [(3, Succession::Partial), (4, Succession::Partial)]
        );
    }

    #[test]
    fn a_unit_reached_along_two_different_chains_was_taken_over_partly() {
        // A passed whole into B and into C; B was then renamed C.
        let graph = Graph {
            units: three_units(),
            links: HashMap::from([
                (
                    0,
                    vec![
                        link(1, Succession::Whole, REFORM),
                        link(2, Succession::Whole, REFORM),
                    ],
                ),
                (1, vec![link(2, Succession::Renamed, LATER)]),
            ]),
        };
        let reached = successors(&graph, 0, TODAY).unwrap();
        assert_eq!(reached.len(), 1);
        assert_eq!(
            reached[0].relation,
            Succession::Whole,
            "both chains say whole"
        );
        let graph = Graph {
            links: HashMap::from([
                (
                    0,
                    vec![
                        link(1, Succession::Whole, REFORM),
                        link(2, Succession::Partial, REFORM),
                    ],
                ),
                (1, vec![link(2, Succession::Renamed, LATER)]),
            ]),
            ..graph
        };
        assert_eq!(
            successors(&graph, 0, TODAY).unwrap()[0].relation,
            Succession::Partial
        );
    }
}

//! Matching by the four on-site principle: each requirement is filled from the affected commune
//! first, then from the rest of its province (nearest first), then from the neighbouring
//! provinces (nearest first), then from the national reserves; what is still missing is reported
//! as a shortfall. Matching only plans: reserving the planned quantities is the store's, in the
//! same transaction that read them, so nothing is ever booked twice.

use super::{Category, Tier};
use crate::geo::{LonLat, distance_km};
use std::collections::HashMap;

/// A resource as matching sees it: what it is, where, and how much of it is free.
#[derive(Debug, Clone, PartialEq)]
pub struct Available {
    pub id: String,
    pub category: Category,
    /// What it is, e.g. `boat`, `rescue_personnel`, `life_jacket`, `food_ration`.
    pub kind: String,
    /// The commune it is kept in (`None` for a provincial or national depot without one).
    pub commune: Option<String>,
    pub province: String,
    /// `National` for the national reserves.
    pub tier: Tier,
    pub location: LonLat,
    /// How much is free now (total minus assigned, nothing when out of service).
    pub free: u64,
}

/// Where an allocation comes from, in the order the principle fills requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    OnSite,
    Province,
    Neighbour,
    NationalReserve,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::OnSite => "on_site",
            Source::Province => "province",
            Source::Neighbour => "neighbouring_province",
            Source::NationalReserve => "national_reserve",
        }
    }
}

/// One requirement of a request: a kind of resource and how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub category: Category,
    pub kind: String,
    pub quantity: u64,
}

/// The place a request is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub commune: String,
    pub province: String,
    pub location: LonLat,
    /// The provinces that border `province`.
    pub neighbours: Vec<String>,
}

/// A planned allocation: `quantity` of resource `resource` for need `need`.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    pub need: usize,
    pub resource: String,
    pub quantity: u64,
    pub source: Source,
    pub distance_km: f64,
}

/// What a need could not get.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    pub need: usize,
    pub kind: String,
    pub wanted: u64,
    pub missing: u64,
}

/// The plan for a request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub allocations: Vec<Allocation>,
    pub shortfalls: Vec<Shortfall>,
}

/// The registry indexed by (category, kind), for matching many requests against it.
pub struct Registry<'a> {
    by_kind: HashMap<(Category, &'a str), Vec<&'a Available>>,
}

impl<'a> Registry<'a> {
    pub fn new(resources: &'a [Available]) -> Registry<'a> {
        let mut by_kind: HashMap<(Category, &str), Vec<&Available>> = HashMap::new();
        for r in resources.iter().filter(|r| r.free > 0) {
            by_kind
                .entry((r.category, r.kind.as_str()))
                .or_default()
                .push(r);
        }
        Registry { by_kind }
    }

    /// Plans `needs` at `place`; one resource's free quantity is shared between the needs.
    pub fn plan(&self, place: &Place, needs: &[Need]) -> Plan {
        let mut used: HashMap<&str, u64> = HashMap::new();
        let mut plan = Plan::default();
        for (index, need) in needs.iter().enumerate() {
            let mut candidates: Vec<(Source, f64, &Available)> = self
                .by_kind
                .get(&(need.category, need.kind.as_str()))
                .into_iter()
                .flatten()
                .filter_map(|r| source_of(r, place).map(|s| (s, r)))
                .map(|(s, r)| (s, distance_km(place.location, r.location), *r))
                .collect();
            candidates.sort_by(|a, b| {
                (a.0, a.1)
                    .partial_cmp(&(b.0, b.1))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.2.id.cmp(&b.2.id))
            });
            let mut missing = need.quantity;
            for (source, distance_km, resource) in candidates {
                if missing == 0 {
                    break;
                }
                let taken = used.entry(resource.id.as_str()).or_default();
                let take = (resource.free - *taken).min(missing);
                if take == 0 {
                    continue;
                }
                *taken += take;
                missing -= take;
                plan.allocations.push(Allocation {
                    need: index,
                    resource: resource.id.clone(),
                    quantity: take,
                    source,
                    distance_km,
                });
            }
            if missing > 0 {
                plan.shortfalls.push(Shortfall {
                    need: index,
                    kind: need.kind.clone(),
                    wanted: need.quantity,
                    missing,
                });
            }
        }
        plan
    }
}

/// Which tier of the principle a resource serves `place` from; `None` if it is not called on.
fn source_of(resource: &Available, place: &Place) -> Option<Source> {
    if resource.tier == Tier::National {
        Some(Source::NationalReserve)
    } else if resource.commune.as_deref() == Some(place.commune.as_str()) {
        Some(Source::OnSite)
    } else if resource.province == place.province {
        Some(Source::Province)
    } else if place.neighbours.contains(&resource.province) {
        Some(Source::Neighbour)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(
        id: &str,
        commune: Option<&str>,
        province: &str,
        tier: Tier,
        lon: f64,
        free: u64,
    ) -> Available {
        Available {
            id: id.into(),
            category: Category::Materials,
            kind: "boat".into(),
            commune: commune.map(str::to_string),
            province: province.into(),
            tier,
            location: [lon, 21.7],
            free,
        }
    }

    fn place() -> Place {
        Place {
            commune: "04252".into(),
            province: "15".into(),
            location: [104.87, 21.7],
            neighbours: vec!["08".into()],
        }
    }

    fn boats(quantity: u64) -> Vec<Need> {
        vec![Need {
            category: Category::Materials,
            kind: "boat".into(),
            quantity,
        }]
    }

    #[test]
    fn on_site_first_then_the_province_nearest_first_then_neighbours_then_the_reserves() {
        let registry = vec![
            resource("reserve", None, "01", Tier::National, 105.8, 10),
            resource(
                "far-in-province",
                Some("02647"),
                "15",
                Tier::Commune,
                104.0,
                2,
            ),
            resource("neighbour", Some("01000"), "08", Tier::Province, 105.2, 2),
            resource("on-site", Some("04252"), "15", Tier::Commune, 104.87, 1),
            resource(
                "near-in-province",
                Some("04273"),
                "15",
                Tier::Commune,
                104.9,
                2,
            ),
            resource("elsewhere", Some("26000"), "33", Tier::Province, 106.0, 50),
        ];
        let plan = Registry::new(&registry).plan(&place(), &boats(9));
        let order: Vec<(&str, u64, Source)> = plan
            .allocations
            .iter()
            .map(|a| (a.resource.as_str(), a.quantity, a.source))
            .collect();
        assert_eq!(
            order,
            vec![
                ("on-site", 1, Source::OnSite),
                ("near-in-province", 2, Source::Province),
                ("far-in-province", 2, Source::Province),
                ("neighbour", 2, Source::Neighbour),
                ("reserve", 2, Source::NationalReserve),
            ]
        );
        assert!(plan.shortfalls.is_empty());
    }

    #[test]
    fn what_cannot_be_found_is_a_shortfall() {
        let registry = vec![resource(
            "on-site",
            Some("04252"),
            "15",
            Tier::Commune,
            104.87,
            3,
        )];
        let plan = Registry::new(&registry).plan(&place(), &boats(4));
        assert_eq!(plan.allocations.len(), 1);
        assert_eq!(
            plan.shortfalls,
            vec![Shortfall {
                need: 0,
                kind: "boat".into(),
                wanted: 4,
                missing: 1
            }]
        );
    }

    #[test]
    fn needs_of_one_request_share_a_resource_without_overbooking_it() {
        let registry = vec![resource(
            "on-site",
            Some("04252"),
            "15",
            Tier::Commune,
            104.87,
            3,
        )];
        let mut needs = boats(2);
        needs.extend(boats(2));
        let plan = Registry::new(&registry).plan(&place(), &needs);
        let total: u64 = plan.allocations.iter().map(|a| a.quantity).sum();
        assert_eq!(total, 3);
        assert_eq!(plan.shortfalls[0].missing, 1);
    }
}

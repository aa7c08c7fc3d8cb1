//! The hazards and threats tocsin knows, each with the domain (sector) whose data lies behind
//! it. The domain is what a token's domain scope is checked against for warnings, incidents,
//! notifications and their live events: a health-only analyst sees epidemics, not heavy rain.
//! A hazard code that is not in this list belongs to no domain, so only principals without a
//! domain restriction see it.

use crate::station::Domain;

/// Every hazard code with its domain: the strategy's threats (Resolution 147/NQ-CP, 2025).
pub const HAZARDS: &[(&str, Domain)] = &[
    ("storm", Domain::Hydromet),
    ("storm_surge", Domain::Marine),
    ("strong_wind_at_sea", Domain::Marine),
    ("heavy_rain", Domain::Hydromet),
    ("river_flood", Domain::Hydromet),
    ("flash_flood", Domain::Hydromet),
    ("landslide", Domain::Geology),
    ("drought", Domain::Water),
    ("heat_wave", Domain::Hydromet),
    ("cold", Domain::Hydromet),
    ("fog", Domain::Hydromet),
    ("lightning_hail", Domain::Hydromet),
    ("saltwater_intrusion", Domain::Water),
    ("sea_level_rise", Domain::Marine),
    ("earthquake", Domain::Geology),
    ("tsunami", Domain::Marine),
    ("forest_fire", Domain::Hydromet),
    ("epidemic", Domain::Health),
    ("air_pollution", Domain::Air),
    ("water_pollution", Domain::Water),
    ("cyber_attack", Domain::Cyber),
    ("high_tech_crime", Domain::Crime),
    ("transnational_crime", Domain::Crime),
    ("terrorism", Domain::Crime),
    ("disinformation", Domain::Cyber),
    ("energy_security", Domain::Energy),
    ("food_security", Domain::Food),
    ("water_security", Domain::Water),
];

/// The domain of `hazard`; `None` for a code this list does not know.
pub fn domain_of(hazard: &str) -> Option<Domain> {
    HAZARDS
        .iter()
        .find(|(code, _)| *code == hazard)
        .map(|(_, domain)| *domain)
}

/// The hazard codes of `domains` (all of them when `domains` is empty).
pub fn hazards_of(domains: &[Domain]) -> Vec<&'static str> {
    HAZARDS
        .iter()
        .filter(|(_, d)| domains.is_empty() || domains.contains(d))
        .map(|(code, _)| *code)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_every_domain_but_other_has_a_hazard() {
        let mut codes: Vec<&str> = HAZARDS.iter().map(|(c, _)| *c).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), HAZARDS.len());
        for domain in crate::station::DOMAINS {
            if domain != Domain::Other {
                assert!(!hazards_of(&[domain]).is_empty(), "{domain:?}");
            }
        }
    }

    #[test]
    fn domains_of_hazards() {
        assert_eq!(domain_of("epidemic"), Some(Domain::Health));
        assert_eq!(domain_of("heavy_rain"), Some(Domain::Hydromet));
        assert_eq!(domain_of("zombies"), None);
        assert_eq!(hazards_of(&[Domain::Health]), vec!["epidemic"]);
    }
}

//! Scope conditions of reads. The SQL text of a condition depends only on the shape of the
//! [`RegionFilter`] (nation, province or commune; with or without domains); the filter's
//! values — province and commune codes, domains, the hazards those domains cover — are bound
//! as parameters, never spliced into the text. Lists are bound as one JSON array read with
//! `json_each`.
//!
//! A condition numbers its parameters from the first one its statement leaves free (`first`),
//! as the keyset cursors of [`crate::page`] do, and checks when it is bound that the
//! statement's own parameters end just before it: a wrong `first` would let a scope value
//! alias another parameter, so it fails in the first test that reads through it, whatever
//! the filter.

use crate::{FilterRoot, RegionFilter};
use rusqlite::ToSql;
use rusqlite::types::Value;
use tocsin_core::station::{DOMAINS, Domain};

/// A condition of a `WHERE` clause and the values it binds, in parameter order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub(crate) sql: String,
    values: Vec<Value>,
    /// The number of its first parameter.
    first: usize,
}

impl Condition {
    fn always(first: usize) -> Condition {
        Condition {
            sql: "1".into(),
            values: Vec::new(),
            first,
        }
    }

    /// This condition, or true where `column` is NULL.
    pub(crate) fn or_absent(self, column: &str) -> Condition {
        Condition {
            sql: format!("({column} IS NULL OR {})", self.sql),
            ..self
        }
    }

    /// Both conditions; `next` is numbered from the parameter after this one's.
    pub(crate) fn and(mut self, next: Condition) -> Condition {
        assert_eq!(
            self.first + self.len(),
            next.first,
            "a scope condition numbered from ?{} follows one that ends before ?{}",
            next.first,
            self.first + self.len()
        );
        self.sql = format!("{} AND {}", self.sql, next.sql);
        self.values.extend(next.values);
        self
    }

    /// How many parameters it binds.
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// The statement's own parameters (numbered from 1) followed by this condition's.
    pub(crate) fn after<'a>(&'a self, own: &[&'a dyn ToSql]) -> Vec<&'a dyn ToSql> {
        self.check_numbering(own.len());
        let mut all = own.to_vec();
        all.extend(self.values.iter().map(|v| v as &dyn ToSql));
        all
    }

    /// Appends its values to the statement's own, which they follow.
    pub(crate) fn append_to(self, own: &mut Vec<Value>) {
        self.check_numbering(own.len());
        own.extend(self.values);
    }

    /// A wrong `first` is a fault of the code that built the statement, not of any input.
    fn check_numbering(&self, own: usize) {
        assert_eq!(
            own + 1,
            self.first,
            "a scope condition numbered from ?{} follows {own} parameters",
            self.first
        );
    }
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

/// A JSON array of strings, for `json_each`.
pub(crate) fn json_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    let items: Vec<&str> = items.into_iter().collect();
    Value::Text(serde_json::Value::from(items).to_string())
}

/// Limits rows of `regions` to the filter: a province's subtree (and the nation), or a commune
/// with its province and the nation.
pub(crate) fn regions(filter: &RegionFilter, first: usize) -> Condition {
    match &filter.root {
        FilterRoot::Nation => Condition::always(first),
        FilterRoot::Province(province) => Condition {
            sql: format!("(code = 'VN' OR instr(provinces, ',' || ?{first} || ',') > 0)"),
            values: vec![text(province)],
            first,
        },
        FilterRoot::Commune { commune, province } => Condition {
            sql: format!("(code IN ('VN', ?{first}, ?{}))", first + 1),
            values: vec![text(commune), text(province)],
            first,
        },
    }
}

/// Limits rows of `stations` (table alias `s`) to the filter's region and domains.
pub(crate) fn stations(filter: &RegionFilter, first: usize) -> Condition {
    let (region, values) = match &filter.root {
        FilterRoot::Nation => ("1".to_string(), Vec::new()),
        FilterRoot::Province(province) => (format!("s.province = ?{first}"), vec![text(province)]),
        FilterRoot::Commune { commune, .. } => {
            (format!("s.commune = ?{first}"), vec![text(commune)])
        }
    };
    let region = Condition {
        sql: region,
        values,
        first,
    };
    let next = first + region.len();
    region.and(domains(filter, "s.domain", next))
}

/// Limits rows whose domain is `column` to the filter's domains (always true when it has none).
pub(crate) fn domains(filter: &RegionFilter, column: &str, first: usize) -> Condition {
    if filter.domains.is_empty() {
        return Condition::always(first);
    }
    Condition {
        sql: format!("{column} IN (SELECT value FROM json_each(?{first}))"),
        values: vec![json_list(filter.domains.iter().map(|d| d.as_str()))],
        first,
    }
}

/// Limits rows whose hazard is `column` to the filter's domains (always true when it has
/// none): the hazards of those domains, and for `other` every hazard no other domain claims.
pub(crate) fn hazards(filter: &RegionFilter, column: &str, first: usize) -> Condition {
    if filter.domains.is_empty() {
        return Condition::always(first);
    }
    let (operator, domains) = if filter.domains.contains(&Domain::Other) {
        let others: Vec<Domain> = DOMAINS
            .into_iter()
            .filter(|d| !filter.domains.contains(d))
            .collect();
        ("NOT IN", others)
    } else {
        ("IN", filter.domains.clone())
    };
    Condition {
        sql: format!("{column} {operator} (SELECT value FROM json_each(?{first}))"),
        values: vec![json_list(tocsin_core::hazard::hazards_of(&domains))],
        first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(root: FilterRoot, domains: Vec<Domain>) -> RegionFilter {
        RegionFilter { root, domains }
    }

    #[test]
    fn no_value_of_the_filter_enters_the_sql() {
        let hostile = "01') OR 1 OR ('";
        let province = filter(FilterRoot::Province(hostile.into()), vec![Domain::Health]);
        let commune = filter(
            FilterRoot::Commune {
                commune: hostile.into(),
                province: hostile.into(),
            },
            vec![Domain::Other],
        );
        for scoped in [&province, &commune] {
            for condition in [
                regions(scoped, 3),
                stations(scoped, 3),
                hazards(scoped, "hazard", 3),
            ] {
                assert!(!condition.sql.contains(hostile), "{}", condition.sql);
                assert!(!condition.sql.contains("epidemic"), "{}", condition.sql);
            }
        }
    }

    #[test]
    fn parameters_are_numbered_from_the_first_free_one() {
        let province = filter(FilterRoot::Province("01".into()), vec![Domain::Health]);
        let scoped = stations(&province, 4);
        assert_eq!(
            scoped.sql,
            "s.province = ?4 AND s.domain IN (SELECT value FROM json_each(?5))"
        );
        assert_eq!(
            scoped.values,
            vec![text("01"), Value::Text(r#"["health"]"#.into())]
        );
        assert_eq!(regions(&RegionFilter::all(), 2), Condition::always(2));
    }

    #[test]
    fn a_condition_bound_after_the_wrong_number_of_parameters_is_refused() {
        let scoped = regions(&RegionFilter::all(), 3);
        let one: &dyn ToSql = &1;
        assert_eq!(scoped.after(&[one, one]).len(), 2);
        let misnumbered = std::panic::catch_unwind(|| {
            let one: &dyn ToSql = &1;
            scoped.after(&[one]).len()
        });
        assert!(misnumbered.is_err());
    }

    #[test]
    fn the_other_domain_reads_every_hazard_no_other_domain_claims() {
        let other = hazards(
            &filter(FilterRoot::Nation, vec![Domain::Other]),
            "hazard",
            1,
        );
        assert!(other.sql.starts_with("hazard NOT IN"));
        let Value::Text(list) = &other.values[0] else {
            panic!("a JSON list");
        };
        assert!(list.contains("epidemic"), "{list}");
    }
}

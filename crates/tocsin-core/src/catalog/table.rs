//! Lookup tables of the catalogue (AQI breakpoints, the Beaufort scale): checked once, then
//! applied to indicator values.

use super::{Interpolate, Rounding, TableDef};

/// A checked table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub id: String,
    points: Vec<[f64; 2]>,
    interpolate: Interpolate,
    round: Rounding,
    extend: bool,
}

impl Table {
    /// Checks a definition; the problems name the key.
    pub fn compile(def: &TableDef) -> Result<Table, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        if def.points.len() < 2 {
            problems.push(("points", "a table needs at least two points".to_string()));
        }
        if def.points.iter().flatten().any(|v| !v.is_finite()) {
            problems.push(("points", "every point must be finite".to_string()));
        }
        if let Some(pair) = def.points.windows(2).find(|p| p[1][0] <= p[0][0]) {
            problems.push((
                "points",
                format!("x must increase: {} then {}", pair[0][0], pair[1][0]),
            ));
        }
        let extend = match def.beyond.as_deref() {
            None | Some("clamp") => false,
            Some("extend") => true,
            Some(other) => {
                problems.push((
                    "beyond",
                    format!("{other:?} is neither \"clamp\" nor \"extend\""),
                ));
                false
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Table {
            id: def.id.clone(),
            points: def.points.clone(),
            interpolate: def.interpolate,
            round: def.round,
            extend,
        })
    }

    /// The table's value at `x` (below the first point: the first point's `y`).
    pub fn apply(&self, x: f64) -> f64 {
        let (first, last) = (self.points[0], self.points[self.points.len() - 1]);
        let y = if x <= first[0] {
            first[1]
        } else {
            let i = self
                .points
                .partition_point(|p| p[0] <= x)
                .min(self.points.len() - 1)
                .max(1);
            let (a, b) = (self.points[i - 1], self.points[i]);
            match self.interpolate {
                Interpolate::Step if x >= last[0] => last[1],
                Interpolate::Step => a[1],
                Interpolate::Linear if x >= last[0] && !self.extend => last[1],
                Interpolate::Linear => a[1] + (b[1] - a[1]) / (b[0] - a[0]) * (x - a[0]),
            }
        };
        match self.round {
            Rounding::None => y,
            Rounding::Nearest => y.round(),
            Rounding::Up => y.ceil(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Confidence;

    fn table(interpolate: Interpolate, round: Rounding, points: &[[f64; 2]]) -> Table {
        let def = TableDef {
            id: "t".into(),
            source: "test".into(),
            status: Confidence::Verified,
            interpolate,
            round,
            points: points.to_vec(),
            beyond: None,
        };
        Table::compile(&def).unwrap()
    }

    #[test]
    fn linear_and_step_tables() {
        let aqi = table(
            Interpolate::Linear,
            Rounding::Nearest,
            &[[0.0, 0.0], [25.0, 50.0], [50.0, 100.0], [80.0, 150.0]],
        );
        for (x, y) in [
            (0.0, 0.0),
            (20.3, 41.0),
            (25.0, 50.0),
            (26.0, 52.0),
            (65.0, 125.0),
            (500.0, 150.0),
        ] {
            assert_eq!(aqi.apply(x), y, "aqi({x})");
        }
        let beaufort = table(
            Interpolate::Step,
            Rounding::None,
            &[[0.0, 0.0], [10.8, 6.0], [13.9, 7.0], [17.2, 8.0]],
        );
        for (x, y) in [
            (5.0, 0.0),
            (10.79, 0.0),
            (10.8, 6.0),
            (13.8, 6.0),
            (13.9, 7.0),
            (40.0, 8.0),
        ] {
            assert_eq!(beaufort.apply(x), y, "beaufort({x})");
        }
    }

    #[test]
    fn bad_tables_are_named() {
        let def = TableDef {
            id: "t".into(),
            source: "s".into(),
            status: Confidence::Verified,
            interpolate: Interpolate::Linear,
            round: Rounding::None,
            points: vec![[1.0, 0.0], [1.0, 2.0]],
            beyond: Some("wrap".into()),
        };
        let problems = Table::compile(&def).unwrap_err();
        assert_eq!(
            problems,
            [
                ("points", "x must increase: 1 then 1".to_string()),
                (
                    "beyond",
                    "\"wrap\" is neither \"clamp\" nor \"extend\"".to_string()
                )
            ]
        );
    }
}

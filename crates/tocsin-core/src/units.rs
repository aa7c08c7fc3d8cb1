//! Units of measurement and conversion between compatible units.
//!
//! Every metric has a canonical unit; an observation may arrive in any unit of the same
//! dimension and is converted on ingest (cm → m, °F → °C, km/h → m/s…). Units of different
//! dimensions are never converted.

/// A physical dimension; only units of the same dimension convert into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Length,
    Temperature,
    Speed,
    MassConcentration,
    Salinity,
    Pressure,
    Fraction,
    Count,
    Rate,
    Direction,
    Energy,
    Power,
    Flow,
}

/// A unit known to tocsin: `value_in_base = value * scale + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    /// The spelling stored and shown (e.g. `m`, `degC`).
    pub symbol: &'static str,
    pub dimension: Dimension,
    scale: f64,
    offset: f64,
}

const fn unit(symbol: &'static str, dimension: Dimension, scale: f64, offset: f64) -> Unit {
    Unit {
        symbol,
        dimension,
        scale,
        offset,
    }
}

/// Every unit with its accepted spellings. The first spelling is the canonical symbol.
const UNITS: &[(&[&str], Unit)] = &[
    (&["m"], unit("m", Dimension::Length, 1.0, 0.0)),
    (&["cm"], unit("cm", Dimension::Length, 0.01, 0.0)),
    (&["mm"], unit("mm", Dimension::Length, 0.001, 0.0)),
    (&["km"], unit("km", Dimension::Length, 1000.0, 0.0)),
    (
        &["degC", "°C", "C", "celsius"],
        unit("degC", Dimension::Temperature, 1.0, 0.0),
    ),
    (
        &["degF", "°F", "F", "fahrenheit"],
        unit("degF", Dimension::Temperature, 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    ),
    (
        &["K", "kelvin"],
        unit("K", Dimension::Temperature, 1.0, -273.15),
    ),
    (
        &["m/s", "m s-1", "mps"],
        unit("m/s", Dimension::Speed, 1.0, 0.0),
    ),
    (
        &["km/h", "kmh", "kph"],
        unit("km/h", Dimension::Speed, 1.0 / 3.6, 0.0),
    ),
    (
        &["kn", "kt", "knot", "knots"],
        unit("kn", Dimension::Speed, 1852.0 / 3600.0, 0.0),
    ),
    (
        &["ug/m3", "µg/m3", "μg/m3", "ug/m^3", "µg/m³"],
        unit("ug/m3", Dimension::MassConcentration, 1.0, 0.0),
    ),
    (
        &["mg/m3", "mg/m^3", "mg/m³"],
        unit("mg/m3", Dimension::MassConcentration, 1000.0, 0.0),
    ),
    (
        &["permille", "‰", "ppt", "g/kg", "psu"],
        unit("permille", Dimension::Salinity, 1.0, 0.0),
    ),
    (&["g/L", "g/l"], unit("g/L", Dimension::Salinity, 1.0, 0.0)),
    (&["hPa", "mbar"], unit("hPa", Dimension::Pressure, 1.0, 0.0)),
    (&["Pa"], unit("Pa", Dimension::Pressure, 0.01, 0.0)),
    (&["kPa"], unit("kPa", Dimension::Pressure, 10.0, 0.0)),
    (&["%", "percent"], unit("%", Dimension::Fraction, 1.0, 0.0)),
    (
        &["count", "1", "cases", "events"],
        unit("count", Dimension::Count, 1.0, 0.0),
    ),
    (&["mm/h"], unit("mm/h", Dimension::Rate, 1.0, 0.0)),
    (
        &["deg", "°", "degree"],
        unit("deg", Dimension::Direction, 1.0, 0.0),
    ),
    (&["MWh"], unit("MWh", Dimension::Energy, 1.0, 0.0)),
    (&["kWh"], unit("kWh", Dimension::Energy, 0.001, 0.0)),
    (&["MW"], unit("MW", Dimension::Power, 1.0, 0.0)),
    (&["kW"], unit("kW", Dimension::Power, 0.001, 0.0)),
    (
        &["m3/s", "m^3/s", "m³/s"],
        unit("m3/s", Dimension::Flow, 1.0, 0.0),
    ),
];

impl Unit {
    /// The unit spelt `symbol`, if known (spellings are exact, except that case is ignored for
    /// spellings longer than two characters).
    pub fn parse(symbol: &str) -> Option<Unit> {
        let symbol = symbol.trim();
        UNITS.iter().find_map(|(spellings, unit)| {
            spellings
                .iter()
                .any(|s| *s == symbol || (s.len() > 2 && s.eq_ignore_ascii_case(symbol)))
                .then_some(*unit)
        })
    }

    /// Converts `value` from this unit into `target`; `None` when the dimensions differ.
    pub fn convert(&self, value: f64, target: &Unit) -> Option<f64> {
        if self.dimension != target.dimension {
            return None;
        }
        if self.symbol == target.symbol {
            return Some(value);
        }
        let base = value * self.scale + self.offset;
        Some((base - target.offset) / target.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: f64, from: &str, to: &str, expected: Option<f64>) {
        let from_unit = Unit::parse(from).unwrap();
        let to_unit = Unit::parse(to).unwrap();
        let got = from_unit.convert(value, &to_unit);
        match (got, expected) {
            (Some(g), Some(e)) => {
                assert!((g - e).abs() < 1e-9, "{value} {from} -> {to}: {g} != {e}")
            }
            (g, e) => assert_eq!(g, e, "{value} {from} -> {to}"),
        }
    }

    #[test]
    fn conversions() {
        check(250.0, "cm", "m", Some(2.5));
        check(33.98, "m", "m", Some(33.98));
        check(212.0, "°F", "degC", Some(100.0));
        check(32.0, "degF", "°C", Some(0.0));
        check(0.0, "K", "degC", Some(-273.15));
        check(36.0, "km/h", "m/s", Some(10.0));
        check(0.035, "mg/m3", "ug/m3", Some(35.0));
        check(1.0, "mm", "m", Some(0.001));
        check(5.0, "mm", "degC", None);
        check(5.0, "m/s", "m", None);
    }

    #[test]
    fn bench_units_are_known() {
        for symbol in ["mm", "m", "m/s", "degC", "ug/m3", "permille"] {
            assert!(Unit::parse(symbol).is_some(), "{symbol}");
        }
        assert!(Unit::parse("furlong").is_none());
    }
}

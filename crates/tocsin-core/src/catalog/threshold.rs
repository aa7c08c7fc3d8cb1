//! Thresholds of level bands: a number, or a station attribute with an offset (`"bd3 + 1.0"`).

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::station::AttributeValue;

/// A band edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    Value(f64),
    Attribute { name: String, offset: f64 },
}

impl Threshold {
    /// Parses `bd3`, `bd3 + 1.0`, `bd3 - 0.5` or a number.
    pub fn parse(text: &str) -> Option<Threshold> {
        let text = text.trim();
        if let Ok(value) = text.parse::<f64>() {
            return value.is_finite().then_some(Threshold::Value(value));
        }
        let (name, offset) = match text.find(['+', '-']) {
            Some(i) => {
                let sign = if text[i..].starts_with('-') {
                    -1.0
                } else {
                    1.0
                };
                let offset: f64 = text[i + 1..].trim().parse().ok()?;
                (text[..i].trim(), sign * offset)
            }
            None => (text, 0.0),
        };
        let valid_name =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        (valid_name && offset.is_finite()).then(|| Threshold::Attribute {
            name: name.to_string(),
            offset,
        })
    }

    /// The threshold's value at a station, if the station has the attribute.
    pub fn resolve(&self, attributes: &BTreeMap<String, AttributeValue>) -> Option<f64> {
        match self {
            Threshold::Value(v) => Some(*v),
            Threshold::Attribute { name, offset } => match attributes.get(name)? {
                AttributeValue::Number(n) => Some(n + offset),
                AttributeValue::Text(_) => None,
            },
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Value(v) => write!(f, "{v}"),
            Threshold::Attribute { name, offset } if *offset == 0.0 => write!(f, "{name}"),
            Threshold::Attribute { name, offset } => write!(
                f,
                "{name} {} {}",
                if *offset < 0.0 { '-' } else { '+' },
                offset.abs()
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) if n.is_finite() => Ok(Threshold::Value(n)),
            Raw::Number(n) => Err(serde::de::Error::custom(format!(
                "{n} is not a finite threshold"
            ))),
            Raw::Text(t) => Threshold::parse(&t).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "{t:?} is neither a number nor `attribute [+|- number]`"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse() {
        for (text, expected) in [
            ("100", Some(Threshold::Value(100.0))),
            (
                "bd3",
                Some(Threshold::Attribute {
                    name: "bd3".into(),
                    offset: 0.0,
                }),
            ),
            (
                "bd3 + 1.0",
                Some(Threshold::Attribute {
                    name: "bd3".into(),
                    offset: 1.0,
                }),
            ),
            (
                "bd3-0.3",
                Some(Threshold::Attribute {
                    name: "bd3".into(),
                    offset: -0.3,
                }),
            ),
            ("bd 3", None),
            ("bd3 + x", None),
            ("", None),
        ] {
            assert_eq!(Threshold::parse(text), expected, "{text:?}");
        }
        assert_eq!(
            Threshold::parse("bd3 - 0.3").unwrap().to_string(),
            "bd3 - 0.3"
        );
    }
}

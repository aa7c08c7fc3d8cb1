//! The CAP alert model: `alert` → `info` (one per language) → `resource` and `area`, with the
//! code lists of CAP 1.2 as enums. Field names follow the CAP element names, so the JSON form
//! (serde, camelCase) reads like the XML. Date-times are kept as the text the alert carries;
//! [`crate::validate`] checks their form.

use serde::{Deserialize, Serialize};

/// The CAP namespace of version 1.2.
pub const CAP_1_2: &str = "urn:oasis:names:tc:emergency:cap:1.2";
/// The CAP namespace of version 1.1.
pub const CAP_1_1: &str = "urn:oasis:names:tc:emergency:cap:1.1";

/// A CAP code list: a closed set of values with an exact spelling.
pub trait CodeList: Sized + Copy + PartialEq + 'static {
    /// Every value, in the order CAP lists them.
    const ALL: &'static [Self];

    /// The CAP spelling.
    fn as_str(self) -> &'static str;

    /// The value with this exact CAP spelling.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text)
    }

    /// Every spelling, comma-separated, for messages.
    fn spellings() -> String {
        Self::ALL
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Declares a CAP code list: an enum with the exact CAP spelling of each value.
macro_rules! code_list {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl CodeList for $name {
            const ALL: &'static [$name] = &[$($name::$variant),+];

            fn as_str(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),+ }
            }
        }
    };
}

/// CAP version of an alert (its namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Version {
    #[serde(rename = "1.1")]
    V1_1,
    #[serde(rename = "1.2")]
    V1_2,
}

impl Version {
    /// The XML namespace of this version.
    pub fn namespace(self) -> &'static str {
        match self {
            Version::V1_1 => CAP_1_1,
            Version::V1_2 => CAP_1_2,
        }
    }

    /// The version whose namespace this is.
    pub fn of_namespace(namespace: &str) -> Option<Self> {
        [Version::V1_1, Version::V1_2]
            .into_iter()
            .find(|v| v.namespace() == namespace)
    }
}

code_list!(
    /// `status`: how the alert is meant to be handled.
    Status { Actual, Exercise, System, Test, Draft }
);
code_list!(
    /// `msgType`: the nature of the message.
    MsgType { Alert, Update, Cancel, Ack, Error }
);
code_list!(
    /// `scope`: who the alert is for.
    Scope { Public, Restricted, Private }
);
code_list!(
    /// `category` of the subject event.
    Category { Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport, Infra, CBRNE, Other }
);
code_list!(
    /// `responseType`: the action recommended.
    ResponseType { Shelter, Evacuate, Prepare, Execute, Avoid, Monitor, Assess, AllClear, None }
);
code_list!(
    /// `urgency`: the time available to prepare.
    Urgency { Immediate, Expected, Future, Past, Unknown }
);
code_list!(
    /// `severity`: the intensity of impact.
    Severity { Extreme, Severe, Moderate, Minor, Unknown }
);
code_list!(
    /// `certainty`: the confidence in the observation or prediction.
    Certainty { Observed, Likely, Possible, Unlikely, Unknown }
);

/// A CAP alert message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub version: Version,
    pub identifier: String,
    pub sender: String,
    pub sent: String,
    pub status: Status,
    pub msg_type: MsgType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<Info>,
}

/// One `info` block: the event described in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub category: Vec<Category>,
    pub event: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_type: Vec<ResponseType>,
    pub urgency: Urgency,
    pub severity: Severity,
    pub certainty: Certainty,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_code: Vec<NamedValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter: Vec<NamedValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub area: Vec<Area>,
}

/// A `valueName`/`value` pair (event codes, parameters, geocodes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedValue {
    pub value_name: String,
    pub value: String,
}

impl NamedValue {
    pub fn new(value_name: impl Into<String>, value: impl Into<String>) -> Self {
        NamedValue {
            value_name: value_name.into(),
            value: value.into(),
        }
    }
}

/// A `resource`: a file or link that goes with the info.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub resource_desc: String,
    /// Required in CAP 1.2, optional in 1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deref_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// An `area`: where the info applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Area {
    pub area_desc: String,
    /// Each polygon as CAP writes it: "lat,lon lat,lon …".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub polygon: Vec<String>,
    /// Each circle as CAP writes it: "lat,lon radius-km".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub circle: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub geocode: Vec<NamedValue>,
    /// Decimal feet above sea level, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<String>,
}

impl Alert {
    /// The alert as JSON (the same fields as the XML, camelCase).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// An alert from its JSON form.
    pub fn from_json(text: &str) -> Result<Alert, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lists_use_the_cap_spelling() {
        assert_eq!(Category::CBRNE.as_str(), "CBRNE");
        assert_eq!(
            ResponseType::parse("AllClear"),
            Some(ResponseType::AllClear)
        );
        assert_eq!(Urgency::parse("immediate"), None);
        assert_eq!(Version::of_namespace(CAP_1_1), Some(Version::V1_1));
    }
}

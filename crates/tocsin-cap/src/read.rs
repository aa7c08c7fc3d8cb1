//! The lenient CAP reader: accepts what real agencies publish (CAP 1.2 and 1.1, elements out of
//! schema order, comments, foreign extension elements), warns about what it tolerates, and
//! rejects what it cannot read faithfully — a missing required element, a value outside a code
//! list, a wrong namespace, a DTD — naming the element and the reason.

use crate::findings::{Finding, has_errors};
use crate::model::*;
use crate::xml::{self, Element};

/// The namespace of XML Signature elements, allowed at the end of `alert`.
const XMLDSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

const ALERT_ORDER: &[&str] = &[
    "identifier",
    "sender",
    "sent",
    "status",
    "msgType",
    "source",
    "scope",
    "restriction",
    "addresses",
    "code",
    "note",
    "references",
    "incidents",
    "info",
];
const INFO_ORDER: &[&str] = &[
    "language",
    "category",
    "event",
    "responseType",
    "urgency",
    "severity",
    "certainty",
    "audience",
    "eventCode",
    "effective",
    "onset",
    "expires",
    "senderName",
    "headline",
    "description",
    "instruction",
    "web",
    "contact",
    "parameter",
    "resource",
    "area",
];
const RESOURCE_ORDER: &[&str] = &[
    "resourceDesc",
    "mimeType",
    "size",
    "uri",
    "derefUri",
    "digest",
];
const AREA_ORDER: &[&str] = &[
    "areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling",
];
const PAIR_ORDER: &[&str] = &["valueName", "value"];

/// An alert read, with the warnings about what was tolerated.
#[derive(Debug, Clone)]
pub struct Read {
    pub alert: Alert,
    pub warnings: Vec<Finding>,
}

/// Reads a CAP 1.2 or 1.1 alert. On failure, every finding (at least one error) is returned.
pub fn read(bytes: &[u8]) -> Result<Read, Vec<Finding>> {
    let root =
        xml::parse(bytes).map_err(|e| vec![Finding::error("xml", "alert", e.to_string())])?;
    let Some(version) = Version::of_namespace(&root.namespace).filter(|_| root.name == "alert")
    else {
        return Err(vec![Finding::error(
            "namespace",
            "alert",
            wrong_root(&root),
        )]);
    };
    let mut scope = Scope {
        ns: version.namespace(),
        findings: Vec::new(),
    };
    let alert = scope.alert(&root, version);
    match alert {
        Some(alert) if !has_errors(&scope.findings) => Ok(Read {
            alert,
            warnings: scope.findings,
        }),
        _ => Err(scope.findings),
    }
}

fn wrong_root(root: &Element) -> String {
    format!(
        "the root element is {{{}}}{}; a CAP alert is <alert> in namespace {CAP_1_2} (or {CAP_1_1})",
        root.namespace, root.name
    )
}

/// The reading state: the alert's namespace and the findings so far.
struct Scope {
    ns: &'static str,
    findings: Vec<Finding>,
}

impl Scope {
    fn alert(&mut self, el: &Element, version: Version) -> Option<Alert> {
        let path = "alert";
        self.structure(el, ALERT_ORDER, path);
        let info = self.each(el, "info", path, Self::info);
        let (status, msg_type, scope) = (
            self.code(el, "status", path),
            self.code(el, "msgType", path),
            self.code(el, "scope", path),
        );
        Some(Alert {
            version,
            identifier: self.required(el, "identifier", path),
            sender: self.required(el, "sender", path),
            sent: self.required(el, "sent", path),
            status: status?,
            msg_type: msg_type?,
            source: self.optional(el, "source", path),
            scope: scope?,
            restriction: self.optional(el, "restriction", path),
            addresses: self.optional(el, "addresses", path),
            code: self.texts(el, "code"),
            note: self.optional(el, "note", path),
            references: self.optional(el, "references", path),
            incidents: self.optional(el, "incidents", path),
            info: info?,
        })
    }

    fn info(&mut self, el: &Element, path: &str) -> Option<Info> {
        self.structure(el, INFO_ORDER, path);
        let category = self.codes(el, "category", path);
        if category.as_ref().is_some_and(Vec::is_empty) {
            self.missing("category", path);
        }
        let response_type = self.codes(el, "responseType", path);
        let (urgency, severity, certainty) = (
            self.code(el, "urgency", path),
            self.code(el, "severity", path),
            self.code(el, "certainty", path),
        );
        let event_code = self.each(el, "eventCode", path, Self::pair);
        let parameter = self.each(el, "parameter", path, Self::pair);
        let resource = self.each(el, "resource", path, Self::resource);
        let area = self.each(el, "area", path, Self::area);
        Some(Info {
            language: self.optional(el, "language", path),
            category: category.filter(|c| !c.is_empty())?,
            event: self.required(el, "event", path),
            response_type: response_type?,
            urgency: urgency?,
            severity: severity?,
            certainty: certainty?,
            audience: self.optional(el, "audience", path),
            event_code: event_code?,
            effective: self.optional(el, "effective", path),
            onset: self.optional(el, "onset", path),
            expires: self.optional(el, "expires", path),
            sender_name: self.optional(el, "senderName", path),
            headline: self.optional(el, "headline", path),
            description: self.optional(el, "description", path),
            instruction: self.optional(el, "instruction", path),
            web: self.optional(el, "web", path),
            contact: self.optional(el, "contact", path),
            parameter: parameter?,
            resource: resource?,
            area: area?,
        })
    }

    fn resource(&mut self, el: &Element, path: &str) -> Option<Resource> {
        self.structure(el, RESOURCE_ORDER, path);
        let mime_type = match self.ns {
            CAP_1_2 => Some(self.required(el, "mimeType", path)),
            _ => self.optional(el, "mimeType", path),
        };
        let size = self.size(el, path);
        Some(Resource {
            resource_desc: self.required(el, "resourceDesc", path),
            mime_type,
            size: size?,
            uri: self.optional(el, "uri", path),
            deref_uri: self.optional(el, "derefUri", path),
            digest: self.optional(el, "digest", path),
        })
    }

    fn area(&mut self, el: &Element, path: &str) -> Option<Area> {
        self.structure(el, AREA_ORDER, path);
        let geocode = self.each(el, "geocode", path, Self::pair);
        Some(Area {
            area_desc: self.required(el, "areaDesc", path),
            polygon: self.texts(el, "polygon"),
            circle: self.texts(el, "circle"),
            geocode: geocode?,
            altitude: self.optional(el, "altitude", path),
            ceiling: self.optional(el, "ceiling", path),
        })
    }

    fn pair(&mut self, el: &Element, path: &str) -> Option<NamedValue> {
        self.structure(el, PAIR_ORDER, path);
        Some(NamedValue {
            value_name: self.required(el, "valueName", path),
            value: self.required(el, "value", path),
        })
    }

    /// Reads every child `name` with `read`; `None` when any of them failed.
    fn each<T>(
        &mut self,
        el: &Element,
        name: &str,
        path: &str,
        read: fn(&mut Self, &Element, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let children: Vec<&Element> = self.children(el, name).collect();
        let read: Vec<Option<T>> = children
            .iter()
            .enumerate()
            .map(|(i, child)| read(self, child, &format!("{path}.{name}[{i}]")))
            .collect();
        read.into_iter().collect()
    }

    fn children<'e>(
        &self,
        el: &'e Element,
        name: &'e str,
    ) -> impl Iterator<Item = &'e Element> + use<'e> {
        let ns = self.ns;
        el.children
            .iter()
            .filter(move |c| c.name == name && c.namespace == ns)
    }

    fn texts(&self, el: &Element, name: &str) -> Vec<String> {
        self.children(el, name)
            .map(|c| c.trimmed().to_string())
            .collect()
    }

    /// The text of an element that may appear at most once.
    fn optional(&mut self, el: &Element, name: &str, path: &str) -> Option<String> {
        let texts = self.texts(el, name);
        if texts.len() > 1 {
            let message = format!("{name} appears {} times; CAP allows it once", texts.len());
            self.findings
                .push(Finding::error("cardinality", path, message));
        }
        texts.into_iter().next()
    }

    /// The text of an element that must appear exactly once (empty, with an error, when missing:
    /// reading goes on so that every problem is reported).
    fn required(&mut self, el: &Element, name: &str, path: &str) -> String {
        let text = self.optional(el, name, path);
        if text.is_none() {
            self.missing(name, path);
        }
        text.unwrap_or_default()
    }

    fn missing(&mut self, name: &str, path: &str) {
        self.findings.push(Finding::error(
            "required",
            path,
            format!("{name} is missing"),
        ));
    }

    /// A required element whose value comes from a code list.
    fn code<T: CodeList>(&mut self, el: &Element, name: &str, path: &str) -> Option<T> {
        let text = self.optional(el, name, path);
        let Some(text) = text else {
            self.missing(name, path);
            return None;
        };
        self.code_value(&text, &format!("{path}.{name}"))
    }

    /// Every element `name`, each from a code list.
    fn codes<T: CodeList>(&mut self, el: &Element, name: &str, path: &str) -> Option<Vec<T>> {
        let texts = self.texts(el, name);
        let values: Vec<Option<T>> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| self.code_value(text, &format!("{path}.{name}[{i}]")))
            .collect();
        values.into_iter().collect()
    }

    fn code_value<T: CodeList>(&mut self, text: &str, path: &str) -> Option<T> {
        let value = T::parse(text);
        if value.is_none() {
            let message = format!("{text:?} is not one of {}", T::spellings());
            self.findings
                .push(Finding::error("code-list", path, message));
        }
        value
    }

    fn size(&mut self, el: &Element, path: &str) -> Option<Option<u64>> {
        let Some(text) = self.optional(el, "size", path) else {
            return Some(None);
        };
        match text.parse() {
            Ok(size) => Some(Some(size)),
            Err(_) => {
                let message = format!("{text:?} is not a whole number of bytes");
                self.findings
                    .push(Finding::error("size", format!("{path}.size"), message));
                None
            }
        }
    }

    /// Warns about children out of schema order and about elements that are not CAP's.
    fn structure(&mut self, el: &Element, order: &[&str], path: &str) {
        let mut furthest: Option<(usize, &str)> = None;
        for child in &el.children {
            let position = order.iter().position(|name| *name == child.name);
            match position.filter(|_| child.namespace == self.ns) {
                Some(at) => {
                    if let Some((before, name)) = furthest.filter(|(before, _)| at < *before) {
                        let message = format!(
                            "{} comes after {name}; CAP puts it before (read anyway)",
                            child.name
                        );
                        self.findings
                            .push(Finding::warning("element-order", path, message));
                        furthest = Some((before, name));
                    } else {
                        furthest = Some((at, order[at]));
                    }
                }
                None => self.foreign(child, path),
            }
        }
    }

    fn foreign(&mut self, child: &Element, path: &str) {
        if path == "alert" && child.namespace == XMLDSIG {
            return;
        }
        let message = format!(
            "{{{}}}{} is not a CAP element here (ignored)",
            child.namespace, child.name
        );
        self.findings
            .push(Finding::warning("unknown-element", path, message));
    }
}

//! A small namespace-aware document tree, complete enough to canonicalise: elements keep their
//! prefixes, namespace declarations, attributes, and mixed content (text, comments, processing
//! instructions) in document order.
//!
//! It never reaches outside the document: a `DOCTYPE` is refused, so no external entity, parameter
//! entity or entity-expansion bomb is ever read; only the five predefined entities and character
//! references are expanded. Line ends and attribute values are normalised as an XML processor
//! must (XML 1.0 §2.11, §3.3.3). Input is UTF-8 or, when declared so, ISO-8859-1. Every start
//! tag passes the bounds of the shared reader ([`crate::xml`]: size, depth, elements, attributes,
//! namespaces in scope, repeated attributes found by hash), so reading stays linear.

use quick_xml::Reader;
use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};

/// The namespace bound to the `xml` prefix.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
use crate::xml::{Bounds, MAX_DEPTH};

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("a DOCTYPE is refused (no external entities or entity expansion)")]
    Doctype,
    #[error("unsupported encoding {0:?} (UTF-8 or ISO-8859-1 only)")]
    Encoding(String),
    #[error("not well-formed XML: {0}")]
    Syntax(String),
    #[error("elements nested deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("namespace prefix {0:?} is not declared")]
    UnboundPrefix(String),
    /// A bound of the reader was exceeded (size, elements, attributes, namespaces).
    #[error("{0}")]
    Bound(String),
}

/// A parsed document: the root element with the comments and processing instructions around it.
#[derive(Debug)]
pub(crate) struct Document {
    /// The source text after decoding and line-end normalisation.
    pub source: String,
    /// Byte offset in `source` of the root element's end tag (`None` for `<root/>`).
    pub root_close: Option<usize>,
    pub prolog: Vec<Node>,
    pub root: Element,
    pub epilog: Vec<Node>,
}

/// A child of an element.
#[derive(Debug)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
    Comment(String),
    /// A processing instruction: target and data.
    Pi(String, String),
}

/// An element with its name resolved to a namespace.
#[derive(Debug)]
pub(crate) struct Element {
    /// The prefix as written, empty for none.
    pub prefix: String,
    pub local: String,
    /// The namespace URI of the element, empty for none.
    pub ns: String,
    /// Namespace declarations on this element: prefix (empty for the default) and URI.
    pub ns_decls: Vec<(String, String)>,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

/// An attribute (namespace declarations are kept apart, in [`Element::ns_decls`]).
#[derive(Debug, Clone)]
pub(crate) struct Attr {
    pub prefix: String,
    pub local: String,
    pub ns: String,
    pub value: String,
}

impl Element {
    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element named `local` in namespace `ns`.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    /// The value of the unqualified attribute `local`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_empty() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// All text of the element and its descendants.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
                _ => {}
            }
        }
    }

    /// The qualified name as written.
    pub fn qname(&self) -> String {
        qualified(&self.prefix, &self.local)
    }
}

/// `prefix:local`, or `local` without a prefix.
pub(crate) fn qualified(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_string()
    } else {
        format!("{prefix}:{local}")
    }
}

/// Reads a document.
pub(crate) fn parse(bytes: &[u8]) -> Result<Document, XmlError> {
    let source = normalize_line_ends(crate::xml::decode(bytes).map_err(from_document)?);
    let mut builder = Builder::default();
    let mut reader = Reader::from_str(&source);
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Syntax(e.to_string()))?;
        if builder.event(event, before)? {
            break;
        }
    }
    builder.finish(source)
}

/// Accumulates events into a tree.
#[derive(Default)]
struct Builder {
    bounds: Bounds,
    stack: Vec<Element>,
    scopes: Vec<(String, String)>,
    scope_marks: Vec<usize>,
    prolog: Vec<Node>,
    root: Option<Element>,
    root_close: Option<usize>,
    epilog: Vec<Node>,
}

impl Builder {
    /// Takes one event; true at the end of input.
    fn event(&mut self, event: Event<'_>, offset: usize) -> Result<bool, XmlError> {
        match event {
            Event::Start(e) => self.open(&e)?,
            Event::Empty(e) => {
                self.open(&e)?;
                self.close(None)?;
            }
            Event::End(_) => self.close(Some(offset))?,
            Event::Text(t) => self.text(&t.decode().map_err(syntax)?)?,
            Event::CData(t) => self.text(&t.decode().map_err(syntax)?)?,
            Event::GeneralRef(r) => self.text(&crate::xml::expand(&r).map_err(from_document)?)?,
            Event::Comment(t) => self.misc(Node::Comment(t.decode().map_err(syntax)?.into())),
            Event::PI(pi) => {
                let target = std::str::from_utf8(pi.target()).map_err(syntax)?;
                let data = std::str::from_utf8(pi.content()).map_err(syntax)?;
                self.misc(Node::Pi(target.into(), data.trim_start().into()));
            }
            Event::Decl(_) => {}
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Eof => return Ok(true),
        }
        Ok(false)
    }

    fn open(&mut self, start: &BytesStart<'_>) -> Result<(), XmlError> {
        self.bounds.enter(start).map_err(from_document)?;
        if self.stack.is_empty() && self.root.is_some() {
            return Err(XmlError::Syntax("content after the root element".into()));
        }
        self.scope_marks.push(self.scopes.len());
        let element = self.element(start)?;
        self.stack.push(element);
        Ok(())
    }

    fn element(&mut self, start: &BytesStart<'_>) -> Result<Element, XmlError> {
        let (prefix, local) = split_name(start.name().as_ref())?;
        let mut ns_decls = Vec::new();
        let mut raw_attrs = Vec::new();
        // Repeated names were refused by `Bounds::enter`, by hash.
        for attr in start.attributes().with_checks(false) {
            let attr = attr.map_err(|e| XmlError::Syntax(e.to_string()))?;
            let (p, l) = split_name(attr.key.as_ref())?;
            let value = attr_value(&attr.value)?;
            match (p.as_str(), l.as_str()) {
                ("", "xmlns") => ns_decls.push((String::new(), value)),
                ("xmlns", _) => ns_decls.push((l, value)),
                _ => raw_attrs.push((p, l, value)),
            }
        }
        self.scopes.extend(ns_decls.iter().cloned());
        let ns = self.resolve(&prefix)?;
        let mut attrs = Vec::with_capacity(raw_attrs.len());
        for (prefix, local, value) in raw_attrs {
            let ns = if prefix.is_empty() {
                String::new()
            } else {
                self.resolve(&prefix)?
            };
            attrs.push(Attr {
                prefix,
                local,
                ns,
                value,
            });
        }
        Ok(Element {
            prefix,
            local,
            ns,
            ns_decls,
            attrs,
            children: Vec::new(),
        })
    }

    /// The namespace bound to `prefix` (the default namespace for an empty prefix).
    fn resolve(&self, prefix: &str) -> Result<String, XmlError> {
        if prefix == "xml" {
            return Ok(XML_NS.into());
        }
        match self.scopes.iter().rev().find(|(p, _)| p == prefix) {
            Some((_, uri)) => Ok(uri.clone()),
            None if prefix.is_empty() => Ok(String::new()),
            None => Err(XmlError::UnboundPrefix(prefix.into())),
        }
    }

    fn close(&mut self, offset: Option<usize>) -> Result<(), XmlError> {
        let element = self
            .stack
            .pop()
            .ok_or_else(|| XmlError::Syntax("unmatched end tag".into()))?;
        self.bounds.leave();
        if let Some(mark) = self.scope_marks.pop() {
            self.scopes.truncate(mark);
        }
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(element)),
            None => {
                self.root = Some(element);
                self.root_close = offset;
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), XmlError> {
        let Some(parent) = self.stack.last_mut() else {
            return match text.trim_matches([' ', '\t', '\n']).is_empty() {
                true => Ok(()),
                false => Err(XmlError::Syntax("text outside the root element".into())),
            };
        };
        match parent.children.last_mut() {
            Some(Node::Text(previous)) => previous.push_str(text),
            _ => parent.children.push(Node::Text(text.into())),
        }
        Ok(())
    }

    fn misc(&mut self, node: Node) {
        match (self.stack.last_mut(), &self.root) {
            (Some(parent), _) => parent.children.push(node),
            (None, None) => self.prolog.push(node),
            (None, Some(_)) => self.epilog.push(node),
        }
    }

    fn finish(self, source: String) -> Result<Document, XmlError> {
        if !self.stack.is_empty() {
            return Err(XmlError::Syntax("unclosed element at end of input".into()));
        }
        let root = self
            .root
            .ok_or_else(|| XmlError::Syntax("no root element".into()))?;
        let (prolog, epilog, root_close) = (self.prolog, self.epilog, self.root_close);
        Ok(Document {
            source,
            root_close,
            prolog,
            root,
            epilog,
        })
    }
}

fn syntax(e: impl std::fmt::Display) -> XmlError {
    XmlError::Syntax(e.to_string())
}

fn split_name(raw: &[u8]) -> Result<(String, String), XmlError> {
    let name = std::str::from_utf8(raw).map_err(syntax)?;
    Ok(match name.split_once(':') {
        Some((p, l)) => (p.into(), l.into()),
        None => (String::new(), name.into()),
    })
}

/// An attribute value after normalisation: white space characters become spaces, then
/// references are expanded (so `&#xA;` stays a line feed).
fn attr_value(raw: &[u8]) -> Result<String, XmlError> {
    let raw = std::str::from_utf8(raw)
        .map_err(syntax)?
        .replace(['\t', '\n'], " ");
    unescape(&raw).map(|v| v.into_owned()).map_err(syntax)
}

/// The shared reader's error in this tree's terms.
fn from_document(error: crate::xml::XmlError) -> XmlError {
    match error {
        crate::xml::XmlError::Encoding(name) => XmlError::Encoding(name),
        crate::xml::XmlError::UnknownEntity(name) => {
            XmlError::Syntax(format!("undeclared entity &{name};"))
        }
        crate::xml::XmlError::TooDeep => XmlError::TooDeep,
        bound @ (crate::xml::XmlError::TooLarge
        | crate::xml::XmlError::TooBig(_)
        | crate::xml::XmlError::TooManyAttributes(_)
        | crate::xml::XmlError::TooManyNamespaces(_)) => XmlError::Bound(bound.to_string()),
        other => XmlError::Syntax(other.to_string()),
    }
}

/// XML 1.0 end-of-line handling: CR LF and lone CR become LF.
fn normalize_line_ends(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err(xml: &str, expected: &str) {
        let err = parse(xml.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), expected);
    }

    #[test]
    fn refuses_doctype_and_entities() {
        check_err(
            "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "a DOCTYPE is refused (no external entities or entity expansion)",
        );
        check_err("<a>&x;</a>", "not well-formed XML: undeclared entity &x;");
        check_err("<p:a/>", "namespace prefix \"p\" is not declared");
    }

    #[test]
    fn refuses_what_exceeds_the_shared_bounds() {
        let many: String = (0..200_000).map(|i| format!(" a{i}='1'")).collect();
        check_err(
            &format!("<alert{many}/>"),
            "element <alert> has more than 64 attributes",
        );
        check_err(
            "<a x='1' x='2'/>",
            "not well-formed XML: element <a> has the attribute \"x\" twice",
        );
    }

    #[test]
    fn refuses_deep_nesting() {
        let xml = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(xml.as_bytes()).unwrap_err(), XmlError::TooDeep);
    }

    #[test]
    fn reads_latin1_and_resolves_namespaces() {
        let xml = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a xmlns=\"urn:x\" xmlns:p=\"urn:p\" p:k=\"1\">\xe9&amp;&#65;</a>";
        let doc = parse(xml).unwrap();
        assert_eq!(doc.root.ns, "urn:x");
        assert_eq!(doc.root.attrs[0].ns, "urn:p");
        assert_eq!(doc.root.text(), "é&A");
    }
}

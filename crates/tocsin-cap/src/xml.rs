//! A guarded XML reader: turns an alert's (or a feed's) bytes into a small element tree
//! (namespace, local name, unprefixed attributes, text, children, and where each element lies in
//! the decoded text) and nothing more.
//!
//! It never reaches outside the document: a `DOCTYPE` is refused outright, so no external entity
//! (XXE), parameter entity or entity-expansion bomb is ever read, and only the five predefined
//! entities and character references are expanded. Bytes declared as ISO-8859-1 (or
//! windows-1252) are transcoded; everything else must be UTF-8.
//!
//! Reading is linear in the size of the document: the size, the depth, the number of elements,
//! the attributes of one element and the namespace declarations in scope are bounded
//! ([`Bounds`]), and attribute names are checked for repeats by hash (the reader's own check
//! compares each name with every earlier one, which is quadratic). The signature tree
//! (`signature/tree.rs`) reads through the same checks.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// Deepest nesting accepted (a CAP alert is 5 levels deep; signatures add a few).
pub const MAX_DEPTH: usize = 64;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 1_000_000;
/// Largest document read, in bytes (feeds of many alerts included).
pub const MAX_DOCUMENT_BYTES: usize = 16 << 20;
/// Most attributes on one element, namespace declarations included (CAP and XML-DSig use a few).
pub const MAX_ATTRIBUTES: usize = 64;
/// Most namespace declarations in scope at once: on an element and its ancestors.
pub const MAX_NAMESPACES: usize = 64;

/// One element: its namespace URI (empty when none), local name, direct text and children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub namespace: String,
    pub name: String,
    /// Attributes without a namespace prefix, by local name (namespace declarations excluded).
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
    /// Byte range of the whole element (start tag to end tag) in the decoded document text.
    pub span: std::ops::Range<usize>,
}

impl Element {
    /// The trimmed text of the element.
    pub fn trimmed(&self) -> &str {
        self.text.trim()
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Why a document could not be read as XML.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum XmlError {
    #[error(
        "the document has a DOCTYPE declaration; DTDs and entities are refused (no external or expanding entities are read)"
    )]
    Doctype,
    #[error(
        "unknown entity reference &{0}; (only &amp; &lt; &gt; &quot; &apos; and character references)"
    )]
    UnknownEntity(String),
    #[error("unsupported encoding {0:?} (UTF-8 and ISO-8859-1 are read)")]
    Encoding(String),
    #[error("the document is not well-formed XML: {0}")]
    Malformed(String),
    #[error("the document nests deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("the document has more than {MAX_ELEMENTS} elements")]
    TooLarge,
    #[error("the document is {0} bytes; at most {MAX_DOCUMENT_BYTES} are read")]
    TooBig(usize),
    #[error("element <{0}> has more than {MAX_ATTRIBUTES} attributes")]
    TooManyAttributes(String),
    #[error(
        "element <{0}> brings the namespace declarations in scope to more than {MAX_NAMESPACES}"
    )]
    TooManyNamespaces(String),
    #[error("element <{0}> has the attribute {1:?} twice")]
    DuplicateAttribute(String, String),
    #[error("the document has no root element")]
    Empty,
}

/// Reads `bytes` into the tree of its root element.
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    parse_text(bytes).map(|(_, root)| root)
}

/// Reads `bytes` into the decoded document text and the tree of its root element, whose spans
/// index that text.
pub fn parse_text(bytes: &[u8]) -> Result<(String, Element), XmlError> {
    let text = decode(bytes)?;
    let root = parse_decoded(&text)?;
    Ok((text, root))
}

fn parse_decoded(text: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    let mut builder = TreeBuilder::default();
    loop {
        let before = position(&reader);
        let (resolved, event) = reader.read_resolved_event().map_err(malformed)?;
        match event {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(start) => {
                builder.bounds.enter(&start)?;
                builder.open(element_of(&resolved, &start, before)?)?;
            }
            Event::Empty(start) => {
                builder.bounds.enter(&start)?;
                builder.open(element_of(&resolved, &start, before)?)?;
                builder.close(position(&reader));
            }
            Event::End(_) => builder.close(position(&reader)),
            Event::Text(content) => builder.text(&content.xml_content().map_err(malformed)?),
            Event::CData(data) => builder.text(&data.decode().map_err(malformed)?),
            Event::GeneralRef(reference) => builder.text(&expand(&reference)?),
            Event::Eof => break,
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
        }
    }
    builder.finish()
}

fn malformed(error: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(error.to_string())
}

fn position(reader: &NsReader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

fn element_of(
    resolved: &ResolveResult,
    start: &BytesStart,
    at: usize,
) -> Result<Element, XmlError> {
    let namespace = match resolved {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    };
    Ok(Element {
        namespace,
        name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
        attributes: attributes_of(start)?,
        span: at..at,
        ..Element::default()
    })
}

/// The unprefixed attributes of a start tag, values unescaped (unknown entities refused).
fn attributes_of(start: &BytesStart) -> Result<Vec<(String, String)>, XmlError> {
    let mut attributes = Vec::new();
    // Repeated names were refused by `Bounds::enter`, by hash.
    for attribute in start.attributes().with_checks(false) {
        let attribute = attribute.map_err(malformed)?;
        if attribute.key.prefix().is_some() || attribute.key.as_ref() == b"xmlns" {
            continue;
        }
        let value = attribute.unescape_value().map_err(|e| match e {
            quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(
                _,
                name,
            )) => XmlError::UnknownEntity(name),
            other => malformed(other),
        })?;
        let name = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        attributes.push((name, value.into_owned()));
    }
    Ok(attributes)
}

/// Expands a predefined entity or a character reference; any other entity is refused.
pub(crate) fn expand(reference: &BytesRef) -> Result<String, XmlError> {
    if let Some(ch) = reference.resolve_char_ref().map_err(malformed)? {
        return Ok(ch.to_string());
    }
    let name = reference.decode().map_err(malformed)?;
    let expanded = match name.as_ref() {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        other => return Err(XmlError::UnknownEntity(other.to_string())),
    };
    Ok(expanded.to_string())
}

/// The bounds of one document being read: elements seen and the namespace declarations of
/// the open elements. Both readers call [`Bounds::enter`] on every start tag before using it
/// and [`Bounds::leave`] on its end.
#[derive(Default)]
pub(crate) struct Bounds {
    elements: usize,
    /// Namespace declarations of each open element, outermost first.
    declared: Vec<usize>,
    in_scope: usize,
}

impl Bounds {
    /// Checks a start tag: depth, element count, the number of its attributes, repeated
    /// attribute names (by hash) and namespace declarations in scope.
    pub(crate) fn enter(&mut self, start: &BytesStart) -> Result<(), XmlError> {
        let element = || String::from_utf8_lossy(start.name().as_ref()).into_owned();
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(XmlError::TooLarge);
        }
        if self.declared.len() >= MAX_DEPTH {
            return Err(XmlError::TooDeep);
        }
        let mut names = std::collections::HashSet::new();
        let mut declared = 0;
        for attribute in start.attributes().with_checks(false) {
            let name = attribute.map_err(malformed)?.key.into_inner();
            if names.len() == MAX_ATTRIBUTES {
                return Err(XmlError::TooManyAttributes(element()));
            }
            if !names.insert(name) {
                let name = String::from_utf8_lossy(name).into_owned();
                return Err(XmlError::DuplicateAttribute(element(), name));
            }
            declared += usize::from(name == b"xmlns" || name.starts_with(b"xmlns:"));
        }
        if self.in_scope + declared > MAX_NAMESPACES {
            return Err(XmlError::TooManyNamespaces(element()));
        }
        self.in_scope += declared;
        self.declared.push(declared);
        Ok(())
    }

    /// Closes the innermost open element.
    pub(crate) fn leave(&mut self) {
        self.in_scope -= self.declared.pop().unwrap_or(0);
    }
}

/// Builds the tree from open/text/close events, within the document's bounds.
#[derive(Default)]
struct TreeBuilder {
    open: Vec<Element>,
    root: Option<Element>,
    bounds: Bounds,
}

impl TreeBuilder {
    fn open(&mut self, element: Element) -> Result<(), XmlError> {
        if self.open.is_empty() && self.root.is_some() {
            return Err(XmlError::Malformed("more than one root element".into()));
        }
        self.open.push(element);
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if let Some(current) = self.open.last_mut() {
            current.text.push_str(text);
        }
    }

    fn close(&mut self, end: usize) {
        let Some(mut done) = self.open.pop() else {
            return;
        };
        self.bounds.leave();
        done.span.end = end;
        match self.open.last_mut() {
            Some(parent) => parent.children.push(done),
            None => self.root = Some(done),
        }
    }

    fn finish(self) -> Result<Element, XmlError> {
        if !self.open.is_empty() {
            return Err(XmlError::Malformed(
                "the document ends inside an element".into(),
            ));
        }
        self.root.ok_or(XmlError::Empty)
    }
}

/// The document as UTF-8 text, transcoded from the encoding its declaration names.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, XmlError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(XmlError::TooBig(bytes.len()));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFE\xFF") || bytes.starts_with(b"\xFF\xFE") {
        return Err(XmlError::Encoding("UTF-16".into()));
    }
    match declared_encoding(bytes).as_deref() {
        None | Some("utf-8" | "utf8" | "us-ascii" | "ascii") => String::from_utf8(bytes.to_vec())
            .map_err(|e| {
                malformed(format!(
                    "invalid UTF-8 at byte {}",
                    e.utf8_error().valid_up_to()
                ))
            }),
        Some("iso-8859-1" | "latin1" | "latin-1" | "iso_8859-1" | "l1") => Ok(latin1(bytes)),
        Some("windows-1252" | "cp1252") => Ok(windows1252(bytes)),
        Some(other) => Err(XmlError::Encoding(other.to_string())),
    }
}

/// The lower-cased `encoding` of the XML declaration, if there is one.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(200))?;
    let head = String::from_utf8_lossy(head);
    let declaration = head.strip_prefix("<?xml")?.split("?>").next()?;
    let after = declaration.split("encoding").nth(1)?;
    let value = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let name = value[1..].split(quote).next()?;
    Some(name.trim().to_ascii_lowercase())
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// windows-1252: ISO-8859-1 with printable characters in 0x80–0x9F.
fn windows1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    let map = |b: u8| match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    };
    bytes.iter().map(|&b| map(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_namespaces_text_and_entities() {
        let root =
            parse(b"<a xmlns='urn:x'><b>1 &amp; &#50;</b><c:d xmlns:c='urn:y'/></a>").unwrap();
        assert_eq!(root.namespace, "urn:x");
        assert_eq!(root.children[0].text, "1 & 2");
        assert_eq!(
            (
                root.children[1].namespace.as_str(),
                root.children[1].name.as_str()
            ),
            ("urn:y", "d")
        );
    }

    #[test]
    fn refuses_doctype_and_unknown_entities() {
        let bomb =
            b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'xx'><!ENTITY y '&x;&x;'>]><a>&y;</a>";
        assert_eq!(parse(bomb), Err(XmlError::Doctype));
        assert_eq!(
            parse(b"<a>&x;</a>"),
            Err(XmlError::UnknownEntity("x".into()))
        );
    }

    #[test]
    fn transcodes_latin1_and_refuses_other_encodings() {
        let root = parse(b"<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xE9</a>").unwrap();
        assert_eq!(root.text, "café");
        assert!(matches!(
            parse(b"<?xml version='1.0' encoding='Shift_JIS'?><a/>"),
            Err(XmlError::Encoding(_))
        ));
    }

    #[test]
    fn refuses_malformed_and_deep_documents() {
        assert!(matches!(parse(b"<a><b></a>"), Err(XmlError::Malformed(_))));
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooDeep));
    }

    /// Each document with the error the reader refuses it with.
    #[test]
    fn refuses_what_exceeds_its_bounds_naming_the_bound() {
        let attributes = |n: usize| (0..n).map(|i| format!(" a{i}='1'")).collect::<String>();
        let namespaces = |n: usize, from: usize| {
            (from..from + n)
                .map(|i| format!(" xmlns:p{i}='urn:{i}'"))
                .collect::<String>()
        };
        let cases = [
            (
                format!("<alert{}/>", attributes(200_000)),
                "element <alert> has more than 64 attributes",
            ),
            (
                format!("<alert{}/>", attributes(MAX_ATTRIBUTES + 1)),
                "element <alert> has more than 64 attributes",
            ),
            (
                "<alert><info a='1' b='2' a='3'/></alert>".to_string(),
                "element <info> has the attribute \"a\" twice",
            ),
            (
                format!(
                    "<a{}><b{}/></a>",
                    namespaces(40, 0),
                    namespaces(MAX_NAMESPACES - 40 + 1, 40)
                ),
                "element <b> brings the namespace declarations in scope to more than 64",
            ),
            (
                format!("<a>{}</a>", " ".repeat(MAX_DOCUMENT_BYTES)),
                "the document is 16777223 bytes; at most 16777216 are read",
            ),
        ];
        for (document, expected) in &cases {
            let error = parse(document.as_bytes()).unwrap_err().to_string();
            assert_eq!(&error, expected);
        }
        let siblings = format!(
            "<a>{}</a>",
            (0..1000)
                .map(|i| format!("<b{}/>", namespaces(MAX_NAMESPACES, i)))
                .collect::<String>()
        );
        assert!(
            parse(siblings.as_bytes()).is_ok(),
            "declarations leave scope"
        );
        assert!(parse(format!("<a{}/>", attributes(MAX_ATTRIBUTES)).as_bytes()).is_ok());
    }
}

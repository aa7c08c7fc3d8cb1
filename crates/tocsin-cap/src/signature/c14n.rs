//! XML canonicalisation of a [`tree`](super::tree) document or subtree: Canonical XML 1.0 and
//! 1.1 (inclusive) and Exclusive XML Canonicalization 1.0, each with or without comments.
//!
//! Only the node-sets that enveloped signatures need are supported: a whole document less one
//! element subtree (the signature), and one element subtree (`SignedInfo`). Over such node-sets
//! C14N 1.1 differs from 1.0 only in which `xml:*` attributes an apex inherits. The
//! `InclusiveNamespaces` prefix list of exclusive canonicalisation is not supported.

use super::tree::{Attr, Document, Element, Node, XML_NS};

/// Which canonicalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Canonical XML 1.0 (`http://www.w3.org/TR/2001/REC-xml-c14n-20010315`).
    Inclusive10,
    /// Canonical XML 1.1 (`http://www.w3.org/2006/12/xml-c14n11`).
    Inclusive11,
    /// Exclusive XML Canonicalization 1.0 (`http://www.w3.org/2001/10/xml-exc-c14n#`).
    Exclusive,
}

/// A canonicalisation algorithm as named by its URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Algorithm {
    pub method: Method,
    pub comments: bool,
}

pub(crate) const C14N10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub(crate) const C14N11: &str = "http://www.w3.org/2006/12/xml-c14n11";
pub(crate) const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

impl Algorithm {
    /// The algorithm named by `uri`, if supported.
    pub fn from_uri(uri: &str) -> Option<Algorithm> {
        let (base, comments) = match uri.strip_suffix("#WithComments") {
            Some(base) => (base, true),
            None => (uri, false),
        };
        let method = match base {
            C14N10 => Method::Inclusive10,
            C14N11 => Method::Inclusive11,
            "http://www.w3.org/2001/10/xml-exc-c14n" if comments => Method::Exclusive,
            EXC_C14N if !comments => Method::Exclusive,
            _ => return None,
        };
        Some(Algorithm { method, comments })
    }
}

/// The canonical form of the whole document, leaving out the subtree `omit` (an enveloped
/// signature) when given.
pub(crate) fn document(doc: &Document, alg: Algorithm, omit: Option<&Element>) -> Vec<u8> {
    let mut canon = Canon::new(alg, omit);
    for node in &doc.prolog {
        if canon.misc(node) {
            canon.out.push(b'\n');
        }
    }
    canon.element(&doc.root, &[]);
    for node in &doc.epilog {
        let mark = canon.out.len();
        canon.out.push(b'\n');
        if !canon.misc(node) {
            canon.out.truncate(mark);
        }
    }
    canon.out
}

/// The canonical form of the subtree `apex`, whose ancestors (outermost first) are `ancestors`.
pub(crate) fn subtree(ancestors: &[&Element], apex: &Element, alg: Algorithm) -> Vec<u8> {
    let mut canon = Canon::new(alg, None);
    for a in ancestors {
        canon
            .scope
            .extend(a.ns_decls.iter().map(|(p, u)| (p.as_str(), u.as_str())));
    }
    let inherited = match alg.method {
        Method::Exclusive => Vec::new(),
        Method::Inclusive10 => inherited_xml_attrs(ancestors, apex, &[]),
        Method::Inclusive11 => inherited_xml_attrs(ancestors, apex, &["id", "base"]),
    };
    canon.element(apex, &inherited);
    canon.out
}

/// `xml:*` attributes of the ancestors that the apex does not set itself (nearest wins).
fn inherited_xml_attrs(ancestors: &[&Element], apex: &Element, skip: &[&str]) -> Vec<Attr> {
    let mut found: Vec<Attr> = Vec::new();
    for a in ancestors.iter().rev() {
        for attr in a
            .attrs
            .iter()
            .filter(|a| a.ns == XML_NS && !skip.contains(&a.local.as_str()))
        {
            let known = |x: &Attr| x.local == attr.local;
            if !found.iter().any(known) && !apex.attrs.iter().any(|x| x.ns == XML_NS && known(x)) {
                found.push(attr.clone());
            }
        }
    }
    found
}

/// Writer state: the namespaces in scope and those already rendered by output ancestors.
struct Canon<'a> {
    alg: Algorithm,
    omit: Option<&'a Element>,
    out: Vec<u8>,
    scope: Vec<(&'a str, &'a str)>,
    rendered: Vec<(&'a str, &'a str)>,
}

impl<'a> Canon<'a> {
    fn new(alg: Algorithm, omit: Option<&'a Element>) -> Self {
        let out = Vec::with_capacity(4096);
        Canon {
            alg,
            omit,
            out,
            scope: Vec::new(),
            rendered: Vec::new(),
        }
    }

    /// Writes a comment or processing instruction; false when nothing was written.
    fn misc(&mut self, node: &Node) -> bool {
        match node {
            Node::Comment(text) if self.alg.comments => {
                self.push("<!--");
                self.push(text);
                self.push("-->");
            }
            Node::Pi(target, data) => {
                self.push("<?");
                self.push(target);
                if !data.is_empty() {
                    self.push(" ");
                    self.push(data);
                }
                self.push("?>");
            }
            _ => return false,
        }
        true
    }

    fn element(&mut self, e: &'a Element, extra: &[Attr]) {
        if self.omit.is_some_and(|o| std::ptr::eq(o, e)) {
            return;
        }
        let (scope_mark, rendered_mark) = (self.scope.len(), self.rendered.len());
        self.scope
            .extend(e.ns_decls.iter().map(|(p, u)| (p.as_str(), u.as_str())));
        let qname = e.qname();
        self.push("<");
        self.push(&qname);
        let decls = match self.alg.method {
            Method::Exclusive => self.utilised(e),
            Method::Inclusive10 | Method::Inclusive11 => self.in_scope(),
        };
        self.namespaces(decls);
        self.attributes(e, extra);
        self.push(">");
        for node in &e.children {
            match node {
                Node::Element(child) => self.element(child, &[]),
                Node::Text(text) => self.text(text),
                other => {
                    self.misc(other);
                }
            }
        }
        self.push("</");
        self.push(&qname);
        self.push(">");
        self.scope.truncate(scope_mark);
        self.rendered.truncate(rendered_mark);
    }

    /// Every namespace in scope, one binding per prefix (inclusive canonicalisation).
    fn in_scope(&self) -> Vec<(&'a str, &'a str)> {
        let mut seen: Vec<(&'a str, &'a str)> = Vec::new();
        for &(p, u) in self.scope.iter().rev() {
            if !seen.iter().any(|(q, _)| *q == p) {
                seen.push((p, u));
            }
        }
        seen
    }

    /// The namespaces the element and its attributes use (exclusive canonicalisation).
    fn utilised(&self, e: &'a Element) -> Vec<(&'a str, &'a str)> {
        let mut used = vec![(e.prefix.as_str(), e.ns.as_str())];
        for a in e.attrs.iter().filter(|a| !a.prefix.is_empty()) {
            if !used.iter().any(|(p, _)| *p == a.prefix) {
                used.push((a.prefix.as_str(), a.ns.as_str()));
            }
        }
        used
    }

    /// Renders the declarations an output ancestor has not already rendered, sorted by prefix.
    fn namespaces(&mut self, mut decls: Vec<(&'a str, &'a str)>) {
        decls.retain(|&(p, u)| p != "xml" && self.rendered_uri(p) != Some(u));
        decls.sort_unstable_by_key(|&(p, _)| p);
        for (prefix, uri) in decls {
            self.push(if prefix.is_empty() {
                " xmlns"
            } else {
                " xmlns:"
            });
            self.push(prefix);
            self.push("=\"");
            self.escape_attr(uri);
            self.push("\"");
            self.rendered.push((prefix, uri));
        }
    }

    /// The URI an output ancestor bound to `prefix`; with none, the empty default namespace.
    fn rendered_uri(&self, prefix: &str) -> Option<&'a str> {
        match self.rendered.iter().rev().find(|(p, _)| *p == prefix) {
            Some((_, uri)) => Some(uri),
            None => prefix.is_empty().then_some(""),
        }
    }

    fn attributes(&mut self, e: &Element, extra: &[Attr]) {
        let mut attrs: Vec<&Attr> = e.attrs.iter().chain(extra).collect();
        attrs.sort_unstable_by(|a, b| (&a.ns, &a.local).cmp(&(&b.ns, &b.local)));
        for a in attrs {
            self.push(" ");
            self.push(&super::tree::qualified(&a.prefix, &a.local));
            self.push("=\"");
            self.escape_attr(&a.value);
            self.push("\"");
        }
    }

    fn text(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '&' => self.push("&amp;"),
                '<' => self.push("&lt;"),
                '>' => self.push("&gt;"),
                '\r' => self.push("&#xD;"),
                c => self.push_char(c),
            }
        }
    }

    fn escape_attr(&mut self, value: &str) {
        for c in value.chars() {
            match c {
                '&' => self.push("&amp;"),
                '<' => self.push("&lt;"),
                '"' => self.push("&quot;"),
                '\t' => self.push("&#x9;"),
                '\n' => self.push("&#xA;"),
                '\r' => self.push("&#xD;"),
                c => self.push_char(c),
            }
        }
    }

    fn push(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn push_char(&mut self, c: char) {
        let mut buf = [0; 4];
        self.push(c.encode_utf8(&mut buf));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    fn check(xml: &str, uri: &str, expected: &str) {
        let doc = parse(xml.as_bytes()).unwrap();
        let alg = Algorithm::from_uri(uri).unwrap();
        assert_eq!(
            String::from_utf8(document(&doc, alg, None)).unwrap(),
            expected
        );
    }

    fn check_subtree(xml: &str, uri: &str, expected: &str) {
        let doc = parse(xml.as_bytes()).unwrap();
        let child = doc.root.elements().next().unwrap();
        let alg = Algorithm::from_uri(uri).unwrap();
        let out = subtree(&[&doc.root], child, alg);
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn document_forms() {
        let xml = "<?xml version=\"1.0\"?>\r\n<?pi  data?><!--c--><a b='x&#xA;y\tz' xmlns='urn:a'><e/> &amp;&lt;&gt;\r\n<![CDATA[<]]><!--in--></a><!--after-->";
        check(
            xml,
            C14N10,
            "<?pi data?>\n<a xmlns=\"urn:a\" b=\"x&#xA;y z\"><e></e> &amp;&lt;&gt;\n&lt;</a>",
        );
        let with = "<?pi data?>\n<!--c-->\n<a xmlns=\"urn:a\" b=\"x&#xA;y z\"><e></e> &amp;&lt;&gt;\n&lt;<!--in--></a>\n<!--after-->";
        check(xml, &format!("{C14N10}#WithComments"), with);
    }

    #[test]
    fn attribute_and_namespace_order() {
        let xml = "<a xmlns:z='urn:z' xmlns:b='urn:b' z:k='1' b:k='2' k='3' xmlns='urn:d'><b:c xmlns:b='urn:b'/></a>";
        let inclusive = "<a xmlns=\"urn:d\" xmlns:b=\"urn:b\" xmlns:z=\"urn:z\" k=\"3\" b:k=\"2\" z:k=\"1\"><b:c></b:c></a>";
        check(xml, C14N11, inclusive);
        let exclusive = "<a xmlns=\"urn:d\" xmlns:b=\"urn:b\" xmlns:z=\"urn:z\" k=\"3\" b:k=\"2\" z:k=\"1\"><b:c></b:c></a>";
        check(xml, EXC_C14N, exclusive);
    }

    #[test]
    fn subtree_namespaces() {
        let xml = "<a xmlns='urn:a' xmlns:u='urn:u' xml:lang='vi'><ds:s xmlns:ds='urn:ds'><ds:t/><x xmlns=''/></ds:s></a>";
        check_subtree(
            xml,
            C14N10,
            "<ds:s xmlns=\"urn:a\" xmlns:ds=\"urn:ds\" xmlns:u=\"urn:u\" xml:lang=\"vi\"><ds:t></ds:t><x xmlns=\"\"></x></ds:s>",
        );
        check_subtree(
            xml,
            EXC_C14N,
            "<ds:s xmlns:ds=\"urn:ds\"><ds:t></ds:t><x></x></ds:s>",
        );
    }
}

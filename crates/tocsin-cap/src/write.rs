//! The CAP writer: an [`Alert`] as XML in its version's namespace, elements in schema order,
//! text escaped, characters XML 1.0 cannot carry dropped. The same alert always gives the same
//! bytes (published alerts are compared and signed byte for byte).

use crate::model::*;
use std::fmt::Write;

/// The alert as an XML document (UTF-8, with declaration).
pub fn to_xml(alert: &Alert) -> String {
    let mut out = Writer {
        xml: String::with_capacity(4096),
        depth: 0,
    };
    out.xml
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out.xml, "<alert xmlns=\"{}\">", alert.version.namespace());
    out.depth = 1;
    out.alert_body(alert);
    out.xml.push_str("</alert>\n");
    out.xml
}

struct Writer {
    xml: String,
    depth: usize,
}

impl Writer {
    fn alert_body(&mut self, alert: &Alert) {
        self.text("identifier", &alert.identifier);
        self.text("sender", &alert.sender);
        self.text("sent", &alert.sent);
        self.text("status", alert.status.as_str());
        self.text("msgType", alert.msg_type.as_str());
        self.maybe("source", &alert.source);
        self.text("scope", alert.scope.as_str());
        self.maybe("restriction", &alert.restriction);
        self.maybe("addresses", &alert.addresses);
        alert.code.iter().for_each(|code| self.text("code", code));
        self.maybe("note", &alert.note);
        self.maybe("references", &alert.references);
        self.maybe("incidents", &alert.incidents);
        alert
            .info
            .iter()
            .for_each(|info| self.nested("info", |w| w.info(info)));
    }

    fn info(&mut self, info: &Info) {
        self.maybe("language", &info.language);
        info.category
            .iter()
            .for_each(|c| self.text("category", c.as_str()));
        self.text("event", &info.event);
        info.response_type
            .iter()
            .for_each(|r| self.text("responseType", r.as_str()));
        self.text("urgency", info.urgency.as_str());
        self.text("severity", info.severity.as_str());
        self.text("certainty", info.certainty.as_str());
        self.maybe("audience", &info.audience);
        self.pairs("eventCode", &info.event_code);
        self.maybe("effective", &info.effective);
        self.maybe("onset", &info.onset);
        self.maybe("expires", &info.expires);
        self.maybe("senderName", &info.sender_name);
        self.maybe("headline", &info.headline);
        self.maybe("description", &info.description);
        self.maybe("instruction", &info.instruction);
        self.maybe("web", &info.web);
        self.maybe("contact", &info.contact);
        self.pairs("parameter", &info.parameter);
        info.resource
            .iter()
            .for_each(|r| self.nested("resource", |w| w.resource(r)));
        info.area
            .iter()
            .for_each(|a| self.nested("area", |w| w.area(a)));
    }

    fn resource(&mut self, resource: &Resource) {
        self.text("resourceDesc", &resource.resource_desc);
        self.maybe("mimeType", &resource.mime_type);
        self.maybe("size", &resource.size.map(|s| s.to_string()));
        self.maybe("uri", &resource.uri);
        self.maybe("derefUri", &resource.deref_uri);
        self.maybe("digest", &resource.digest);
    }

    fn area(&mut self, area: &Area) {
        self.text("areaDesc", &area.area_desc);
        area.polygon.iter().for_each(|p| self.text("polygon", p));
        area.circle.iter().for_each(|c| self.text("circle", c));
        self.pairs("geocode", &area.geocode);
        self.maybe("altitude", &area.altitude);
        self.maybe("ceiling", &area.ceiling);
    }

    fn pairs(&mut self, name: &str, pairs: &[NamedValue]) {
        for pair in pairs {
            self.nested(name, |w| {
                w.text("valueName", &pair.value_name);
                w.text("value", &pair.value);
            });
        }
    }

    fn nested(&mut self, name: &str, body: impl FnOnce(&mut Self)) {
        self.indent();
        let _ = writeln!(self.xml, "<{name}>");
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.xml, "</{name}>");
    }

    fn maybe(&mut self, name: &str, value: &Option<String>) {
        if let Some(value) = value {
            self.text(name, value);
        }
    }

    fn text(&mut self, name: &str, value: &str) {
        self.indent();
        let _ = write!(self.xml, "<{name}>");
        escape_into(&mut self.xml, value);
        let _ = writeln!(self.xml, "</{name}>");
    }

    fn indent(&mut self) {
        (0..self.depth).for_each(|_| self.xml.push_str("  "));
    }
}

/// Appends `text` escaped for element content; characters XML 1.0 forbids are dropped.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

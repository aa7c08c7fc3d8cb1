//! Atom 1.0 feeds of alerts, as national warning services and the WMO alert hub publish them:
//! one entry per current alert, linking to its CAP XML (`application/cap+xml`), with the
//! headline as title and the event, area and severity in the summary.

use crate::model::{Alert, CodeList};
use crate::write::escape_into;

/// The feed's own facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// A permanent IRI naming the feed, e.g. `urn:tocsin:tocsin.vn:alerts:15`.
    pub id: String,
    pub title: String,
    /// The URL the feed is served at.
    pub self_url: String,
    /// RFC 3339 time of the newest change.
    pub updated: String,
}

/// One alert in the feed, with where its CAP XML is served.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub alert: &'a Alert,
    pub cap_url: String,
    /// RFC 3339 time the alert was published.
    pub updated: String,
}

/// The feed as Atom XML. The title and summary are taken from the alert's first `info`.
pub fn to_atom(feed: &Feed, entries: &[Entry]) -> String {
    let mut xml = String::with_capacity(1024 + entries.len() * 1024);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    element(&mut xml, 1, "id", &feed.id);
    element(&mut xml, 1, "title", &feed.title);
    element(&mut xml, 1, "updated", &feed.updated);
    link(&mut xml, 1, "self", "application/atom+xml", &feed.self_url);
    xml.push_str("  <author>\n");
    element(&mut xml, 2, "name", &feed.title);
    xml.push_str("  </author>\n");
    for entry in entries {
        write_entry(&mut xml, entry);
    }
    xml.push_str("</feed>\n");
    xml
}

fn write_entry(xml: &mut String, entry: &Entry) {
    let alert = entry.alert;
    let info = alert.info.first();
    let title = info
        .and_then(|i| i.headline.clone().or_else(|| Some(i.event.clone())))
        .unwrap_or_else(|| alert.identifier.clone());
    xml.push_str("  <entry>\n");
    element(
        xml,
        2,
        "id",
        &format!("urn:cap:{}:{}", alert.sender, alert.identifier),
    );
    element(xml, 2, "title", &title);
    element(xml, 2, "updated", &entry.updated);
    link(xml, 2, "alternate", "application/cap+xml", &entry.cap_url);
    if let Some(info) = info {
        let areas: Vec<&str> = info.area.iter().map(|a| a.area_desc.as_str()).collect();
        let summary = format!(
            "{} — {}; {} / {} / {}; {}",
            info.event,
            areas.join("; "),
            info.severity.as_str(),
            info.urgency.as_str(),
            info.certainty.as_str(),
            alert.msg_type.as_str()
        );
        element(xml, 2, "summary", &summary);
        for category in &info.category {
            xml.push_str("    <category term=\"");
            xml.push_str(category.as_str());
            xml.push_str("\"/>\n");
        }
    }
    xml.push_str("  </entry>\n");
}

fn element(xml: &mut String, depth: usize, name: &str, text: &str) {
    xml.push_str(&"  ".repeat(depth));
    xml.push('<');
    xml.push_str(name);
    xml.push('>');
    escape_into(xml, text);
    xml.push_str("</");
    xml.push_str(name);
    xml.push_str(">\n");
}

fn link(xml: &mut String, depth: usize, rel: &str, kind: &str, href: &str) {
    xml.push_str(&"  ".repeat(depth));
    xml.push_str("<link rel=\"");
    xml.push_str(rel);
    xml.push_str("\" type=\"");
    xml.push_str(kind);
    xml.push_str("\" href=\"");
    escape_into(xml, href);
    xml.push_str("\"/>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_links_each_alert_to_its_cap_xml() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/reference/cap/real/oasiscap__fixtures_v1dot2_appendix_adot1__d836c661.xml"
        );
        let alert = crate::read(&std::fs::read(path).unwrap()).unwrap().alert;
        let feed = Feed {
            id: "urn:tocsin:test:alerts".into(),
            title: "Cảnh báo & thông báo".into(),
            self_url: "http://localhost/feeds/alerts.atom".into(),
            updated: "2026-11-22T10:05:00+07:00".into(),
        };
        let entries = [Entry {
            alert: &alert,
            cap_url: "http://localhost/alerts/a?b&c".into(),
            updated: feed.updated.clone(),
        }];
        let xml = to_atom(&feed, &entries);
        let root = crate::xml::parse(xml.as_bytes()).unwrap();
        assert_eq!(
            (root.namespace.as_str(), root.name.as_str()),
            ("http://www.w3.org/2005/Atom", "feed")
        );
        assert!(xml.contains("<title>Cảnh báo &amp; thông báo</title>"));
        assert!(xml.contains("href=\"http://localhost/alerts/a?b&amp;c\""));
        assert_eq!(
            root.children.iter().filter(|c| c.name == "entry").count(),
            1
        );
    }
}

//! Reading other agencies' alert feeds: an Atom 1.0 or RSS 2.0 document into its entries, each
//! with its id, time, title, the link to its CAP alert and any CAP alert embedded in it.
//!
//! Lenient like the feeds agencies publish (the WMO alert hub, NWS, MeteoAlarm): elements in any
//! order, extension elements ignored, missing ids filled from the link. It reads through the
//! guarded reader of [`crate::xml`], so a `DOCTYPE` is refused and nothing outside the document
//! is ever read. It never fetches anything: following the links is the caller's business.

use crate::model::Version;
use crate::xml::{self, Element, XmlError};

const ATOM: &str = "http://www.w3.org/2005/Atom";

/// Which syndication format a feed was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Atom,
    Rss,
}

/// A feed read: its entries in document order, and the entries skipped with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    pub kind: FeedKind,
    pub title: String,
    pub entries: Vec<Entry>,
    /// One line per entry that names no alert: `entry 3 (id …): reason`.
    pub skipped: Vec<String>,
}

/// One entry (Atom) or item (RSS) that names a CAP alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The Atom `id` or RSS `guid`; the alert link when the feed gives neither.
    pub id: String,
    /// The Atom `updated` (or `published`) or RSS `pubDate`, as written.
    pub updated: String,
    pub title: String,
    /// Where the CAP alert is served, as written (possibly relative to the feed).
    pub alert_link: Option<String>,
    /// The XML of a CAP alert embedded in the entry, exactly as it appears in the feed.
    pub embedded_alert: Option<String>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeedError {
    #[error("feed: {0}")]
    Xml(#[from] XmlError),
    #[error(
        "feed: the root element is {{{namespace}}}{name}; an Atom 1.0 feed or an RSS 2.0 rss is expected"
    )]
    NotAFeed { namespace: String, name: String },
    #[error("feed: rss has no channel element")]
    NoChannel,
}

/// Reads an Atom 1.0 or RSS 2.0 feed.
pub fn read(bytes: &[u8]) -> Result<Feed, FeedError> {
    let (text, root) = xml::parse_text(bytes)?;
    match (root.namespace.as_str(), root.name.as_str()) {
        (ATOM, "feed") => Ok(read_items(&text, &root, FeedKind::Atom)),
        ("", "rss") => {
            let channel = child(&root, "channel").ok_or(FeedError::NoChannel)?;
            Ok(read_items(&text, channel, FeedKind::Rss))
        }
        _ => Err(FeedError::NotAFeed {
            namespace: root.namespace.clone(),
            name: root.name.clone(),
        }),
    }
}

/// The entries (Atom) or items (RSS) of `container`.
fn read_items(text: &str, container: &Element, kind: FeedKind) -> Feed {
    let item_name = match kind {
        FeedKind::Atom => "entry",
        FeedKind::Rss => "item",
    };
    let mut feed = Feed {
        kind,
        title: child_text(container, "title"),
        entries: Vec::new(),
        skipped: Vec::new(),
    };
    let items = container
        .children
        .iter()
        .filter(|e| e.name == item_name && in_feed_namespace(e, kind));
    for (index, item) in items.enumerate() {
        let entry = match kind {
            FeedKind::Atom => atom_entry(text, item),
            FeedKind::Rss => rss_item(text, item),
        };
        if entry.alert_link.is_none() && entry.embedded_alert.is_none() {
            feed.skipped.push(format!(
                "{item_name} {index} (id {:?}): no link to a CAP alert and no alert embedded",
                entry.id
            ));
        } else {
            feed.entries.push(entry);
        }
    }
    feed
}

fn in_feed_namespace(element: &Element, kind: FeedKind) -> bool {
    match kind {
        FeedKind::Atom => element.namespace == ATOM,
        FeedKind::Rss => element.namespace.is_empty(),
    }
}

fn atom_entry(text: &str, entry: &Element) -> Entry {
    let links = entry
        .children
        .iter()
        .filter(|e| e.namespace == ATOM && (e.name == "link" || e.name == "content"))
        .filter_map(|e| {
            let href = e.attribute("href").or_else(|| e.attribute("src"))?;
            Some((atom_link_rank(e)?, href))
        });
    let alert_link = best(links);
    let updated = Some(child_text(entry, "updated"))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| child_text(entry, "published"));
    finish(
        text,
        entry,
        child_text(entry, "id"),
        updated,
        child_text(entry, "title"),
        alert_link,
    )
}

/// How likely an Atom `link` (or `content src`) is to lead to the CAP alert: 0 best; `None`
/// for links that lead elsewhere (a web page, the feed itself, a related resource).
fn atom_link_rank(link: &Element) -> Option<u8> {
    let media = link.attribute("type").unwrap_or("").to_ascii_lowercase();
    if media.contains("cap+xml") {
        return Some(0);
    }
    if media.contains("html") {
        return None;
    }
    match link.attribute("rel").unwrap_or("alternate") {
        "enclosure" => Some(1),
        "alternate" if link.name == "content" || media.contains("xml") => Some(1),
        "alternate" => Some(2),
        _ => None,
    }
}

fn rss_item(text: &str, item: &Element) -> Entry {
    let enclosures = item
        .children
        .iter()
        .filter(|e| e.namespace.is_empty() && e.name == "enclosure")
        .filter_map(|e| {
            let media = e.attribute("type").unwrap_or("").to_ascii_lowercase();
            let rank = if media.contains("cap+xml") { 0 } else { 1 };
            Some((rank, e.attribute("url")?))
        });
    let link = Some(child_text(item, "link")).filter(|l| !l.is_empty());
    let alert_link = best(enclosures.chain(link.as_deref().map(|l| (2, l))));
    finish(
        text,
        item,
        child_text(item, "guid"),
        child_text(item, "pubDate"),
        child_text(item, "title"),
        alert_link,
    )
}

/// The link of lowest rank (the first of equals).
fn best<'a>(links: impl Iterator<Item = (u8, &'a str)>) -> Option<String> {
    links
        .map(|(rank, href)| (rank, href.trim()))
        .filter(|(_, href)| !href.is_empty())
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, href)| href.to_string())
}

fn finish(
    text: &str,
    item: &Element,
    id: String,
    updated: String,
    title: String,
    alert_link: Option<String>,
) -> Entry {
    let embedded_alert = embedded_alert(text, item);
    let id = match (id.is_empty(), &alert_link) {
        (true, Some(link)) => link.clone(),
        _ => id,
    };
    Entry {
        id,
        updated,
        title,
        alert_link,
        embedded_alert,
    }
}

/// A CAP `alert` element anywhere inside the entry, as written in the feed; or the text of a
/// `content` element that holds an alert as escaped XML.
fn embedded_alert(text: &str, item: &Element) -> Option<String> {
    if let Some(alert) = find_alert(item) {
        return text.get(alert.span.clone()).map(str::to_string);
    }
    item.children
        .iter()
        .filter(|e| e.name == "content" || e.name == "description")
        .map(|e| e.trimmed())
        .find(|t| t.starts_with('<') && (t.contains(":alert") || t.contains("<alert")))
        .map(str::to_string)
}

fn find_alert(element: &Element) -> Option<&Element> {
    element.children.iter().find_map(|e| {
        if e.name == "alert" && Version::of_namespace(&e.namespace).is_some() {
            Some(e)
        } else {
            find_alert(e)
        }
    })
}

fn child<'a>(element: &'a Element, name: &str) -> Option<&'a Element> {
    element.children.iter().find(|e| e.name == name)
}

fn child_text(element: &Element, name: &str) -> String {
    child(element, name)
        .map(|e| e.trimmed().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per entry: `id | updated | title | link | embedded alert's first 40 bytes`.
    fn check(feed: &str, expected: &str) {
        let feed = read(feed.as_bytes()).unwrap();
        let mut lines: Vec<String> = feed
            .entries
            .iter()
            .map(|e| {
                let embedded = e
                    .embedded_alert
                    .as_deref()
                    .map(|a| a.chars().take(40).collect::<String>());
                format!(
                    "{} | {} | {} | {} | {}",
                    e.id,
                    e.updated,
                    e.title,
                    e.alert_link.as_deref().unwrap_or("-"),
                    embedded.as_deref().unwrap_or("-")
                )
            })
            .collect();
        lines.extend(feed.skipped.iter().map(|s| format!("skipped: {s}")));
        assert_eq!(lines.join("\n"), expected.trim());
    }

    #[test]
    fn atom_entries_link_to_their_cap_alerts() {
        check(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
  <title>MeteoAlarm Austria</title>
  <id>urn:feed</id>
  <entry>
    <id>urn:a1</id><updated>2025-06-01T10:00:00Z</updated><title>Yellow rain warning</title>
    <link rel="alternate" type="text/html" href="https://example.org/a1.html"/>
    <link rel="alternate" type="application/cap+xml" href="https://example.org/a1.xml"/>
    <cap:event>Rain</cap:event>
  </entry>
  <entry>
    <title>Enclosure only</title><published>2025-06-01T11:00:00Z</published>
    <link rel="related" href="https://example.org/other"/>
    <link rel="enclosure" href="/alerts/a2.xml"/>
  </entry>
  <entry>
    <id>urn:a3</id><title>Page only</title>
    <link href="https://example.org/a3.html" type="text/html"/>
  </entry>
</feed>"#,
            "
urn:a1 | 2025-06-01T10:00:00Z | Yellow rain warning | https://example.org/a1.xml | -
/alerts/a2.xml | 2025-06-01T11:00:00Z | Enclosure only | /alerts/a2.xml | -
skipped: entry 2 (id \"urn:a3\"): no link to a CAP alert and no alert embedded",
        );
    }

    #[test]
    fn an_alert_embedded_in_atom_content_is_kept_as_written() {
        check(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>e1</id><title>T</title>
  <content type="application/cap+xml"><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert></content>
</entry></feed>"#,
            r#"e1 |  | T | - | <alert xmlns="urn:oasis:names:tc:emergen"#,
        );
    }

    #[test]
    fn rss_items_prefer_a_cap_enclosure_to_the_link() {
        check(
            r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0"><channel><title>WMO alert hub</title>
  <item><title>Cyclone warning</title><link>https://hub.example/a.xml</link>
    <guid isPermaLink="false">urn:oid:2.49.0.1.1</guid><pubDate>Sun, 01 Jun 2025 10:00:00 GMT</pubDate></item>
  <item><title>Caf&#233;</title><link>https://hub.example/page</link>
    <enclosure url="https://hub.example/b.cap" type="application/cap+xml" length="1"/></item>
  <item><title>Nothing</title></item>
</channel></rss>"#,
            "
urn:oid:2.49.0.1.1 | Sun, 01 Jun 2025 10:00:00 GMT | Cyclone warning | https://hub.example/a.xml | -
https://hub.example/b.cap |  | Café | https://hub.example/b.cap | -
skipped: item 2 (id \"\"): no link to a CAP alert and no alert embedded",
        );
    }

    #[test]
    fn rss_with_an_escaped_alert_in_its_description() {
        check(
            r#"<rss version="2.0"><channel><item><guid>g</guid>
<description>&lt;alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"&gt;&lt;/alert&gt;</description>
</item></channel></rss>"#,
            r#"g |  |  | - | <alert xmlns="urn:oasis:names:tc:emergen"#,
        );
    }

    #[test]
    fn refuses_doctypes_and_documents_that_are_not_feeds() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x "xx">]><feed xmlns="http://www.w3.org/2005/Atom"/>"#;
        assert_eq!(read(bomb), Err(FeedError::Xml(XmlError::Doctype)));
        let alert = br#"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"#;
        assert!(matches!(read(alert), Err(FeedError::NotAFeed { .. })));
        assert_eq!(read(b"<rss version='2.0'/>"), Err(FeedError::NoChannel));
        let entity = br#"<rss><channel><item><link href="&x;"/></item></channel></rss>"#;
        assert!(matches!(read(entity), Err(FeedError::Xml(_))));
    }
}

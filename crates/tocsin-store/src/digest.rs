//! Whole sets of records as text, for the journal to name by digest what is too large to
//! carry: the records as lines, each the compact JSON array of its fields followed by a newline,
//! in an order the caller documents. Every backend that reads the same records in the same order
//! writes the same text, and so the same digest.

/// `lines` as the text whose SHA-256 is their digest, in their order.
pub fn lines_text(lines: impl IntoIterator<Item = serde_json::Value>) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_digest_is_of_the_lines_as_documented() {
        let lines = [
            serde_json::json!(["unit", "01", null]),
            serde_json::json!([2]),
        ];
        assert_eq!(super::lines_text(lines), "[\"unit\",\"01\",null]\n[2]\n");
    }
}

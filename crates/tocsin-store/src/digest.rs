//! Digests of whole sets of records, for the journal to name what is too large to carry: the
//! hex SHA-256 of the records as lines, each the compact JSON array of its fields followed by a
//! newline, in an order the caller documents. Every backend that reads the same records in the
//! same order gives the same digest.

/// The digest of `lines`, in their order.
pub fn lines_sha256(lines: impl IntoIterator<Item = serde_json::Value>) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    tocsin_core::change::sha256_hex(text.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_digest_is_of_the_lines_as_documented() {
        let lines = [
            serde_json::json!(["unit", "01", null]),
            serde_json::json!([2]),
        ];
        assert_eq!(
            super::lines_sha256(lines),
            tocsin_core::change::sha256_hex(b"[\"unit\",\"01\",null]\n[2]\n")
        );
    }
}

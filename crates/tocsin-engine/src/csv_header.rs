//! The one header check every CSV reader of the node passes before it reads a row: a column
//! name may appear only once and may not be empty, so no reader silently uses the first of two
//! columns of the same name. Readers name their own columns; this module only reads the header.

use std::collections::BTreeSet;

/// Why a CSV header was refused: the column at fault (`""` when the header is unreadable) and
/// the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "CSV header: {}", self.reason)
        } else {
            write!(f, "CSV header: column {:?}: {}", self.column, self.reason)
        }
    }
}

/// Reads the header of `reader` (a reader with headers) and checks it.
pub fn read<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
) -> Result<csv::StringRecord, HeaderError> {
    let header = reader
        .headers()
        .map_err(|e| HeaderError {
            column: String::new(),
            reason: format!("unreadable: {e}"),
        })?
        .clone();
    check(&header)?;
    Ok(header)
}

/// Refuses a header with an empty or repeated column name (names compared after trimming).
pub fn check(header: &csv::StringRecord) -> Result<(), HeaderError> {
    let mut seen = BTreeSet::new();
    for (index, name) in header.iter().map(str::trim).enumerate() {
        if name.is_empty() {
            return Err(HeaderError {
                column: String::new(),
                reason: format!("column {} has no name", index + 1),
            });
        }
        if !seen.insert(name) {
            return Err(HeaderError {
                column: name.to_string(),
                reason: format!("appears more than once (again as column {})", index + 1),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    fn check(text: &str, expected: &str) {
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let got = match super::read(&mut reader) {
            Ok(header) => format!("ok {}", header.len()),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expected, "{text:?}");
    }

    #[test]
    fn headers() {
        check("a,b,c\n1,2,3\n", "ok 3");
        check(
            "a,b,a\n1,2,3\n",
            "CSV header: column \"a\": appears more than once (again as column 3)",
        );
        check(
            "a, b ,b\n",
            "CSV header: column \"b\": appears more than once (again as column 3)",
        );
        check("a,,c\n", "CSV header: column 2 has no name");
        check("", "ok 0");
    }
}

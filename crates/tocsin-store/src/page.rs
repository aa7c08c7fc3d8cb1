//! Keyset paging of newest-first lists: a [`Cursor`] is the sort key of the last row a page
//! showed, and the next page is the rows strictly below it in the list's order. No row is
//! skipped or shown twice when rows are added while a client pages, and every page costs one
//! index range read, however deep it is.

use std::fmt;

/// The sort key of one row of a list (its columns in the list's `ORDER BY`, all descending),
/// written `a.b.c` in a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(Vec<i64>);

impl Cursor {
    pub fn new(key: Vec<i64>) -> Cursor {
        Cursor(key)
    }

    /// Reads a cursor of `arity` numbers written `a.b.c`; `None` when it is not one.
    pub fn parse(text: &str, arity: usize) -> Option<Cursor> {
        let key = text
            .split('.')
            .map(|part| part.parse::<i64>().ok())
            .collect::<Option<Vec<i64>>>()?;
        (key.len() == arity).then_some(Cursor(key))
    }

    /// The sort key's numbers, in the list's order.
    pub fn key(&self) -> &[i64] {
        &self.0
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(i64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// A row of a paged list: its sort key, matching the list's `ORDER BY`.
pub trait Paged {
    /// How many numbers the list's cursor has.
    const ARITY: usize;
    fn cursor(&self) -> Cursor;
}

/// One page of a list, and where the next one starts when the list was cut.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the last item when more rows follow it; `None` at the end of the list.
    pub next: Option<Cursor>,
}

impl<T: Paged> Page<T> {
    /// The page of `limit` rows out of `rows`, read with one row more than `limit` so that
    /// whether the list goes on is known without a count.
    pub fn cut(mut rows: Vec<T>, limit: usize) -> Page<T> {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(Paged::cursor)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_writes_and_refuses_anything_else() {
        let cursor = Cursor::new(vec![1_700_000_000_000, 42, -3]);
        assert_eq!(Cursor::parse(&cursor.to_string(), 3), Some(cursor));
        for bad in [
            "",
            "1.2",
            "1.2.3.4",
            "1..3",
            "a.b.c",
            "1.2.99999999999999999999",
        ] {
            assert_eq!(Cursor::parse(bad, 3), None, "{bad:?}");
        }
    }
}

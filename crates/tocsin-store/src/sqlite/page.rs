//! Keyset paging in SQL: the condition that keeps the rows after a [`Cursor`] (a row value
//! comparison bound as parameters) and the `ORDER BY` of a newest-first list.

use crate::page::Cursor;
use rusqlite::types::Value;

/// The condition that keeps the rows of a list ordered by `columns` (descending) after
/// `before`, and the values to bind for it from parameter `?first` on: no condition (`1`) and
/// no value for the first page.
pub(crate) fn keyset(
    before: Option<&Cursor>,
    columns: &[&str],
    first: usize,
) -> (String, Vec<Value>) {
    match before {
        None => ("1".into(), Vec::new()),
        Some(cursor) => (
            after(cursor, columns, first),
            cursor.key().iter().map(|v| Value::Integer(*v)).collect(),
        ),
    }
}

/// The SQL condition "after `cursor` in a descending order over `columns`", as a row value
/// comparison whose values are bound from parameter `?first` on.
fn after(cursor: &Cursor, columns: &[&str], first: usize) -> String {
    let params: Vec<String> = (first..first + cursor.key().len())
        .map(|i| format!("?{i}"))
        .collect();
    format!("({}) < ({})", columns.join(", "), params.join(", "))
}

/// The `ORDER BY` of a list paged over `columns`: each descending.
pub(crate) fn newest_first(columns: &[&str]) -> String {
    let each: Vec<String> = columns.iter().map(|c| format!("{c} DESC")).collect();
    each.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_condition_binds_the_cursor_as_parameters() {
        let cursor = Cursor::new(vec![5, 6]);
        let (condition, values) = keyset(Some(&cursor), &["a", "b"], 3);
        assert_eq!(condition, "(a, b) < (?3, ?4)");
        assert_eq!(values, [Value::Integer(5), Value::Integer(6)]);
        assert_eq!(keyset(None, &["a", "b"], 3), ("1".to_string(), Vec::new()));
        assert_eq!(newest_first(&["a", "b"]), "a DESC, b DESC");
    }
}

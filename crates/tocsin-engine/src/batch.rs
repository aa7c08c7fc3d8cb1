//! Checks shared by every all-or-nothing request (stations, resources, recipients): an id may
//! appear only once in one request, since two records of one id would silently keep the last.

/// Each id that appears more than once among `ids`, with its positions and the reason to give.
pub fn repeated_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<(&'a str, String)> {
    let mut positions: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (index, id) in ids.into_iter().enumerate() {
        positions.entry(id).or_default().push(index);
    }
    positions
        .into_iter()
        .filter(|(_, at)| at.len() > 1)
        .map(|(id, at)| {
            let at: Vec<String> = at.iter().map(usize::to_string).collect();
            (
                id,
                format!(
                    "appears more than once in this request (records {})",
                    at.join(", ")
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn repeated_ids_are_named_with_their_records() {
        let found = super::repeated_ids(["a", "b", "a", "c", "b", "a"]);
        assert_eq!(
            found,
            [
                (
                    "a",
                    "appears more than once in this request (records 0, 2, 5)".into()
                ),
                (
                    "b",
                    "appears more than once in this request (records 1, 4)".into()
                ),
            ]
        );
        assert!(super::repeated_ids(["a", "b"]).is_empty());
    }
}

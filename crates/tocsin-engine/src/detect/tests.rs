use super::*;

/// `stored`: `station rule level@time`; `replayed`: `station rule from→to@time`; the answer
/// in the second form.
fn check(stored: &[&str], replayed: &[&str], expected: &[&str]) {
    let detection = |text: &str| {
        let [station, rule, change] = text.split(' ').collect::<Vec<_>>()[..] else {
            panic!("{text}")
        };
        let (levels, time) = change.split_once('@').unwrap();
        let (from, to) = levels.split_once('→').unwrap_or(("0", levels));
        Place {
            id: station.into(),
            commune: None,
            province: None,
        }
        .detection(
            (rule, "h"),
            (from.parse().unwrap(), to.parse().unwrap()),
            time.parse().unwrap(),
            0.0,
            "verified",
        )
    };
    let stored: Vec<Detection> = stored.iter().map(|t| detection(t)).collect();
    let replayed = replayed.iter().map(|t| detection(t)).collect();
    let got: Vec<String> = missing_changes(&stored, replayed)
        .iter()
        .map(|d| {
            format!(
                "{} {} {}→{}@{}",
                d.station, d.rule, d.from_level, d.to_level, d.time_ms
            )
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn missing_changes_chain_onto_the_stored_levels() {
    // A new station whose rise was never stored.
    check(&[], &["s r 0→1@10"], &["s r 0→1@10"]);
    // Stored already: nothing.
    check(&["s r 1@10"], &["s r 0→1@10"], &[]);
    // The rise stored, the next two not.
    check(
        &["s r 1@10"],
        &["s r 0→1@10", "s r 1→2@20", "s r 2→3@30"],
        &["s r 1→2@20", "s r 2→3@30"],
    );
    // The replay from nothing differs before the stored level's time: the stored level holds.
    check(&["s r 0@30"], &["s r 0→1@10", "s r 1→2@20"], &[]);
    // After it, a change starts from the stored level; one that changes nothing is dropped.
    check(
        &["s r 2@10"],
        &["s r 0→2@20", "s r 2→0@30"],
        &["s r 2→0@30"],
    );
    check(&["s r 1@10"], &["s r 0→2@20"], &["s r 1→2@20"]);
    // Stations and rules chain apart.
    check(
        &["s r 1@10", "t r 2@10"],
        &["s q 0→1@5", "t r 0→1@20", "s r 0→1@20"],
        &["s q 0→1@5", "t r 2→1@20"],
    );
}

//! Scenarios: these notices in, at these times, give these notifications out.

use super::*;

const MIN: i64 = 60_000;

const POLICY: &str = r#"
ack_min_level = 1
ack_timeout_s = { commune = 900, province = 900 }

[[route]]
name = "commune"
recipients = { tier = "commune", within = "area" }
continue = true
group_wait_s = 30

[[route]]
name = "province"
match = { min_level = 2 }
recipients = { tier = "province", sector = "standing", within = "province" }
continue = true
group_by = ["hazard", "province"]
group_wait_s = 30
group_interval_s = 300
repeat_interval_s = 3600

[[route]]
name = "national"
continue = true
  [[route.routes]]
  name = "level 3"
  match = { min_level = 3 }
  recipients = { tier = "national", sector = "standing" }
  [[route.routes]]
  name = "concurrent"
  match = { concurrent = true }
  recipients = { tier = "national", sector = "standing" }

[[route]]
name = "health"
match = { sectors = ["health"] }
recipients = { sector = "health", within = "province" }

[[inhibit]]
source = { hazards = ["river_flood"], min_level = 4 }
target = { hazards = ["river_flood", "heavy_rain"], max_level = 2 }
equal = ["province"]
"#;

fn recipient(id: &str, sector: &str, region: &str, tier: Tier) -> Recipient {
    Recipient {
        id: id.into(),
        name: id.into(),
        sector: sector.into(),
        region: region.into(),
        tier,
        exercises: false,
    }
}

fn dispatcher() -> Dispatcher {
    let policy: Policy = toml::from_str(POLICY).unwrap();
    let recipients = vec![
        recipient("ubnd-04252", "standing", "04252", Tier::Commune),
        recipient("ubnd-04300", "standing", "04300", Tier::Commune),
        recipient("ca-15", "standing", "15", Tier::Province),
        recipient("syt-15", "health", "15", Tier::Province),
        recipient("ca-01", "standing", "01", Tier::Province),
        recipient("national-centre", "standing", "VN", Tier::National),
    ];
    Dispatcher::new(policy, recipients)
}

fn notice(warning: u64, version: u32, hazard: &str, level: u8, communes: &[&str]) -> Notice {
    Notice {
        warning,
        version,
        hazard: hazard.into(),
        sector: if hazard == "dengue" {
            "health".into()
        } else {
            "disaster".into()
        },
        province: "15".into(),
        communes: communes.iter().map(|c| c.to_string()).collect(),
        level,
        status: "Actual".into(),
        action: if version == 1 {
            "raised".into()
        } else {
            "updated".into()
        },
        concurrent: false,
    }
}

/// `recipient:warning.version:reason[:suppressed]` for each notification.
fn summary(notifications: &[Notification]) -> Vec<String> {
    let mut lines: Vec<String> = notifications
        .iter()
        .map(|n| {
            let reason = match &n.reason {
                Reason::Route { route } => route.clone(),
                Reason::Repeat { route } => format!("repeat {route}"),
                Reason::Escalation { from } => format!("escalation from {}", from.as_str()),
            };
            let suppressed = match &n.suppressed {
                None => String::new(),
                Some(Suppression::Silenced { silence }) => format!(":silenced by {silence}"),
                Some(Suppression::Inhibited { by_warning }) => {
                    format!(":inhibited by {by_warning}")
                }
            };
            format!(
                "{}:{}.{}:{reason}{suppressed}",
                n.recipient, n.warning, n.version
            )
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn the_default_shape_tells_each_level_what_concerns_it() {
    let mut d = dispatcher();
    d.notice(notice(1, 1, "river_flood", 1, &["04252"]), 0);
    assert!(d.tick(29_000).is_empty(), "a group waits group_wait first");
    assert_eq!(summary(&d.tick(30_000)), ["ubnd-04252:1.1:commune"]);
    d.notice(notice(1, 2, "river_flood", 3, &["04252", "04300"]), MIN);
    let province_first = summary(&d.tick(2 * MIN));
    assert_eq!(
        province_first,
        ["ca-15:1.2:province", "national-centre:1.2:national/level 3"],
        "new groups wait 30 s"
    );
    let told = summary(&d.tick(6 * MIN));
    assert_eq!(
        told,
        ["ubnd-04252:1.2:commune", "ubnd-04300:1.2:commune"],
        "the commune group waited its interval"
    );
    d.notice(notice(2, 1, "dengue", 2, &[]), 7 * MIN);
    let told = summary(&d.tick(8 * MIN));
    assert!(told.contains(&"syt-15:2.1:health".to_string()), "{told:?}");
    assert!(told.contains(&"ca-15:2.1:province".to_string()), "{told:?}");
}

#[test]
fn a_group_gathers_changes_for_its_interval_and_repeats_while_in_force() {
    let mut d = dispatcher();
    d.policy.ack_timeout_s.clear();
    d.notice(notice(1, 1, "river_flood", 2, &["04252"]), 0);
    d.notice(notice(3, 1, "river_flood", 2, &["04300"]), 10_000);
    let first: Vec<String> = summary(&d.tick(30_000))
        .into_iter()
        .filter(|s| s.starts_with("ca-15"))
        .collect();
    assert_eq!(
        first,
        ["ca-15:1.1:province", "ca-15:3.1:province"],
        "one group: hazard and province"
    );
    d.notice(notice(1, 2, "river_flood", 2, &["04252"]), MIN);
    let early: Vec<String> = summary(&d.tick(4 * MIN))
        .into_iter()
        .filter(|s| s.starts_with("ca-15"))
        .collect();
    assert!(
        early.is_empty(),
        "changes wait for group_interval after the last notification"
    );
    let later: Vec<String> = summary(&d.tick(30_000 + 5 * MIN))
        .into_iter()
        .filter(|s| s.starts_with("ca-15"))
        .collect();
    assert_eq!(later, ["ca-15:1.2:province"]);
    let repeated: Vec<String> = summary(&d.tick(30_000 + 65 * MIN))
        .into_iter()
        .filter(|s| s.starts_with("ca-15"))
        .collect();
    assert_eq!(
        repeated,
        ["ca-15:1.2:repeat province", "ca-15:3.1:repeat province"]
    );
    let mut cleared = notice(1, 3, "river_flood", 0, &["04252"]);
    cleared.action = "all-clear".into();
    d.notice(cleared, 66 * MIN);
    let ending: Vec<String> = summary(&d.tick(72 * MIN))
        .into_iter()
        .filter(|s| s.starts_with("ca-15"))
        .collect();
    assert_eq!(ending, ["ca-15:1.3:province"]);
    let next: Vec<String> = summary(&d.tick(132 * MIN))
        .into_iter()
        .filter(|s| s.starts_with("ca-15"))
        .collect();
    assert_eq!(
        next,
        ["ca-15:3.1:repeat province"],
        "the ended warning is not repeated"
    );
}

#[test]
fn a_severe_flood_inhibits_lesser_notices_in_its_province() {
    let mut d = dispatcher();
    d.notice(notice(1, 1, "river_flood", 4, &["04252"]), 0);
    d.tick(MIN);
    d.notice(notice(2, 1, "heavy_rain", 2, &["04300"]), 2 * MIN);
    let told = summary(&d.tick(3 * MIN));
    assert_eq!(
        told,
        [
            "ca-15:2.1:province:inhibited by 1",
            "ubnd-04300:2.1:commune:inhibited by 1"
        ]
    );
    let mut other = notice(3, 1, "heavy_rain", 2, &[]);
    other.province = "01".into();
    d.notice(other, 4 * MIN);
    assert_eq!(
        summary(&d.tick(5 * MIN)),
        ["ca-01:3.1:province"],
        "another province is not inhibited"
    );
}

#[test]
fn silences_hold_back_what_they_match_until_they_end() {
    let mut d = dispatcher();
    d.silences.push(Silence {
        id: 7,
        matchers: route::Matchers {
            hazards: vec!["heat".into()],
            ..Default::default()
        },
        recipient: None,
        starts_ms: 0,
        ends_ms: 10 * MIN,
        author: "duty officer".into(),
        reason: "sensor maintenance".into(),
    });
    d.notice(notice(1, 1, "heat", 2, &["04252"]), 0);
    let told = summary(&d.tick(MIN));
    assert_eq!(
        told,
        [
            "ca-15:1.1:province:silenced by 7",
            "ubnd-04252:1.1:commune:silenced by 7"
        ]
    );
    d.notice(notice(1, 2, "heat", 2, &["04252"]), 11 * MIN);
    let told = summary(&d.tick(12 * MIN));
    assert_eq!(told, ["ca-15:1.2:province", "ubnd-04252:1.2:commune"]);
}

#[test]
fn an_unacknowledged_commune_warning_climbs_to_the_province_then_the_nation() {
    let mut d = dispatcher();
    d.notice(notice(1, 1, "river_flood", 1, &["04252"]), 0);
    let first = d.tick(30_000);
    assert!(first.iter().all(|n| n.needs_ack));
    assert!(summary(&d.tick(30_000 + 14 * MIN)).is_empty());
    assert_eq!(
        summary(&d.tick(30_000 + 15 * MIN)),
        ["ca-15:1.1:escalation from commune"]
    );
    assert!(summary(&d.tick(30_000 + 29 * MIN)).is_empty());
    assert_eq!(
        summary(&d.tick(30_000 + 30 * MIN)),
        ["national-centre:1.1:escalation from province"]
    );
    assert!(
        summary(&d.tick(30_000 + 90 * MIN)).is_empty(),
        "the national tier is the top"
    );
}

#[test]
fn an_acknowledgement_stops_the_climb() {
    let mut d = dispatcher();
    d.notice(notice(1, 1, "river_flood", 1, &["04252"]), 0);
    d.tick(30_000);
    d.acknowledge(1, 1);
    assert!(summary(&d.tick(30_000 + 60 * MIN)).is_empty());
}

#[test]
fn exercises_reach_only_recipients_that_take_part() {
    for province_takes_part in [false, true] {
        let mut d = dispatcher();
        d.recipients[0].exercises = true;
        d.recipients[2].exercises = province_takes_part;
        let mut drill = notice(1, 1, "river_flood", 2, &["04252"]);
        drill.status = "Exercise".into();
        d.notice(drill, 0);
        let told = d.tick(MIN);
        let expected: &[&str] = if province_takes_part {
            &["ca-15:1.1:province", "ubnd-04252:1.1:commune"]
        } else {
            &["ubnd-04252:1.1:commune"]
        };
        assert_eq!(summary(&told), expected);
        assert!(
            told.iter().all(|n| n.needs_ack),
            "participants acknowledge exercises too"
        );
        // Unacknowledged, the exercise climbs to the province, if it takes part.
        let climbed = summary(&d.tick(MIN + 15 * MIN));
        if province_takes_part {
            assert_eq!(climbed, ["ca-15:1.1:escalation from commune"]);
        } else {
            assert!(climbed.is_empty(), "{climbed:?}");
        }
    }
}

#[test]
fn test_messages_ask_no_acknowledgement() {
    let mut d = dispatcher();
    d.recipients[0].exercises = true;
    let mut test = notice(1, 1, "river_flood", 2, &["04252"]);
    test.status = "Test".into();
    d.notice(test, 0);
    let told = d.tick(MIN);
    assert_eq!(summary(&told), ["ubnd-04252:1.1:commune"]);
    assert!(!told[0].needs_ack);
}

#[test]
fn the_state_survives_a_restart() {
    let mut d = dispatcher();
    d.notice(notice(1, 1, "river_flood", 1, &["04252"]), 0);
    d.tick(30_000);
    let saved = serde_json::to_string(&d.state).unwrap();
    let mut restarted = dispatcher();
    restarted.state = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        summary(&restarted.tick(30_000 + 15 * MIN)),
        ["ca-15:1.1:escalation from commune"]
    );
}

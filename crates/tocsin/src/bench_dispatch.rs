//! `tocsin bench dispatch-fanout`: routing and fan-out with the pure dispatcher
//! ([`tocsin_core::dispatch`]) and the built-in policy (`catalog/dispatch.toml`), on one core.
//! Synthetic recipients are placed on the registry's real province and commune codes; a fixed
//! generator (the same every run) raises, changes and ends warnings whose released versions enter
//! the dispatcher as time advances, and the dispatcher is ticked after each one. Only `notice` and
//! `tick` are timed.

use anyhow::{Context, Result, bail};
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tocsin_core::dispatch::{Dispatcher, Notice, Notification, Reason, Recipient, Tier};

/// `tocsin bench dispatch-fanout`.
#[derive(Args)]
pub struct FanoutArgs {
    /// The official registry files (`wards_3321_centroid_bbox.csv` gives the codes).
    #[arg(long, default_value = "../shared/data/vn/admin")]
    pub admin: PathBuf,
    /// Synthetic recipients.
    #[arg(long, default_value_t = 1000)]
    pub recipients: usize,
    /// Released versions sent through the dispatcher.
    #[arg(long, default_value_t = 10_000)]
    pub notices: usize,
    /// Simulated milliseconds between two released versions.
    #[arg(long, default_value_t = 100)]
    pub spacing_ms: i64,
}

/// Commune codes by province code, as the registry has them.
pub type Communes = BTreeMap<String, Vec<String>>;

/// Reads the current communes and their provinces from the registry's centroid file.
pub fn read_communes(admin: &Path) -> Result<Communes> {
    let path = admin.join("wards_3321_centroid_bbox.csv");
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("read {}", path.display()))?;
    let mut communes = Communes::new();
    for row in reader.records() {
        let row = row?;
        communes
            .entry(row[1].to_string())
            .or_default()
            .push(row[0].to_string());
    }
    if communes.is_empty() {
        bail!("{} lists no communes", path.display());
    }
    Ok(communes)
}

/// The sectors that have an agency in every province.
const PROVINCE_SECTORS: [&str; 4] = ["standing", "health", "environment", "police"];

/// `count` synthetic recipients: the national centre and the cyber security centre, four
/// agencies per province, then communes' people's committees spread evenly over the communes.
/// Every tenth takes exercises.
pub fn synthetic_recipients(communes: &Communes, count: usize) -> Vec<Recipient> {
    let national = [("standing", "VN"), ("cyber", "VN")]
        .map(|(sector, region)| (Tier::National, sector, region.to_string()));
    let provinces = communes
        .keys()
        .flat_map(|p| PROVINCE_SECTORS.map(|sector| (Tier::Province, sector, p.clone())));
    let fixed: Vec<_> = national.into_iter().chain(provinces).collect();
    let all: Vec<&String> = communes.values().flatten().collect();
    let wanted = count.saturating_sub(fixed.len()).min(all.len());
    let spread = (0..wanted).map(|i| {
        (
            Tier::Commune,
            "standing",
            all[i * all.len() / wanted].clone(),
        )
    });
    fixed
        .into_iter()
        .chain(spread)
        .take(count)
        .enumerate()
        .map(|(i, (tier, sector, region))| Recipient {
            id: format!("synthetic-{i:04}"),
            name: format!("synthetic {} {sector} agency {region}", tier.as_str()),
            sector: sector.into(),
            region,
            tier,
            exercises: i % 10 == 0,
        })
        .collect()
}

/// A linear congruential generator: the same workload every run.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

/// Hazards and their sectors as the built-in policy names them.
const HAZARDS: [(&str, &str); 8] = [
    ("river_flood", "disaster"),
    ("heavy_rain", "disaster"),
    ("flash_flood", "disaster"),
    ("heat", "disaster"),
    ("epidemic", "health"),
    ("air_pollution", "environment"),
    ("cyber_attack", "cyber"),
    ("high_tech_crime", "police"),
];

/// Warnings open at once at most.
const MAX_OPEN: usize = 300;

/// `count` released versions: warnings raised in random provinces (one to six of its communes,
/// levels 1–4, one in twenty an exercise), then escalated, updated and ended with an all-clear.
pub fn synthetic_notices(communes: &Communes, count: usize) -> Vec<Notice> {
    let provinces: Vec<&String> = communes.keys().collect();
    let mut rng = Lcg::new(7);
    let mut open: Vec<Notice> = Vec::new();
    let mut next_warning = 1;
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let raise = open.is_empty() || (open.len() < MAX_OPEN && rng.below(10) < 4);
        let mut notice = if raise {
            next_warning += 1;
            raised(next_warning - 1, &provinces, communes, &mut rng)
        } else {
            let i = rng.below(open.len());
            let next = changed(&open[i], communes, &mut rng);
            match next.ends() {
                true => drop(open.swap_remove(i)),
                false => open[i] = next.clone(),
            }
            next
        };
        notice.concurrent = open
            .iter()
            .any(|o| o.province == notice.province && o.hazard != notice.hazard);
        if raise {
            open.push(notice.clone());
        }
        out.push(notice);
    }
    out
}

fn raised(warning: u64, provinces: &[&String], communes: &Communes, rng: &mut Lcg) -> Notice {
    let (hazard, sector) = HAZARDS[rng.below(HAZARDS.len())];
    let province = provinces[rng.below(provinces.len())].clone();
    let mut notice = Notice {
        warning,
        version: 1,
        hazard: hazard.into(),
        sector: sector.into(),
        province,
        communes: Vec::new(),
        level: 1 + rng.below(4) as u8,
        status: if rng.below(20) == 0 {
            "Exercise"
        } else {
            "Actual"
        }
        .into(),
        action: "raised".into(),
        concurrent: false,
    };
    for _ in 0..=rng.below(6) {
        add_commune(&mut notice, communes, rng);
    }
    notice
}

fn add_commune(notice: &mut Notice, communes: &Communes, rng: &mut Lcg) {
    let of_province = &communes[&notice.province];
    let commune = &of_province[rng.below(of_province.len())];
    if !notice.communes.contains(commune) {
        notice.communes.push(commune.clone());
    }
}

/// The next version of a warning: an all-clear one time in four, else a level or area change.
fn changed(last: &Notice, communes: &Communes, rng: &mut Lcg) -> Notice {
    let mut next = Notice {
        version: last.version + 1,
        ..last.clone()
    };
    match rng.below(4) {
        0 => next.action = "all-clear".into(),
        1 if last.level < 5 => {
            next.level += 1;
            next.action = "escalated".into();
        }
        _ => {
            add_commune(&mut next, communes, rng);
            next.action = "updated".into();
        }
    }
    next
}

/// What the dispatcher made, by kind.
#[derive(Debug, Default, PartialEq)]
pub struct Tally {
    pub routed: usize,
    pub repeated: usize,
    pub escalated: usize,
    pub suppressed: usize,
}

impl Tally {
    pub fn add(&mut self, made: &[Notification]) {
        for n in made {
            match n.reason {
                Reason::Route { .. } => self.routed += 1,
                Reason::Repeat { .. } => self.repeated += 1,
                Reason::Escalation { .. } => self.escalated += 1,
            }
            self.suppressed += usize::from(n.suppressed.is_some());
        }
    }

    pub fn total(&self) -> usize {
        self.routed + self.repeated + self.escalated
    }
}

/// Feeds the notices `spacing_ms` apart, ticking after each, then once an hour after the last
/// (group waits and acknowledgement deadlines pass); what was made.
pub fn fan_out(dispatcher: &mut Dispatcher, notices: Vec<Notice>, spacing_ms: i64) -> Tally {
    let start_ms = 1_780_000_000_000;
    let mut tally = Tally::default();
    let mut now_ms = start_ms;
    for (i, notice) in notices.into_iter().enumerate() {
        now_ms = start_ms + i as i64 * spacing_ms;
        dispatcher.notice(notice, now_ms);
        tally.add(&dispatcher.tick(now_ms));
    }
    tally.add(&dispatcher.tick(now_ms + 3_600_000));
    tally
}

/// `tocsin bench dispatch-fanout`.
pub fn fanout(args: &FanoutArgs) -> Result<()> {
    let communes = read_communes(&args.admin)?;
    let recipients = synthetic_recipients(&communes, args.recipients);
    let notices = synthetic_notices(&communes, args.notices);
    let warnings = notices.iter().filter(|n| n.version == 1).count();
    let policy = tocsin_engine::dispatch::read_policy(tocsin_engine::dispatch::BUILTIN_POLICY)
        .map_err(|e| anyhow::anyhow!("built-in policy: {e}"))?;
    println!(
        "{} synthetic recipients over {} provinces, {} notices ({warnings} warnings), {} ms apart, built-in policy",
        recipients.len(),
        communes.len(),
        notices.len(),
        args.spacing_ms
    );
    let mut dispatcher = Dispatcher::new(policy, recipients);
    let count = notices.len();
    let started = Instant::now();
    let tally = fan_out(&mut dispatcher, notices, args.spacing_ms);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} notifications ({} routed, {} repeats, {} escalations; {} of them suppressed) in {seconds:.3} s",
        tally.total(),
        tally.routed,
        tally.repeated,
        tally.escalated,
        tally.suppressed
    );
    println!(
        "{:.0} notices/s, {:.0} notifications/s (one core)",
        count as f64 / seconds,
        tally.total() as f64 / seconds
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn communes() -> Communes {
        let mut c = Communes::new();
        c.insert("01".into(), vec!["00004".into(), "00008".into()]);
        c.insert("79".into(), (0..10).map(|i| format!("26{i:03}")).collect());
        c
    }

    #[test]
    fn recipients_cover_the_nation_every_province_and_spread_over_communes() {
        let r = synthetic_recipients(&communes(), 14);
        let tiers: Vec<_> = r
            .iter()
            .map(|r| (r.tier.as_str(), r.region.as_str()))
            .collect();
        assert_eq!(r.len(), 14);
        assert_eq!(
            &tiers[..3],
            [("national", "VN"), ("national", "VN"), ("province", "01")]
        );
        assert_eq!(
            &tiers[10..],
            [
                ("commune", "00004"),
                ("commune", "26001"),
                ("commune", "26004"),
                ("commune", "26007")
            ]
        );
        assert!(r.iter().all(|r| r.id.starts_with("synthetic-")));
        assert_eq!(synthetic_recipients(&communes(), 3).len(), 3);
    }

    #[test]
    fn notices_version_each_warning_in_order_and_end_it_last() {
        let notices = synthetic_notices(&communes(), 500);
        assert_eq!(notices.len(), 500);
        let mut last: BTreeMap<u64, &Notice> = BTreeMap::new();
        for n in &notices {
            let before = last.insert(n.warning, n);
            assert_eq!(n.version, before.map_or(1, |b| b.version + 1));
            assert!(
                before.is_none_or(|b| !b.ends()),
                "a version after the all-clear"
            );
            assert!(
                n.communes
                    .iter()
                    .all(|c| communes()[&n.province].contains(c))
            );
        }
        assert_eq!(
            notices,
            synthetic_notices(&communes(), 500),
            "the same every run"
        );
    }

    #[test]
    fn the_builtin_policy_fans_out_to_the_synthetic_recipients() {
        let policy =
            tocsin_engine::dispatch::read_policy(tocsin_engine::dispatch::BUILTIN_POLICY).unwrap();
        let mut dispatcher = Dispatcher::new(policy, synthetic_recipients(&communes(), 14));
        let tally = fan_out(&mut dispatcher, synthetic_notices(&communes(), 200), 100);
        assert!(tally.routed > 200, "{tally:?}");
        assert!(tally.escalated > 0, "{tally:?}");
    }
}

//! `tocsin bench response`: matching one incident's requests against a national registry of
//! SYNTHETIC resources (50,000 by default), spread over the real communes by a fixed generator
//! (the same every run). Two figures per incident, each over many incidents in different
//! communes: the plan alone (index the free resources, fill every request of the level-4 flood
//! scenarios on-site → province → neighbours → national reserves), and the whole engine call
//! that opens an incident from a report at level 4 (locate the commune, read the free resources of
//! the kinds asked for, plan, book every allocation and write the timeline, one durable commit).

use anyhow::{Result, bail};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tocsin_core::clock::ManualClock;
use tocsin_core::response::matching::{Need, Place, Registry};
use tocsin_core::response::{Category, Tier};
use tocsin_engine::access::Principal;
use tocsin_engine::response::Report;
use tocsin_engine::{Engine, EngineOptions, ResourceRecord};

/// `tocsin bench response`.
#[derive(Args)]
pub struct ResponseArgs {
    /// The official registry files.
    #[arg(long, default_value = "../shared/data/vn/admin")]
    pub admin: PathBuf,
    /// Synthetic resources in the registry.
    #[arg(long, default_value_t = 50_000)]
    pub resources: usize,
    /// Incidents opened (each in another commune).
    #[arg(long, default_value_t = 50)]
    pub incidents: usize,
}

/// A commune with its province and centroid.
struct Commune {
    code: String,
    province: String,
    lon: f64,
    lat: f64,
}

/// The current communes with a centroid, as the imported registry has them.
fn read_communes(engine: &Engine) -> Result<Vec<Commune>> {
    let admin = Principal::local_admin();
    let mut communes = Vec::new();
    for province in engine.children(&admin, tocsin_core::region::NATION_CODE, None)? {
        for commune in engine.children(&admin, &province.code, None)? {
            if let Some([lon, lat]) = commune.centroid {
                communes.push(Commune {
                    code: commune.code,
                    province: province.code.clone(),
                    lon,
                    lat,
                });
            }
        }
    }
    if communes.is_empty() {
        bail!("the registry has no communes");
    }
    Ok(communes)
}

/// A fixed pseudo-random sequence (SplitMix64).
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `count` synthetic resources of the kinds the scenarios ask for: most in a commune, one in
/// twenty in a provincial depot, one in a hundred in the national reserves.
fn synthetic_registry(
    communes: &[Commune],
    kinds: &[(Category, String)],
    count: usize,
) -> Vec<ResourceRecord> {
    let mut random = Sequence(147);
    (0..count)
        .map(|i| {
            let commune = &communes[random.below(communes.len() as u64) as usize];
            let (category, kind) = &kinds[random.below(kinds.len() as u64) as usize];
            let roll = random.below(100);
            let tier = match roll {
                0 => Tier::National,
                1..=5 => Tier::Province,
                _ => Tier::Commune,
            };
            let quantity = 1 + random.below(if *category == Category::Logistics {
                2_000
            } else {
                40
            });
            ResourceRecord {
                id: format!("SYN-R{i:06}"),
                name: format!("synthetic {kind} {i}"),
                category: *category,
                kind: kind.clone(),
                unit: "unit".into(),
                quantity,
                assigned: 0,
                status: "available".into(),
                owner: "synthetic agency".into(),
                commune: (tier == Tier::Commune).then(|| commune.code.clone()),
                province: commune.province.clone(),
                tier,
                lon: commune.lon,
                lat: commune.lat,
                readiness_minutes: 30,
                skills: Vec::new(),
            }
        })
        .collect()
}

fn spread(mut values: Vec<f64>) -> String {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        at(0.5),
        at(0.9),
        at(1.0)
    )
}

pub fn response(args: &ResponseArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse()?));
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = Engine::open(dir.path(), &options, clock)?;
    engine.import_regions(&args.admin, &[])?;
    let communes = read_communes(&engine)?;
    let admin = Principal::local_admin();
    let playbooks = engine.playbooks();
    let mut kinds: Vec<(Category, String)> = playbooks
        .scenarios
        .iter()
        .flat_map(|s| s.request.iter().map(|r| (r.category, r.kind.clone())))
        .collect();
    kinds.sort();
    kinds.dedup();
    let registry = synthetic_registry(&communes, &kinds, args.resources);
    engine.set_resources(&admin, &registry)?;
    let needs: Vec<Need> = playbooks
        .firing("river_flood", Tier::Commune, 4, false)
        .iter()
        .flat_map(|s| s.request.iter().map(|r| r.need()))
        .collect();
    println!(
        "{} SYNTHETIC resources of {} kinds over {} communes; one incident asks for {} requests (river flood, level 4, commune scenarios)",
        registry.len(),
        kinds.len(),
        communes.len(),
        needs.len()
    );

    let neighbours = engine.province_neighbours()?;
    let available: Vec<_> = registry.iter().map(ResourceRecord::available).collect();
    let mut random = Sequence(18);
    let chosen: Vec<&Commune> = (0..args.incidents)
        .map(|_| &communes[random.below(communes.len() as u64) as usize])
        .collect();
    let mut plans = Vec::new();
    for commune in &chosen {
        let place = Place {
            commune: commune.code.clone(),
            province: commune.province.clone(),
            location: [commune.lon, commune.lat],
            neighbours: neighbours
                .get(&commune.province)
                .cloned()
                .unwrap_or_default(),
        };
        let started = Instant::now();
        let plan = Registry::new(&available).plan(&place, &needs);
        plans.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(plan);
    }
    println!(
        "plan alone (index + fill), {} incidents: {}",
        plans.len(),
        spread(plans)
    );

    let mut calls = Vec::new();
    let mut allocations = 0;
    let mut shortfalls = 0;
    for commune in &chosen {
        let report = Report {
            hazard: "river_flood".into(),
            lat: commune.lat,
            lon: commune.lon,
            text: "synthetic report for the benchmark".into(),
            reporter: "bench".into(),
            level: Some(4),
            attachments: Vec::new(),
        };
        let started = Instant::now();
        let outcome = engine.open_incident(&admin, &report)?;
        calls.push(started.elapsed().as_secs_f64() * 1000.0);
        allocations += outcome.plan.allocations.len();
        shortfalls += outcome.plan.shortfalls.len();
    }
    println!(
        "open an incident from a report and book it (engine, SQLite, durable), {} incidents: {}",
        calls.len(),
        spread(calls)
    );
    println!("{allocations} allocations and {shortfalls} shortfalls in all");
    Ok(())
}

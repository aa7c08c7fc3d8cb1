//! Conformance of the region registry with its history, and of stations with their series.

use crate::traits::*;
use crate::*;
use jiff::civil::{Date, date};
use tocsin_core::change::Actor;
use tocsin_core::region::{Region, RegionKind, Succession};
use tocsin_core::station::{Domain, MetricSpec, Station};

/// The day of the 2025 reform in this synthetic registry.
const REFORM: Date = date(2025, 7, 1);

fn unit(
    code: &str,
    kind: RegionKind,
    parent: Option<&str>,
    period: (Option<Date>, Option<Date>),
) -> Region {
    Region {
        code: code.into(),
        kind,
        name: format!("Đơn vị {code}"),
        name_en: format!("Unit {code}"),
        division_type: "xã".into(),
        parent: parent.map(str::to_string),
        valid_from: period.0,
        valid_to: period.1,
        centroid: Some([105.8, 21.0]),
        bbox: None,
        source: "synthetic".into(),
    }
}

fn record(region: Region, provinces: &[&str]) -> RegionRecord {
    RegionRecord {
        region,
        boundary: None,
        provinces: provinces.iter().map(|p| p.to_string()).collect(),
    }
}

/// A synthetic registry: the nation; provinces 01 and 02; in 01 a district 001 with commune
/// 00001 until the reform, and commune 00004 from it, which 00001 passed into whole.
pub(super) fn import_registry(store: &dyn Store) {
    use RegionKind::*;
    let regions = [
        record(unit("VN", Nation, None, (None, None)), &[]),
        record(unit("01", Province, Some("VN"), (None, None)), &["01"]),
        record(unit("02", Province, Some("VN"), (None, None)), &["02"]),
        record(
            unit("001", District, Some("01"), (None, Some(REFORM))),
            &["01"],
        ),
        record(
            unit("00001", Commune, Some("001"), (None, Some(REFORM))),
            &["01"],
        ),
        record(
            unit("00004", Commune, Some("01"), (Some(REFORM), None)),
            &["01"],
        ),
    ];
    let successions = [SuccessionRecord {
        from: "00001".into(),
        to: "00004".into(),
        on: REFORM,
        relation: Succession::Whole,
        note: "synthetic merge".into(),
    }];
    store
        .import_regions(&regions, &successions, 0, &Actor::Node)
        .unwrap();
}

fn province(code: &str) -> RegionFilter {
    RegionFilter {
        root: FilterRoot::Province(code.into()),
        domains: Vec::new(),
    }
}

fn codes(regions: &[Region]) -> Vec<&str> {
    regions.iter().map(|r| r.code.as_str()).collect()
}

pub fn a_unit_is_read_as_it_was_on_the_day_asked_and_only_within_the_filter(store: &dyn Store) {
    import_registry(store);
    let all = RegionFilter::all();
    let before = date(2025, 1, 1);
    let after = date(2026, 1, 1);
    assert!(store.region("00001", before, &all).unwrap().is_some());
    assert_eq!(store.region("00001", after, &all).unwrap(), None, "retired");
    assert_eq!(
        store.region("00004", before, &all).unwrap(),
        None,
        "not yet made"
    );
    let current = store.region("00004", after, &all).unwrap().unwrap();
    assert_eq!(
        current,
        unit(
            "00004",
            RegionKind::Commune,
            Some("01"),
            (Some(REFORM), None)
        )
    );
    assert_eq!(codes(&store.children("01", before, &all).unwrap()), ["001"]);
    assert_eq!(
        codes(&store.children("01", after, &all).unwrap()),
        ["00004"]
    );
    assert_eq!(store.count_regions(RegionKind::Commune, after).unwrap(), 1);
    assert_eq!(store.count_regions(RegionKind::Province, after).unwrap(), 2);
    assert!(
        store
            .region("00004", after, &province("01"))
            .unwrap()
            .is_some()
    );
    assert_eq!(store.region("00004", after, &province("02")).unwrap(), None);
    assert!(
        store
            .children("01", after, &province("02"))
            .unwrap()
            .is_empty()
    );
}

pub fn a_retired_unit_leads_to_the_current_units_that_took_it_over(store: &dyn Store) {
    import_registry(store);
    let all = RegionFilter::all();
    let today = date(2026, 1, 1);
    let links = store
        .successors("00001", date(2025, 1, 1), today, &all)
        .unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].region.code, "00004");
    assert_eq!(links[0].relation, Succession::Whole);
    assert_eq!(links[0].changes, [REFORM]);
    let itself = store.successors("00004", today, today, &all).unwrap();
    assert_eq!(
        codes(&itself.iter().map(|l| l.region.clone()).collect::<Vec<_>>()),
        ["00004"]
    );
    assert!(
        store
            .successors("00001", date(2025, 1, 1), today, &province("02"))
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .successors("99999", today, today, &all)
            .unwrap()
            .is_empty()
    );
}

pub(super) fn station(id: &str, domain: Domain) -> Station {
    Station {
        id: id.into(),
        name: format!("Trạm {id}"),
        domain,
        lat: 21.0,
        lon: 105.8,
        commune: Some("00004".into()),
        metrics: vec![MetricSpec {
            name: "rain_mm".into(),
            unit: "mm".into(),
            min: 0.0,
            max: 500.0,
            interval_s: 3600,
        }],
        attributes: Default::default(),
        retired: None,
    }
}

pub fn stations_are_stored_with_their_series_and_read_within_the_filter(store: &dyn Store) {
    import_registry(store);
    let rain = station("S1", Domain::Hydromet);
    let air = station("S2", Domain::Air);
    let provinces = [Some("01".to_string()), Some("01".to_string())];
    store
        .upsert_stations(&[rain.clone(), air.clone()], &provinces, 5, &Actor::Node)
        .unwrap();
    assert_eq!(
        store.station("S1", &RegionFilter::all()).unwrap(),
        Some(rain.clone())
    );
    assert_eq!(store.station("S1", &province("02")).unwrap(), None);
    let hydromet = RegionFilter {
        root: FilterRoot::Province("01".into()),
        domains: vec![Domain::Hydromet],
    };
    let ids: Vec<String> = store
        .stations(&hydromet)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, ["S1"]);
    let series = store.series_catalog().unwrap();
    assert_eq!(series.len(), 2);
    assert!(
        series
            .iter()
            .all(|s| s.metric == "rain_mm" && s.province.as_deref() == Some("01"))
    );
    let renamed = Station {
        name: "Trạm mới".into(),
        ..rain
    };
    store
        .upsert_stations(
            std::slice::from_ref(&renamed),
            &provinces[..1],
            6,
            &Actor::Node,
        )
        .unwrap();
    assert_eq!(
        store.station("S1", &RegionFilter::all()).unwrap(),
        Some(renamed)
    );
    assert_eq!(
        store.series_catalog().unwrap().len(),
        2,
        "a station's series is kept when it is replaced"
    );
}

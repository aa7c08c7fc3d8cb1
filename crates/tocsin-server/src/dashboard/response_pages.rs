//! The response pages: incidents (`/incidents`), one incident with its command roles, tasks
//! (with a button to mark one done), requests and shortfalls, assigned resources, timeline and
//! situation report (`/incidents/{id}`), and the resource registry by the four on-site
//! categories (`/resources`).

use super::i18n::Lang;
use super::{Viewer, page};
use crate::api::{AppState, blocking};
use crate::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use std::sync::Arc;
use tocsin_engine::{IncidentRecord, ResourceRecord};

/// An incident as a list row.
pub struct IncidentRow {
    pub id: u64,
    pub title: String,
    pub level: u8,
    pub level_name: &'static str,
    pub status: String,
    pub exercise: bool,
    pub opened: String,
}

impl IncidentRow {
    fn of(i: &IncidentRecord, lang: Lang) -> IncidentRow {
        IncidentRow {
            id: i.id,
            title: i.title.clone(),
            level: i.level.min(5),
            level_name: lang.labels().levels[usize::from(i.level.min(5))],
            status: i.status.clone(),
            exercise: i.exercise,
            opened: lang.time(i.opened_ms),
        }
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    v: Viewer,
    rows: Vec<IncidentRow>,
    /// Older incidents than these exist (the page shows one page of the list).
    cut: bool,
}

pub async fn incidents(State(state): State<Arc<AppState>>, v: Viewer) -> Response {
    let engine = state.engine.clone();
    let who = v.principal.clone();
    match blocking(move || engine.incidents(&who, None, 500)).await {
        Ok(found) => {
            let rows = found
                .items
                .iter()
                .map(|i| IncidentRow::of(i, v.lang))
                .collect();
            let cut = found.next.is_some();
            page(IncidentsPage { v, rows, cut }.render())
        }
        Err(e) => super::pages::failure(e),
    }
}

pub struct TaskRow {
    pub task: String,
    pub title: String,
    pub lead: String,
    pub due: String,
    pub overdue: bool,
    pub status: String,
    pub open: bool,
}

pub struct RequestRow {
    pub category: &'static str,
    pub kind: String,
    pub quantity: u64,
    pub unit: String,
    pub shortfall: u64,
}

pub struct AssignmentRow {
    pub resource: String,
    pub quantity: u64,
    pub source: String,
    pub distance: String,
    pub released: bool,
}

pub struct EntryRow {
    pub time: String,
    pub kind: String,
    pub text: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    v: Viewer,
    incident: IncidentRow,
    warning: Option<u64>,
    roles: Vec<(String, String)>,
    tasks: Vec<TaskRow>,
    requests: Vec<RequestRow>,
    assignments: Vec<AssignmentRow>,
    timeline: Vec<EntryRow>,
    sitrep: String,
}

pub async fn incident(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Path(id): Path<u64>,
) -> Response {
    let engine = state.engine.clone();
    let (who, english) = (v.principal.clone(), v.lang == Lang::En);
    let gathered = blocking(move || {
        let detail = engine.incident(&who, id)?;
        let sitrep = engine.situation_report(&who, id, english)?;
        let now = engine.clock().now().as_millisecond();
        Ok((detail, sitrep, now))
    })
    .await;
    let (d, sitrep, now) = match gathered {
        Ok(found) => found,
        Err(e) => return super::pages::failure(e),
    };
    let lang = v.lang;
    let t = lang.labels();
    let tasks = d
        .tasks
        .iter()
        .map(|k| TaskRow {
            task: k.task.clone(),
            title: if english {
                k.title_en.clone()
            } else {
                k.title_vi.clone()
            },
            lead: k.lead.clone(),
            due: lang.time(k.due_ms),
            overdue: k.status == "open" && k.due_ms < now,
            status: k.status.clone(),
            open: k.status == "open" && d.incident.status == "open",
        })
        .collect();
    let requests = d
        .requests
        .iter()
        .map(|r| RequestRow {
            category: t.category(r.category.as_str()),
            kind: r.kind.clone(),
            quantity: r.quantity,
            unit: r.unit.clone(),
            shortfall: r.shortfall,
        })
        .collect();
    let assignments = d
        .assignments
        .iter()
        .map(|a| AssignmentRow {
            resource: a.resource.clone(),
            quantity: a.quantity,
            source: a.source.clone(),
            distance: lang.number(a.distance_km),
            released: a.released_ms.is_some(),
        })
        .collect();
    let timeline = d
        .timeline
        .iter()
        .rev()
        .map(|e| EntryRow {
            time: lang.time(e.time_ms),
            kind: e.kind.clone(),
            text: e.text.clone(),
            by: e.by.clone(),
        })
        .collect();
    page(
        IncidentPage {
            incident: IncidentRow::of(&d.incident, lang),
            warning: d.incident.warning,
            roles: d.roles.clone(),
            tasks,
            requests,
            assignments,
            timeline,
            sitrep,
            v,
        }
        .render(),
    )
}

pub struct ResourceRow {
    pub id: String,
    pub name: String,
    pub category: &'static str,
    pub kind: String,
    pub quantity: u64,
    pub assigned: u64,
    pub unit: String,
    pub status: String,
    pub owner: String,
    pub place: String,
}

#[derive(Template)]
#[template(path = "resources.html")]
struct ResourcesPage {
    v: Viewer,
    rows: Vec<ResourceRow>,
}

pub async fn resources(State(state): State<Arc<AppState>>, v: Viewer) -> Response {
    let engine = state.engine.clone();
    let who = v.principal.clone();
    let found: Vec<ResourceRecord> = match blocking(move || engine.resources(&who)).await {
        Ok(found) => found,
        Err(e) => return super::pages::failure(e),
    };
    let t = v.t;
    let rows = found
        .iter()
        .take(2_000)
        .map(|r| ResourceRow {
            id: r.id.clone(),
            name: r.name.clone(),
            category: t.category(r.category.as_str()),
            kind: r.kind.clone(),
            quantity: r.quantity,
            assigned: r.assigned,
            unit: r.unit.clone(),
            status: r.status.clone(),
            owner: r.owner.clone(),
            place: match &r.commune {
                Some(c) => format!("{c} / {}", r.province),
                None => format!("{} ({})", r.province, r.tier.as_str()),
            },
        })
        .collect();
    page(ResourcesPage { v, rows }.render())
}

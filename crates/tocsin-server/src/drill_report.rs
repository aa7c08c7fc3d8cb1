//! The drill report as a self-contained HTML page (no outside resources): the scores, and a
//! timeline chart in SVG — one row per warning coloured by its level over time, the expected
//! outcomes as markers (green when met in time, red when not), incidents as ticks — and the
//! comparison of two reports.

use tocsin_engine::drill::score::DrillReport;

const COLOURS: [&str; 6] = [
    "#e8edf1", "#8ecdf0", "#ffe34d", "#ff9a1f", "#e0241b", "#7b2a98",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The milliseconds of a timestamp in a report (0 when it is not one).
pub(crate) fn millis(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>()
        .map_or(0, |t| t.as_millisecond())
}

/// The report as HTML.
pub fn html(report: &DrillReport) -> String {
    let (start, end) = (millis(&report.start), millis(&report.end));
    let width = 1000.0;
    let x = |ms: i64| 160.0 + (ms - start) as f64 / (end - start).max(1) as f64 * (width - 170.0);
    let row_height = 22.0;
    let mut svg = String::new();
    for (row, w) in report.warnings.iter().enumerate() {
        let y = 30.0 + row as f64 * row_height;
        svg.push_str(&format!(
            r#"<text x="4" y="{:.0}">#{} {} {}</text>"#,
            y + 14.0,
            w.warning,
            escape(&w.hazard),
            escape(&w.province)
        ));
        for (i, (time, level)) in w.levels.iter().enumerate() {
            let until = w.levels.get(i + 1).map_or(end, |next| millis(&next.0));
            let (a, b) = (x(millis(time)), x(until));
            svg.push_str(&format!(
                r#"<rect x="{a:.1}" y="{y:.0}" width="{:.1}" height="16" fill="{}"><title>{} {}</title></rect>"#,
                (b - a).max(1.0), COLOURS[usize::from((*level).min(5))], escape(time), level
            ));
        }
    }
    let bottom = 30.0 + report.warnings.len() as f64 * row_height + 10.0;
    for e in &report.expectations {
        let colour = if e.met { "#1a7f37" } else { "#a4161a" };
        let bx = x(e.expected.by.as_millisecond());
        svg.push_str(&format!(
            r#"<path d="M{bx:.1} {bottom:.0} l6 8 l-6 8 l-6 -8 z" fill="{colour}"><title>{} {} {} ≥ {} by {}</title></path>"#,
            escape(&e.expected.what), escape(&e.expected.hazard), escape(&e.expected.province), e.expected.min_level, e.expected.by
        ));
    }
    for i in &report.incidents {
        let ix = x(millis(&i.opened));
        svg.push_str(&format!(
            r##"<line x1="{ix:.1}" x2="{ix:.1}" y1="{:.0}" y2="{:.0}" stroke="#10263d" stroke-width="2"><title>incident #{} {}</title></line>"##,
            bottom + 20.0, bottom + 34.0, i.id, escape(&i.title)
        ));
    }
    let height = bottom + 50.0;
    let rows: String = report
        .expectations
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>≥ {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&e.expected.what), escape(&e.expected.hazard), escape(&e.expected.province), e.expected.min_level,
                e.expected.by, if e.met { "met" } else { "NOT MET" }, e.level_reached,
                e.lead_minutes.map_or_else(|| "—".into(), |m| format!("{m} min")),
            )
        })
        .collect();
    let incidents: String = report
        .incidents
        .iter()
        .map(|i| {
            let short: Vec<String> = i.shortfalls.iter().map(|(k, n)| format!("{k} {n}")).collect();
            format!(
                "<tr><td>#{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i.id, escape(&i.title), i.level, escape(&i.opened),
                i.minutes_after_warning.map_or_else(|| "—".into(), |m| format!("{m} min")),
                i.overdue_tasks, escape(&short.join(", "))
            )
        })
        .collect();
    let alerts: String = report
        .alerts
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.time),
                escape(&a.label),
                if a.genuine { "genuine" } else { "fake" },
                escape(&a.verdict),
                if a.trusted == a.genuine {
                    "rightly"
                } else {
                    "WRONGLY"
                }
            )
        })
        .collect();
    let faults: String = report
        .faults
        .iter()
        .map(|f| {
            format!(
                "<tr><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                f.fault.kind,
                escape(&f.fault.from.to_string()),
                escape(&f.fault.to.to_string()),
                escape(&f.fault.participants.join(", ")),
                escape(&f.fault.note),
                f.held_observations,
                f.held_messages
            )
        })
        .collect();
    let n = &report.notifications;
    let notifications = format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        n.total,
        n.delivered,
        n.failed_attempts,
        n.undelivered,
        n.escalations,
        n.acknowledged,
        n.median_minutes_to_ack
            .map_or_else(|| "—".into(), |m| format!("{m} min"))
    );
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Drill report — {id}</title>
<style>body{{font:14px system-ui,sans-serif;margin:1.5rem;color:#1b1f24}}table{{border-collapse:collapse;margin:.5rem 0 1.5rem}}th,td{{border-bottom:1px solid #c9d1d9;padding:.25rem .6rem;text-align:left}}svg text{{font-size:11px}}.ex{{color:#a4161a;font-weight:700}}</style></head>
<body><p class="ex">EXERCISE — DIỄN TẬP</p><h1>{title_en}</h1><p>{title_vi}</p>
<p>{start} → {end} · {obs} observations · {met} of {n} expectations met · level accuracy {acc:.0}% · {warnings} warnings ({false_n} not expected) · {inc} incidents · notifications {nt} ({na} acknowledged)</p>
<h2>Timeline</h2><svg viewBox="0 0 {width} {height:.0}" width="{width}" height="{height:.0}" role="img" aria-label="warnings by level over time">{svg}</svg>
<h2>Expected outcome</h2><table><tr><th>what</th><th>hazard</th><th>province</th><th>level</th><th>by</th><th>result</th><th>reached</th><th>lead</th></tr>{rows}</table>
<h2>Incidents</h2><table><tr><th>id</th><th>title</th><th>level</th><th>opened</th><th>after warning</th><th>overdue tasks</th><th>shortfalls</th></tr>{incidents}</table>
<h2>Outside alerts</h2><table><tr><th>time</th><th>alert</th><th>truth</th><th>verification</th><th>judged</th></tr>{alerts}</table>
<h2>Notifications</h2><table><tr><th>total</th><th>delivered</th><th>failed attempts</th><th>undelivered</th><th>escalations</th><th>acknowledged</th><th>median to acknowledgement</th></tr>{notifications}</table>
<h2>Faults</h2><table><tr><th>kind</th><th>from</th><th>to</th><th>participants</th><th>note</th><th>observations held</th><th>reports and alerts held</th></tr>{faults}</table>
</body></html>
"#,
        id = escape(&report.drill),
        title_en = escape(&report.title_en),
        title_vi = escape(&report.title_vi),
        start = escape(&report.start),
        end = escape(&report.end),
        obs = report.observations,
        met = report.expectations_met,
        n = report.expectations.len(),
        acc = report.level_accuracy * 100.0,
        warnings = report.warnings.len(),
        false_n = report.false_warnings.len(),
        inc = report.incidents.len(),
        nt = report.notifications.total,
        na = report.notifications.acknowledged,
    )
}

/// What changed between two reports of the same drill, one line per difference.
pub fn compare(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let mut lines = Vec::new();
    let empty = Vec::new();
    let (ea, eb) = (
        a["expectations"].as_array().unwrap_or(&empty),
        b["expectations"].as_array().unwrap_or(&empty),
    );
    for (x, y) in ea.iter().zip(eb) {
        let what = format!(
            "{} {} in {}",
            x["expected"]["what"], x["expected"]["hazard"], x["expected"]["province"]
        );
        for field in ["met", "lead_minutes", "level_reached"] {
            if x[field] != y[field] {
                lines.push(format!("{what}: {field} {} → {}", x[field], y[field]));
            }
        }
    }
    for field in ["expectations_met", "level_accuracy", "observations"] {
        if a[field] != b[field] {
            lines.push(format!("{field}: {} → {}", a[field], b[field]));
        }
    }
    let count = |v: &serde_json::Value, key: &str| v[key].as_array().map_or(0, Vec::len);
    for key in ["warnings", "false_warnings", "incidents"] {
        if count(a, key) != count(b, key) {
            lines.push(format!("{key}: {} → {}", count(a, key), count(b, key)));
        }
    }
    lines
}

//! The situation report of an incident, from a fixed template in Vietnamese or English: the
//! incident, its command roles, tasks by state (overdue ones marked), resources on their way and
//! what is missing, and the latest timeline entries.

use tocsin_store::IncidentDetail;

fn time_text(ms: i64) -> String {
    let Ok(at) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    at.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
        .strftime("%Y-%m-%d %H:%M (UTC+7)")
        .to_string()
}

/// The report as plain text.
pub fn render(d: &IncidentDetail, now_ms: i64, english: bool) -> String {
    let t = |vi: &'static str, en: &'static str| if english { en } else { vi };
    let i = &d.incident;
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "{} #{}: {}",
        t("BÁO CÁO TÌNH HÌNH — Sự cố", "SITUATION REPORT — Incident"),
        i.id,
        i.title
    ));
    if i.exercise {
        line(t("*** DIỄN TẬP ***", "*** EXERCISE ***").into());
    }
    line(format!(
        "{}: {}",
        t("Thời điểm", "As of"),
        time_text(now_ms)
    ));
    line(format!(
        "{}: {} · {}: {} · {}: {}",
        t("Khu vực", "Area"),
        i.area,
        t("Cấp độ", "Level"),
        i.level,
        t("Trạng thái", "Status"),
        i.status
    ));
    line(format!(
        "{}: {}",
        t("Mở lúc", "Opened"),
        time_text(i.opened_ms)
    ));
    line(String::new());
    line(t("Chỉ huy sự cố:", "Incident command:").into());
    if d.roles.is_empty() {
        line(format!("  {}", t("(chưa phân công)", "(not assigned)")));
    }
    for (role, holder) in &d.roles {
        line(format!("  {role}: {holder}"));
    }
    line(String::new());
    let open = d.tasks.iter().filter(|k| k.status == "open").count();
    let done = d.tasks.iter().filter(|k| k.status == "done").count();
    line(format!(
        "{} {open} {} · {done} {}",
        t("Nhiệm vụ:", "Tasks:"),
        t("đang làm", "open"),
        t("đã xong", "done")
    ));
    for k in d.tasks.iter().filter(|k| k.status == "open") {
        let overdue = if k.due_ms < now_ms {
            t(" — QUÁ HẠN", " — OVERDUE")
        } else {
            ""
        };
        let title = if english { &k.title_en } else { &k.title_vi };
        line(format!(
            "  [{}] {title} ({}: {}; {} {}){overdue}",
            k.task,
            t("chủ trì", "lead"),
            k.lead,
            t("hạn", "due"),
            time_text(k.due_ms)
        ));
    }
    line(String::new());
    line(
        t(
            "Lực lượng, phương tiện đã điều động:",
            "Resources assigned:",
        )
        .into(),
    );
    for a in d.assignments.iter().filter(|a| a.released_ms.is_none()) {
        line(format!(
            "  {} × {} ({}, {:.0} km)",
            a.quantity, a.resource, a.source, a.distance_km
        ));
    }
    let short: Vec<_> = d.requests.iter().filter(|r| r.shortfall > 0).collect();
    if !short.is_empty() {
        line(t("Còn thiếu:", "Shortfalls:").into());
        for r in short {
            line(format!(
                "  {}: {} / {} {}",
                r.kind, r.shortfall, r.quantity, r.unit
            ));
        }
    }
    line(String::new());
    line(t("Diễn biến gần nhất:", "Latest events:").into());
    for e in d.timeline.iter().rev().take(10) {
        line(format!(
            "  {} {} — {} ({})",
            time_text(e.time_ms),
            e.kind,
            e.text,
            e.by
        ));
    }
    out
}

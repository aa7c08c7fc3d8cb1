//! The dashboard's two languages: Vietnamese (the default) and English, chosen with the
//! `tocsin_lang` cookie. Every label is a field of [`Labels`], so a missing translation is a
//! compile error; times are shown in Vietnam's time (UTC+7, no daylight saving) and numbers with
//! the language's decimal separator.

use serde::Serialize;

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "tocsin_lang";

impl Lang {
    /// Reads the `tocsin_lang` cookie; Vietnamese unless it says `en`.
    pub fn from_cookie(value: Option<&str>) -> Lang {
        match value {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language the switch offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    pub fn labels(self) -> &'static Labels {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// A time in Vietnam, e.g. `14:05 01/12/2026` or `2026-12-01 14:05`.
    pub fn time(self, ms: i64) -> String {
        let Ok(at) = jiff::Timestamp::from_millisecond(ms) else {
            return String::new();
        };
        let local = at.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)));
        match self {
            Lang::Vi => local.strftime("%H:%M %d/%m/%Y").to_string(),
            Lang::En => local.strftime("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// A measured value with up to two decimals, e.g. `33,98` or `33.98`.
    pub fn number(self, value: f64) -> String {
        let text = format!("{:.2}", value);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        match self {
            Lang::Vi => text.replace('.', ","),
            Lang::En => text.to_string(),
        }
    }
}

/// Every label of the dashboard in one language; the scripts receive it as JSON.
#[derive(Debug, Serialize)]
pub struct Labels {
    pub product: &'static str,
    pub skip_to_content: &'static str,
    pub nav_map: &'static str,
    pub nav_warnings: &'static str,
    pub switch_language: &'static str,
    pub sign_out: &'static str,
    pub signed_in_as: &'static str,
    /// Level 0 (calm) to 5.
    pub levels: [&'static str; 6],
    pub level: &'static str,
    pub map_title: &'static str,
    pub map_label: &'static str,
    pub legend: &'static str,
    pub communes_per_level: &'static str,
    pub highest_level: &'static str,
    pub show_stations: &'static str,
    pub zoom_in: &'static str,
    pub zoom_out: &'static str,
    pub reset_view: &'static str,
    pub map_help: &'static str,
    pub live: &'static str,
    pub reconnecting: &'static str,
    pub loading: &'static str,
    pub selected: &'static str,
    pub open_region: &'static str,
    pub hazards: &'static str,
    pub none: &'static str,
    pub warnings_in_force: &'static str,
    pub no_warnings: &'static str,
    pub region: &'static str,
    pub province: &'static str,
    pub commune: &'static str,
    pub active_levels: &'static str,
    pub rule: &'static str,
    pub station: &'static str,
    pub stations: &'static str,
    pub value: &'static str,
    pub since: &'static str,
    pub level_history: &'static str,
    pub no_level_history: &'static str,
    pub charts: &'static str,
    pub range_24h: &'static str,
    pub range_7d: &'static str,
    pub range_30d: &'static str,
    pub no_data: &'static str,
    pub latest: &'static str,
    pub threshold: &'static str,
    pub no_stations: &'static str,
    pub silent_stations: &'static str,
    pub expected_levels: &'static str,
    pub communes: &'static str,
    pub filter: &'static str,
    pub state: &'static str,
    pub state_current: &'static str,
    pub state_all: &'static str,
    pub state_draft: &'static str,
    pub state_published: &'static str,
    pub hazard: &'static str,
    pub all: &'static str,
    pub apply: &'static str,
    pub warning: &'static str,
    pub version: &'static str,
    pub action: &'static str,
    pub made: &'static str,
    pub expires: &'static str,
    pub sent: &'static str,
    pub released_by: &'static str,
    pub release: &'static str,
    pub cancel_warning: &'static str,
    pub text: &'static str,
    pub cap_alert: &'static str,
    pub download_xml_signed: &'static str,
    pub download_xml_unsigned: &'static str,
    /// Asked before a warning is cancelled.
    pub confirm_cancel: &'static str,
    pub download_json: &'static str,
    pub identifier: &'static str,
    pub severity: &'static str,
    pub urgency: &'static str,
    pub certainty: &'static str,
    pub areas: &'static str,
    pub instruction: &'static str,
    pub description: &'static str,
    pub not_released: &'static str,
    pub history: &'static str,
    pub notifications: &'static str,
    pub no_notifications: &'static str,
    pub recipient: &'static str,
    pub reason: &'static str,
    pub created: &'static str,
    pub deliveries: &'static str,
    pub acknowledgement: &'static str,
    pub acknowledge: &'static str,
    pub acknowledged: &'static str,
    pub not_needed: &'static str,
    pub awaiting: &'static str,
    pub failed: &'static str,
    pub nav_incidents: &'static str,
    pub nav_resources: &'static str,
    pub incident: &'static str,
    pub no_incidents: &'static str,
    pub older_not_shown: &'static str,
    pub opened: &'static str,
    pub status: &'static str,
    pub exercise: &'static str,
    pub tasks: &'static str,
    pub task: &'static str,
    pub lead: &'static str,
    pub due: &'static str,
    pub mark_done: &'static str,
    pub requests: &'static str,
    pub kind: &'static str,
    pub quantity: &'static str,
    pub shortfall: &'static str,
    pub assignments: &'static str,
    pub source: &'static str,
    pub distance_km: &'static str,
    pub timeline: &'static str,
    pub roles: &'static str,
    pub situation_report: &'static str,
    pub category: &'static str,
    pub assigned: &'static str,
    pub owner: &'static str,
    pub no_resources: &'static str,
    pub nav_drills: &'static str,
    pub no_drills: &'static str,
    pub scenario_time: &'static str,
    pub started: &'static str,
    pub expectations_met: &'static str,
    pub report: &'static str,
    /// Drill states: (state, name).
    pub drill_states: [(&'static str, &'static str); 4],
    /// Four on-site categories: (code, name).
    pub categories: [(&'static str, &'static str); 4],
    /// Warning lifecycle actions: (action, name).
    pub actions: [(&'static str, &'static str); 8],
}

impl Labels {
    /// The name of a four on-site category.
    pub fn category(&self, code: &str) -> &'static str {
        self.categories
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("", |(_, name)| name)
    }

    /// The name of a lifecycle action (`raised`, `all-clear`…), or the action itself.
    pub fn action(&self, action: &str) -> String {
        self.actions
            .iter()
            .find(|(code, _)| *code == action)
            .map_or_else(|| action.to_string(), |(_, name)| name.to_string())
    }
}

const VI: Labels = Labels {
    product: "tocsin — Cảnh báo sớm an ninh phi truyền thống",
    skip_to_content: "Bỏ qua, đến nội dung chính",
    nav_map: "Bản đồ",
    nav_warnings: "Cảnh báo",
    switch_language: "English",
    sign_out: "Đăng xuất",
    signed_in_as: "Đăng nhập:",
    levels: ["Bình thường", "Cấp 1", "Cấp 2", "Cấp 3", "Cấp 4", "Cấp 5"],
    level: "Cấp độ",
    map_title: "Tình hình toàn quốc",
    map_label: "Bản đồ các xã, phường tô màu theo cấp độ rủi ro",
    legend: "Chú giải cấp độ rủi ro (QĐ 18/2021/QĐ-TTg)",
    communes_per_level: "Số xã, phường theo cấp độ",
    highest_level: "Cấp độ cao nhất",
    show_stations: "Hiện trạm quan trắc",
    zoom_in: "Phóng to",
    zoom_out: "Thu nhỏ",
    reset_view: "Toàn quốc",
    map_help: "Kéo để di chuyển, cuộn để phóng to; phím mũi tên, + và − cũng dùng được. Chọn một xã để xem chi tiết.",
    live: "Trực tiếp",
    reconnecting: "Mất kết nối, đang kết nối lại…",
    loading: "Đang tải…",
    selected: "Đang chọn",
    open_region: "Mở trang khu vực",
    hazards: "Loại hình rủi ro",
    none: "Không có",
    warnings_in_force: "Cảnh báo đang có hiệu lực",
    no_warnings: "Không có cảnh báo nào.",
    region: "Khu vực",
    province: "Tỉnh, thành phố",
    commune: "Xã, phường",
    active_levels: "Cấp độ đang có",
    rule: "Quy tắc",
    station: "Trạm",
    stations: "Trạm quan trắc",
    value: "Giá trị",
    since: "Từ lúc",
    level_history: "Lịch sử cấp độ (30 ngày)",
    no_level_history: "Không có thay đổi cấp độ trong 30 ngày.",
    charts: "Biểu đồ chỉ số",
    range_24h: "24 giờ",
    range_7d: "7 ngày",
    range_30d: "30 ngày",
    no_data: "Không có số liệu trong khoảng này.",
    latest: "Mới nhất",
    threshold: "Ngưỡng",
    no_stations: "Không có trạm nào trong khu vực.",
    silent_stations: "Trạm mất tín hiệu",
    expected_levels: "Cấp độ dự báo",
    communes: "Xã, phường",
    filter: "Lọc",
    state: "Trạng thái",
    state_current: "Đang xử lý và đã phát",
    state_all: "Tất cả",
    state_draft: "Bản nháp",
    state_published: "Đã phát",
    hazard: "Loại hình",
    all: "Tất cả",
    apply: "Áp dụng",
    warning: "Cảnh báo",
    version: "Phiên bản",
    action: "Hành động",
    made: "Lập lúc",
    expires: "Hết hiệu lực",
    sent: "Phát lúc",
    released_by: "Người phát",
    release: "Phát cảnh báo",
    cancel_warning: "Hủy cảnh báo",
    text: "Nội dung",
    cap_alert: "Bản tin CAP 1.2",
    download_xml_signed: "Tải XML (đã ký)",
    download_xml_unsigned: "Tải XML (chưa ký)",
    confirm_cancel: "Hủy cảnh báo này? Bản tin hủy sẽ được gửi tới người dân sau khi phát hành.",
    download_json: "Tải JSON",
    identifier: "Mã bản tin",
    severity: "Mức nghiêm trọng",
    urgency: "Mức khẩn cấp",
    certainty: "Độ chắc chắn",
    areas: "Khu vực",
    instruction: "Hướng dẫn",
    description: "Mô tả",
    not_released: "Phiên bản này chưa được phát.",
    history: "Các phiên bản",
    notifications: "Thông báo đã gửi",
    no_notifications: "Chưa có thông báo nào.",
    recipient: "Nơi nhận",
    reason: "Lý do",
    created: "Tạo lúc",
    deliveries: "Gửi qua",
    acknowledgement: "Xác nhận",
    acknowledge: "Xác nhận đã nhận",
    acknowledged: "Đã xác nhận",
    not_needed: "Không yêu cầu",
    awaiting: "Chờ xác nhận",
    failed: "Không thực hiện được:",
    nav_incidents: "Sự cố",
    nav_resources: "Lực lượng, phương tiện",
    incident: "Sự cố",
    no_incidents: "Không có sự cố nào.",
    older_not_shown: "Chỉ hiện các mục mới nhất; các mục cũ hơn có qua API theo từng trang.",
    opened: "Mở lúc",
    status: "Trạng thái",
    exercise: "Diễn tập",
    tasks: "Nhiệm vụ",
    task: "Nhiệm vụ",
    lead: "Chủ trì",
    due: "Hạn",
    mark_done: "Đã xong",
    requests: "Yêu cầu nguồn lực",
    kind: "Loại",
    quantity: "Số lượng",
    shortfall: "Còn thiếu",
    assignments: "Đã điều động",
    source: "Nguồn",
    distance_km: "Khoảng cách (km)",
    timeline: "Diễn biến",
    roles: "Chỉ huy sự cố",
    situation_report: "Báo cáo tình hình",
    category: "Nhóm",
    assigned: "Đang điều động",
    owner: "Đơn vị quản lý",
    no_resources: "Chưa có nguồn lực nào.",
    nav_drills: "Diễn tập",
    no_drills: "Chưa có cuộc diễn tập nào trên máy chủ này.",
    scenario_time: "Thời gian kịch bản",
    started: "Bắt đầu",
    expectations_met: "Kết quả mong đợi đạt",
    report: "Báo cáo",
    drill_states: [
        ("running", "Đang chạy"),
        ("finished", "Đã xong"),
        ("cancelled", "Đã hủy"),
        ("failed", "Bị lỗi"),
    ],
    categories: [
        ("command", "Chỉ huy tại chỗ"),
        ("forces", "Lực lượng tại chỗ"),
        ("materials", "Vật tư, phương tiện tại chỗ"),
        ("logistics", "Hậu cần tại chỗ"),
    ],
    actions: [
        ("raised", "phát mới"),
        ("escalated", "nâng cấp"),
        ("updated", "cập nhật"),
        ("renewed", "gia hạn"),
        ("all-clear", "kết thúc"),
        ("cancelled", "hủy"),
        ("withdrawn", "rút lại"),
        ("expired", "hết hiệu lực"),
    ],
};

const EN: Labels = Labels {
    product: "tocsin — early warning for non-traditional security threats",
    skip_to_content: "Skip to main content",
    nav_map: "Map",
    nav_warnings: "Warnings",
    switch_language: "Tiếng Việt",
    sign_out: "Sign out",
    signed_in_as: "Signed in:",
    levels: [
        "Normal", "Level 1", "Level 2", "Level 3", "Level 4", "Level 5",
    ],
    level: "Level",
    map_title: "National situation",
    map_label: "Map of the communes coloured by risk level",
    legend: "Risk level legend (QĐ 18/2021/QĐ-TTg)",
    communes_per_level: "Communes per level",
    highest_level: "Highest level",
    show_stations: "Show monitoring stations",
    zoom_in: "Zoom in",
    zoom_out: "Zoom out",
    reset_view: "Whole country",
    map_help: "Drag to pan, scroll to zoom; the arrow keys, + and − work too. Select a commune for its details.",
    live: "Live",
    reconnecting: "Disconnected, reconnecting…",
    loading: "Loading…",
    selected: "Selected",
    open_region: "Open the region page",
    hazards: "Hazards",
    none: "None",
    warnings_in_force: "Warnings in force",
    no_warnings: "No warnings.",
    region: "Region",
    province: "Province",
    commune: "Commune",
    active_levels: "Active levels",
    rule: "Rule",
    station: "Station",
    stations: "Monitoring stations",
    value: "Value",
    since: "Since",
    level_history: "Level history (30 days)",
    no_level_history: "No level changes in 30 days.",
    charts: "Indicator charts",
    range_24h: "24 hours",
    range_7d: "7 days",
    range_30d: "30 days",
    no_data: "No data in this period.",
    latest: "Latest",
    threshold: "Threshold",
    no_stations: "No stations in this region.",
    silent_stations: "Silent stations",
    expected_levels: "Forecast levels",
    communes: "Communes",
    filter: "Filter",
    state: "State",
    state_current: "Drafts and released",
    state_all: "All",
    state_draft: "Draft",
    state_published: "Released",
    hazard: "Hazard",
    all: "All",
    apply: "Apply",
    warning: "Warning",
    version: "Version",
    action: "Action",
    made: "Made",
    expires: "Expires",
    sent: "Sent",
    released_by: "Released by",
    release: "Release",
    cancel_warning: "Cancel the warning",
    text: "Text",
    cap_alert: "CAP 1.2 alert",
    download_xml_signed: "Download XML (signed)",
    download_xml_unsigned: "Download XML (unsigned)",
    confirm_cancel: "Cancel this warning? The cancel message goes to the public once it is released.",
    download_json: "Download JSON",
    identifier: "Identifier",
    severity: "Severity",
    urgency: "Urgency",
    certainty: "Certainty",
    areas: "Areas",
    instruction: "Instruction",
    description: "Description",
    not_released: "This version has not been released.",
    history: "Versions",
    notifications: "Notifications sent",
    no_notifications: "No notifications yet.",
    recipient: "Recipient",
    reason: "Reason",
    created: "Created",
    deliveries: "Delivered by",
    acknowledgement: "Acknowledgement",
    acknowledge: "Acknowledge",
    acknowledged: "Acknowledged",
    not_needed: "Not required",
    awaiting: "Awaiting acknowledgement",
    failed: "Failed:",
    nav_incidents: "Incidents",
    nav_resources: "Resources",
    incident: "Incident",
    no_incidents: "No incidents.",
    older_not_shown: "Only the newest are shown; older ones are in the API, page by page.",
    opened: "Opened",
    status: "Status",
    exercise: "Exercise",
    tasks: "Tasks",
    task: "Task",
    lead: "Lead",
    due: "Due",
    mark_done: "Done",
    requests: "Resource requests",
    kind: "Kind",
    quantity: "Quantity",
    shortfall: "Shortfall",
    assignments: "Assigned",
    source: "From",
    distance_km: "Distance (km)",
    timeline: "Timeline",
    roles: "Incident command",
    situation_report: "Situation report",
    category: "Category",
    assigned: "Assigned",
    owner: "Owner",
    no_resources: "No resources yet.",
    nav_drills: "Drills",
    no_drills: "No drills on this node yet.",
    scenario_time: "Scenario time",
    started: "Started",
    expectations_met: "Expectations met",
    report: "Report",
    drill_states: [
        ("running", "Running"),
        ("finished", "Finished"),
        ("cancelled", "Cancelled"),
        ("failed", "Failed"),
    ],
    categories: [
        ("command", "On-site command"),
        ("forces", "On-site forces"),
        ("materials", "On-site materials and means"),
        ("logistics", "On-site logistics"),
    ],
    actions: [
        ("raised", "raised"),
        ("escalated", "escalated"),
        ("updated", "updated"),
        ("renewed", "renewed"),
        ("all-clear", "all clear"),
        ("cancelled", "cancelled"),
        ("withdrawn", "withdrawn"),
        ("expired", "expired"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_in_vietnam_and_numbers_in_the_language() {
        let ms = 1_764_572_700_000; // 2025-12-01T07:05:00Z
        assert_eq!(Lang::Vi.time(ms), "14:05 01/12/2025");
        assert_eq!(Lang::En.time(ms), "2025-12-01 14:05");
        assert_eq!(Lang::Vi.number(33.98), "33,98");
        assert_eq!(Lang::En.number(33.5), "33.5");
        assert_eq!(Lang::En.number(120.0), "120");
    }

    #[test]
    fn the_cookie_chooses_english_only_when_it_says_so() {
        assert_eq!(Lang::from_cookie(None), Lang::Vi);
        assert_eq!(Lang::from_cookie(Some("en")), Lang::En);
        assert_eq!(Lang::from_cookie(Some("fr")), Lang::Vi);
    }
}

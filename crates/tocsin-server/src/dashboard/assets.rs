//! The dashboard's style sheet and scripts, embedded in the binary at build time.

use crate::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// Every asset: name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/dashboard.css"),
    ),
    (
        "common.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/common.js"),
    ),
    (
        "map.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/map.js"),
    ),
    (
        "region.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/region.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../assets/favicon.svg"),
    ),
    (
        "warning.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/warning.js"),
    ),
];

pub async fn serve(Path(name): Path<String>) -> Response {
    answer(&name)
}

/// Browsers ask for `/favicon.ico` on every page of the site.
pub async fn favicon() -> Response {
    answer("favicon.svg")
}

fn answer(name: &str) -> Response {
    match ASSETS.iter().find(|(n, ..)| *n == name) {
        Some((_, kind, content)) => (
            [
                (CONTENT_TYPE, *kind),
                (CACHE_CONTROL, "public, max-age=3600"),
                (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *content,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, format!("no asset {name:?}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    fn style_sheet() -> &'static str {
        ASSETS
            .iter()
            .find(|(n, ..)| *n == "dashboard.css")
            .unwrap()
            .2
    }

    /// A colour of the style sheet: `#rrggbb`, or a custom property `--name` of `:root`.
    fn colour(name: &str) -> [f64; 3] {
        let hex = if let Some(var) = name.strip_prefix("--") {
            let start = style_sheet().find(&format!("--{var}: ")).unwrap() + var.len() + 4;
            &style_sheet()[start..start + 7]
        } else {
            assert!(
                style_sheet().contains(name),
                "{name} is not in the style sheet"
            );
            name
        };
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
        [channel(1), channel(3), channel(5)]
    }

    /// WCAG 2.1 relative luminance and contrast ratio.
    fn contrast(a: &str, b: &str) -> f64 {
        let luminance = |c: [f64; 3]| {
            let linear = c.map(|x| {
                if x <= 0.039_28 {
                    x / 12.92
                } else {
                    ((x + 0.055) / 1.055).powf(2.4)
                }
            });
            0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        };
        let (x, y) = (luminance(colour(a)), luminance(colour(b)));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn text_contrast_is_at_least_4_5_to_1() {
        let pairs = [
            ("--ink", "--lvl-0"),
            ("--ink", "--lvl-1"),
            ("--ink", "--lvl-2"),
            ("--ink", "--lvl-3"),
            ("#ffffff", "--lvl-4"),
            ("#ffffff", "--lvl-5"),
            ("--muted", "#ffffff"),
            ("--muted", "--bg"),
            ("--accent", "#ffffff"),
            ("#ffffff", "#10263d"),
            ("#ffffff", "#a4161a"),
            ("--ink", "#fff4d6"),
        ];
        for (text, background) in pairs {
            let ratio = contrast(text, background);
            assert!(ratio >= 4.5, "{text} on {background}: {ratio:.2}");
        }
    }
}

//! Loading the rule catalogue: the TOML files of a folder (`catalog/rules/*.toml`), or the
//! default catalogue built into the binary. Every problem — unreadable file, TOML syntax,
//! unknown key, inconsistent rule — is reported with its file, item and key.

use std::path::Path;
use tocsin_core::catalog::{CatalogFile, CatalogProblem, check};
use tocsin_core::evaluate::CompiledCatalog;

/// The default catalogue, built in so that the binary needs nothing beside it (in file-name
/// order, as `load_dir` reads a folder).
pub const BUILTIN: [(&str, &str); 10] = [
    (
        "air_quality.toml",
        include_str!("../../../catalog/rules/air_quality.toml"),
    ),
    (
        "flash_flood.toml",
        include_str!("../../../catalog/rules/flash_flood.toml"),
    ),
    (
        "heat.toml",
        include_str!("../../../catalog/rules/heat.toml"),
    ),
    (
        "heavy_rain.toml",
        include_str!("../../../catalog/rules/heavy_rain.toml"),
    ),
    (
        "metrics.toml",
        include_str!("../../../catalog/rules/metrics.toml"),
    ),
    (
        "outbreaks.toml",
        include_str!("../../../catalog/rules/outbreaks.toml"),
    ),
    (
        "river_flood.toml",
        include_str!("../../../catalog/rules/river_flood.toml"),
    ),
    (
        "salinity.toml",
        include_str!("../../../catalog/rules/salinity.toml"),
    ),
    (
        "storm.toml",
        include_str!("../../../catalog/rules/storm.toml"),
    ),
    (
        "wind.toml",
        include_str!("../../../catalog/rules/wind.toml"),
    ),
];

/// The built-in default catalogue.
pub fn builtin() -> Result<CompiledCatalog, Vec<CatalogProblem>> {
    from_texts(BUILTIN)
}

/// A catalogue from `(file name, TOML text)` pairs, checked as `load_dir` checks a folder.
pub fn from_texts<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<CompiledCatalog, Vec<CatalogProblem>> {
    compile(
        files
            .into_iter()
            .map(|(name, text)| (name.to_string(), Ok(text.to_string())))
            .collect(),
    )
}

/// Every `*.toml` file in `dir`, in name order.
pub fn load_dir(dir: &Path) -> Result<CompiledCatalog, Vec<CatalogProblem>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| vec![file_problem(&dir.display().to_string(), e.to_string())])?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(vec![file_problem(
            &dir.display().to_string(),
            "no .toml files".into(),
        )]);
    }
    compile(
        paths
            .iter()
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(p).map_err(|e| e.to_string()),
                )
            })
            .collect(),
    )
}

fn file_problem(file: &str, problem: String) -> CatalogProblem {
    CatalogProblem {
        file: file.to_string(),
        item: "file".into(),
        key: "-".into(),
        problem,
    }
}

fn compile(
    files: Vec<(String, Result<String, String>)>,
) -> Result<CompiledCatalog, Vec<CatalogProblem>> {
    let mut parsed = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in files {
        match text {
            Err(e) => problems.push(file_problem(&name, e)),
            Ok(text) => match toml::from_str::<CatalogFile>(&text) {
                Ok(file) => parsed.push((name, file)),
                Err(e) => problems.push(syntax_problem(&name, &text, &e)),
            },
        }
    }
    match check(&parsed) {
        Ok(catalog) if problems.is_empty() => Ok(catalog),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// A TOML error as a problem naming the line (and the key, when the error is about one).
fn syntax_problem(file: &str, text: &str, error: &toml::de::Error) -> CatalogProblem {
    let line = error
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let key = error
        .span()
        .map(|span| text.get(span).unwrap_or_default().trim().to_string())
        .filter(|k| !k.is_empty() && k.len() < 40);
    CatalogProblem {
        file: file.to_string(),
        item: line.map_or("file".into(), |l| format!("line {l}")),
        key: key.unwrap_or_else(|| "-".into()),
        problem: error.message().to_string(),
    }
}

//! The framework scenarios in use: the built-in ones (`catalog/playbooks/*.toml`, compiled in)
//! or those of a folder, read and checked with every problem named.

use std::path::Path;
use tocsin_core::response::playbook::{PlaybookFile, PlaybookProblem, Playbooks};

/// The built-in playbook files.
const BUILTIN: &[(&str, &str)] = &[
    (
        "air_pollution.toml",
        include_str!("../../../../catalog/playbooks/air_pollution.toml"),
    ),
    (
        "epidemic.toml",
        include_str!("../../../../catalog/playbooks/epidemic.toml"),
    ),
    (
        "flash_flood.toml",
        include_str!("../../../../catalog/playbooks/flash_flood.toml"),
    ),
    (
        "flood.toml",
        include_str!("../../../../catalog/playbooks/flood.toml"),
    ),
    (
        "heavy_rain.toml",
        include_str!("../../../../catalog/playbooks/heavy_rain.toml"),
    ),
    (
        "storm.toml",
        include_str!("../../../../catalog/playbooks/storm.toml"),
    ),
];

/// The built-in scenarios (checked by the tests, so they always load).
pub fn builtin() -> Result<Playbooks, Vec<PlaybookProblem>> {
    let files = BUILTIN
        .iter()
        .map(|(name, text)| ((*name).to_string(), (*text).to_string()))
        .collect::<Vec<_>>();
    parse(files)
}

/// The scenarios of every `*.toml` file in `dir`.
pub fn load_dir(dir: &Path) -> Result<Playbooks, Vec<PlaybookProblem>> {
    let problem = |file: String, reason: String| PlaybookProblem {
        file,
        scenario: String::new(),
        field: "file".into(),
        reason,
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| vec![problem(dir.display().to_string(), e.to_string())])?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => files.push((name, text)),
                Err(e) => return Err(vec![problem(name, e.to_string())]),
            }
        }
    }
    files.sort();
    parse(files)
}

fn parse(files: Vec<(String, String)>) -> Result<Playbooks, Vec<PlaybookProblem>> {
    let mut parsed = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in files {
        match toml::from_str::<PlaybookFile>(&text) {
            Ok(file) => parsed.push((name, file)),
            Err(e) => problems.push(PlaybookProblem {
                file: name,
                scenario: String::new(),
                field: "toml".into(),
                reason: e.to_string().trim().to_string(),
            }),
        }
    }
    let checked = Playbooks::check(parsed);
    match (checked, problems.is_empty()) {
        (Ok(playbooks), true) => Ok(playbooks),
        (Ok(_), false) => Err(problems),
        (Err(more), _) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_builtin_scenarios_load() {
        let playbooks = super::builtin().unwrap_or_else(|p| panic!("{p:#?}"));
        assert!(!playbooks.scenarios.is_empty());
    }
}

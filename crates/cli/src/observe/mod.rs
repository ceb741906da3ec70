//! Observability as files: the Grafana dashboards (generated from [`dashboards`] by
//! `clipfed dashboards` into `grafana/dashboards/`, committed), the provisioning files and the
//! Prometheus alert rules with their unit tests (`grafana/alerts/`, hand-written), and [`check`],
//! the live check the test command runs against the whole stack (every panel's query returns data,
//! every target is up, one like is one trace across four processes).
//!
//! `docs/observability.md` is the reader's guide.

pub mod check;
mod dashboards;
pub mod grafana;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::paths::Paths;

/// The alert rule files Prometheus loads.
pub fn rule_files(paths: &Paths) -> Vec<PathBuf> {
    vec![paths.root.join("grafana/alerts/clipfed.rules.yml")]
}

/// Every dashboard as (file name, pretty JSON with a final newline).
pub fn rendered() -> Vec<(String, String)> {
    dashboards::all()
        .iter()
        .map(|d| {
            let text = serde_json::to_string_pretty(&d.to_json()).expect("JSON values serialise");
            (format!("{}.json", d.uid), text + "\n")
        })
        .collect()
}

/// The folder the dashboards are written to.
pub fn dashboards_dir(root: &Path) -> PathBuf {
    root.join("grafana/dashboards")
}

/// `clipfed dashboards`: writes every dashboard; removes JSON files no dashboard owns any more.
pub fn write(paths: &Paths) -> anyhow::Result<ExitCode> {
    let dir = dashboards_dir(&paths.root);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = rendered();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".json") && !files.iter().any(|(f, _)| *f == name) {
            std::fs::remove_file(&path)?;
            eprintln!("removed {}", path.display());
        }
    }
    for (name, text) in &files {
        std::fs::write(dir.join(name), text)?;
        eprintln!("wrote grafana/dashboards/{name}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::process::Command;

    use super::*;

    fn root() -> PathBuf {
        Paths::discover().root
    }

    /// Golden test: the committed dashboards are what the generator writes (rewritten when stale, so
    /// the diff shows what changed; the test still fails so the change is looked at).
    #[test]
    fn the_committed_dashboards_are_current() {
        let dir = dashboards_dir(&root());
        let mut stale = Vec::new();
        for (name, text) in rendered() {
            let path = dir.join(&name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
                stale.push(name);
            }
        }
        let owned: HashSet<String> = rendered().into_iter().map(|(n, _)| n).collect();
        let strays: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") && !owned.contains(n))
            .collect();
        assert!(stale.is_empty(), "rewritten (review and commit): {stale:?}");
        assert!(
            strays.is_empty(),
            "dashboards no generator owns: {strays:?}"
        );
    }

    #[test]
    fn every_panel_has_a_description_a_unit_and_queries_with_unique_ids() {
        for dashboard in dashboards::all() {
            let json = dashboard.to_json();
            let mut ids = HashSet::new();
            for panel in json["panels"].as_array().unwrap() {
                let title = panel["title"].as_str().unwrap();
                assert!(
                    ids.insert(panel["id"].as_u64().unwrap()),
                    "{title}: id reused"
                );
                assert!(
                    !panel["description"].as_str().unwrap().is_empty(),
                    "{title}"
                );
                assert!(
                    !panel["fieldConfig"]["defaults"]["unit"]
                        .as_str()
                        .unwrap()
                        .is_empty(),
                    "{title}"
                );
                assert!(
                    !panel["targets"].as_array().unwrap().is_empty(),
                    "{title}: no query"
                );
            }
        }
    }

    #[test]
    fn dashboards_filter_by_the_service_and_instance_variables() {
        for dashboard in dashboards::all() {
            let json = dashboard.to_json();
            let has_service = !dashboard.services.is_empty();
            for (title, expr) in grafana::expressions(&json) {
                if has_service {
                    assert!(
                        expr.contains(r#"job=~"$service",instance=~"$instance""#),
                        "{}: {title}: {expr}",
                        dashboard.uid
                    );
                }
                let resolved = grafana::resolve(&expr);
                assert!(
                    !resolved.contains('$'),
                    "{title}: unresolved variable in {resolved}"
                );
            }
        }
    }

    /// Grafana's schema (the Foundation SDK, in the venv `clipfed test` gives its tests) knows
    /// every key of every committed dashboard (`tools/python/grafana_validate.py`).
    #[test]
    fn the_dashboards_match_grafanas_schema() {
        let python = std::env::var("CLIPFED_TEST_PYTHON")
            .expect("CLIPFED_TEST_PYTHON: run through `cargo run -p clipfed -- test`");
        let dir = dashboards_dir(&root());
        let files: Vec<PathBuf> = rendered().into_iter().map(|(n, _)| dir.join(n)).collect();
        let out = Command::new(python)
            .arg(root().join("tools/python/grafana_validate.py"))
            .args(&files)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains(&format!("{} dashboards match", files.len())),
            "{text}"
        );
    }

    /// promtool ships with Debian's `prometheus`, which the test command installs.
    fn promtool(args: &[&str]) -> String {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(root())
            .output()
            .expect("promtool (Debian package prometheus) is installed by `clipfed test`");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
        text
    }

    #[test]
    fn the_alert_rules_pass_promtool_check_and_their_unit_tests() {
        let checked = promtool(&["check", "rules", "grafana/alerts/clipfed.rules.yml"]);
        assert!(checked.contains("SUCCESS: 6 rules found"), "{checked}");
        let tested = promtool(&["test", "rules", "grafana/alerts/clipfed.rules.test.yml"]);
        assert!(tested.contains("SUCCESS"), "{tested}");
    }

    #[test]
    fn the_prometheus_config_up_writes_passes_promtool_check() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        let paths = Paths::discover();
        std::fs::write(
            &config,
            crate::provision::prometheus_config(&rule_files(&paths)),
        )
        .unwrap();
        let checked = promtool(&["check", "config", config.to_str().unwrap()]);
        assert!(checked.contains("SUCCESS"), "{checked}");
    }
}

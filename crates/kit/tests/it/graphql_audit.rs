//! The `graphql-http` conformance audit (npm) run against kit's handler on a live server: every
//! audit (MUST, SHOULD and the MAYs we implement) must pass.

use std::path::PathBuf;

use crate::helpers::spawn_graphql;

fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/node")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_over_http_audit_passes_every_check() {
    let dir = tools_dir();
    assert!(
        dir.join("node_modules/graphql-http").is_dir(),
        "graphql-http is not installed in tools/node: run the tests with `cargo run -p clipfed -- test`"
    );
    let server = spawn_graphql(None).await;
    let url = server.url("/graphql");
    let output = tokio::process::Command::new("node")
        .current_dir(&dir)
        .arg("graphql-http-audit.mjs")
        .arg(&url)
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "audit script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("audit prints JSON");
    let results = report["results"].as_array().expect("results array");
    assert!(
        results.len() > 50,
        "the audit ran only {} checks",
        results.len()
    );
    let failures: Vec<String> = results
        .iter()
        .filter(|r| r["status"] != "ok")
        .map(|r| format!("{} [{}]: {}", r["name"], r["status"], r["reason"]))
        .collect();
    assert!(
        failures.is_empty(),
        "{} audit checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    server.shutdown().await.unwrap();
}

//! The `graphql-http` conformance audit (npm) run against kit's handler on a live server: every
//! audit (MUST, SHOULD and the MAYs we implement) must pass.

use crate::helpers::spawn_graphql;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_over_http_audit_passes_every_check() {
    let server = spawn_graphql(None).await;
    let failures: Vec<String> = testkit::graphql_audit(&server.url("/graphql"))
        .await
        .into_iter()
        .filter(|c| !c.ok)
        .map(|c| c.line)
        .collect();
    assert!(
        failures.is_empty(),
        "{} audit checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    server.shutdown().await.unwrap();
}

//! The REST facade's OpenAPI document (`apifox/openapi.json`) against the live router: the router
//! serves it as committed, and schemathesis (PyPI, installed into the project venv by the test
//! command) sends every route the document's valid inputs and its bad-input space (missing,
//! malformed, wrong type, out of range, oversized): no answer may be a 5xx, and every answer must
//! be the documented envelope with one of the route's documented codes.

use crate::stack::Stack;

const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../apifox/openapi.json");

#[tokio::test]
async fn the_router_serves_the_committed_document() {
    let s = Stack::start().await;
    let res = s.get("/openapi.json", &[]).await;
    assert_eq!(res.status(), 200);
    let served: serde_json::Value = res.json().await.unwrap();
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DOCUMENT).unwrap()).unwrap();
    assert_eq!(served, committed);
}

#[tokio::test]
async fn the_document_is_valid_openapi() {
    let out = tokio::process::Command::new(testkit::venv_program("openapi-spec-validator"))
        .arg(DOCUMENT)
        .output()
        .await
        .expect("openapi-spec-validator runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let s = Stack::start().await;
    // Only the access token: with the refresh token in every request, the generated calls of
    // `/auth/logout` and `/auth/refresh` (which read it from the header) would end the session
    // that every other call runs in.
    let (_, access, _) = s.sign_up(&testkit::unique("fuzzed")).await;
    // Kept after the run: every request and answer, for reading a failure.
    let report = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    let _ = std::fs::remove_dir_all(&report);
    std::fs::create_dir_all(&report).unwrap();
    let out = tokio::process::Command::new(testkit::venv_program("schemathesis"))
        .args(["run", DOCUMENT, "--url", &s.base])
        .args(["--header", &format!("Access-Token: {access}")])
        // The contract answers failures with HTTP 200 and a code, so the checks that expect a
        // 4xx for bad input or for a missing credential do not apply; these hold instead, and
        // the contract's own check (tools/python/schemathesis_hooks.py) judges every answer.
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,unsupported_method,allow_header_conformance,\
             envelope_with_a_documented_code",
        ])
        .args(["--phases", "examples,coverage,fuzzing", "--mode", "all"])
        .args([
            "--max-examples",
            "30",
            "--seed",
            "20261202",
            "--workers",
            "2",
        ])
        .args([
            "--request-timeout",
            "30",
            "--no-color",
            "--suppress-health-check",
            "all",
        ])
        // The signed-in user's tokens above, not tokens the generator makes up.
        .args(["--generation-with-security-parameters", "false"])
        // Every run starts from the seed alone: no example store carried between runs.
        .args(["--generation-database", "none"])
        .args(["--report", "ndjson", "--report-dir"])
        .arg(&report)
        // Its own caches go there too, not into the source tree.
        .current_dir(&report)
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("PYTHONPATH", testkit::tools_dir().join("python"))
        .env("CLIPFED_OPENAPI", DOCUMENT)
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures (every exchange is in {}):\n{stdout}\n{}",
        report.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // A run that tested nothing would also exit 0: every operation of the document must have run.
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DOCUMENT).unwrap()).unwrap();
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|methods| methods.as_object().unwrap().len())
        .sum();
    assert!(
        stdout.contains(&format!("Tested: {operations}\n")),
        "every one of the {operations} operations ran:\n{stdout}"
    );
}

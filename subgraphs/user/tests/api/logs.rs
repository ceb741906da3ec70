//! No password, MFA secret, token, hash or key reaches a log line, at any level, in any span field.

use kit::caller::Caller;
use secrecy::ExposeSecret;
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use user::domain::mfa::MfaSecret;

use crate::helpers::{id_of, spawn_app};

#[tokio::test]
async fn no_log_line_contains_a_password_secret_token_or_key() {
    let captured = testkit::Captured::default();
    let sink = captured.clone();
    // JSON lines with every span field, span open/close events and TRACE from every crate (sqlx
    // included): the most a production log could ever print.
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(move || sink.clone())
        .init();

    let app = spawn_app().await;
    let (pw1, pw2) = ("Tr0ub4dor-first", "C0rrect-h0rse-second");
    let id = id_of(&app.register("quinn", pw1).await);
    let me = Caller::User(id);
    let login = app.login("quinn", pw1, None).await;
    let refresh = login["data"]["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let access = login["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    app.login("quinn", "Wr0ng-guess-here", None).await;
    let offer = app
        .gql_as(&me, "mutation { createMfaSecret { secret } }", json!({}))
        .await;
    let secret = offer["data"]["createMfaSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = chrono::Utc::now().timestamp() as u64;
    let code = MfaSecret::from_base32(&secret).unwrap().code_at(now - 30);
    let bound = app
        .gql_as(
            &me,
            "mutation($s: String!, $c: String!) { bindMfa(secret: $s, code: $c) }",
            json!({"s": secret, "c": code}),
        )
        .await;
    assert_eq!(bound["data"]["bindMfa"], true, "{bound}");
    app.refresh(&refresh).await;
    app.refresh(&refresh).await; // reuse: logged as a warning, token must not be
    let changed = app
        .gql_as(
            &me,
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
            json!({"c": pw1, "n": pw2}),
        )
        .await;
    assert_eq!(changed["data"]["changePassword"], true, "{changed}");

    let logs = captured.text();
    // The capture works: the flow's own events are there.
    assert!(
        logs.contains("password changed"),
        "capture is empty or partial"
    );
    assert!(logs.contains("refresh token reused"), "capture is partial");
    let auth = &app.config.auth;
    for (what, needle) in [
        ("first password", pw1),
        ("second password", pw2),
        ("wrong guess", "Wr0ng-guess-here"),
        ("MFA secret", secret.as_str()),
        ("refresh token", refresh.as_str()),
        ("access token", access.as_str()),
        ("password hash", "$argon2id$"),
        ("JWT key", auth.jwt_key.expose_secret()),
        ("MFA key", auth.mfa_key.expose_secret()),
    ] {
        assert!(!logs.contains(needle), "the {what} appears in the logs");
    }
    app.cleanup().await;
}

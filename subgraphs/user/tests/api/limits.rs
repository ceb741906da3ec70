//! Login throttling in Redis: per username, per client address, and what a success clears.

use std::net::IpAddr;

use kit::ratelimit::Limit;
use serde_json::json;

use crate::helpers::{code, id_of, spawn_app_with};

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

#[tokio::test]
async fn a_username_is_locked_after_its_failures_even_for_the_right_password() {
    let app = spawn_app_with(|c| {
        c.login_limit.per_username = Limit {
            max: 3,
            window_secs: 300,
        }
    })
    .await;
    id_of(&app.register("hank", "passw0rd!").await);
    id_of(&app.register("ivy", "passw0rd!").await);
    for _ in 0..3 {
        assert_eq!(
            code(&app.login("hank", "wrong-pass1", None).await),
            Some(11002)
        );
    }
    // Any case of the name is the same account, so the same count.
    let locked = app.login("HANK", "passw0rd!", None).await;
    assert_eq!(code(&locked), Some(10006), "{locked}");
    let message = locked["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("retry in"), "{message}");
    let seconds: u64 = message
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .expect("a number of seconds");
    assert!((1..=300).contains(&seconds), "{message}");
    assert!(locked["data"].is_null(), "no tokens for a refused attempt");
    // Another account is unaffected.
    assert!(app.login("ivy", "passw0rd!", None).await["data"]["login"]["accessToken"].is_string());
    app.cleanup().await;
}

#[tokio::test]
async fn a_successful_login_clears_the_failures_of_its_username() {
    let app = spawn_app_with(|c| {
        c.login_limit.per_username = Limit {
            max: 3,
            window_secs: 300,
        }
    })
    .await;
    id_of(&app.register("jack", "passw0rd!").await);
    for _ in 0..2 {
        app.login("jack", "wrong-pass1", None).await;
    }
    assert!(app.login("jack", "passw0rd!", None).await["data"]["login"].is_object());
    for _ in 0..2 {
        assert_eq!(
            code(&app.login("jack", "wrong-pass1", None).await),
            Some(11002)
        );
    }
    assert!(app.login("jack", "passw0rd!", None).await["data"]["login"].is_object());
    app.cleanup().await;
}

#[tokio::test]
async fn one_address_is_limited_across_usernames_and_others_are_not() {
    let app = spawn_app_with(|c| {
        c.login_limit.per_address = Limit {
            max: 4,
            window_secs: 60,
        }
    })
    .await;
    id_of(&app.register("kate", "passw0rd!").await);
    let attacker = ip("203.0.113.7");
    for name in ["u1", "u2", "u3", "u4"] {
        assert_eq!(
            code(&app.login_from(attacker, name, "guess-1234", None).await),
            Some(11002)
        );
    }
    // Malformed names count as attempts too.
    assert_eq!(
        code(&app.login_from(attacker, "kate", "passw0rd!", None).await),
        Some(10006)
    );
    assert_eq!(
        code(
            &app.login_from(attacker, &"x".repeat(10_000), "guess-1234", None)
                .await
        ),
        Some(10006)
    );
    let other = app
        .login_from(ip("2001:db8::5"), "kate", "passw0rd!", None)
        .await;
    assert!(other["data"]["login"]["accessToken"].is_string(), "{other}");
    app.cleanup().await;
}

#[tokio::test]
async fn a_forged_client_address_is_refused_before_anything_runs() {
    let app = spawn_app_with(|_| {}).await;
    let res = reqwest::Client::new()
        .post(&app.url)
        .header(kit::caller::CLIENT_HEADER, "c2.9999999999.203.0.113.7.AAAA")
        .json(&json!({"query": "mutation { register(username: \"lena\", password: \"passw0rd!\") { id } }"}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(code(&body), Some(10003), "{body}");
    // Nothing was created: the name is still free.
    id_of(&app.register("lena", "passw0rd!").await);
    app.cleanup().await;
}

#[tokio::test]
async fn login_outcomes_and_registrations_are_counted() {
    let app = spawn_app_with(|_| {}).await;
    id_of(&app.register("mike", "passw0rd!").await);
    app.login("mike", "passw0rd!", None).await;
    app.login("mike", "wrong-pass1", None).await;
    app.login("mike", "wrong-pass1", None).await;
    let text = app.metrics().await;
    let value = |needle: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(needle))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{needle} missing from /metrics"))
    };
    // Each test runs in its own process (nextest), so the counters start at zero.
    assert_eq!(value("clipfed_user_registrations_total "), 1.0);
    assert_eq!(value("clipfed_user_logins_total{outcome=\"ok\"}"), 1.0);
    assert_eq!(
        value("clipfed_user_logins_total{outcome=\"bad_credentials\"}"),
        2.0
    );
    app.cleanup().await;
}

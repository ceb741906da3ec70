//! The same flows through `/graphql` in one request each, planned by Hive Router over the
//! subgraphs (the plan is asserted: the router fetches from each subgraph, no subgraph calls
//! another), a forged internal header straight at a subgraph, and the `graphql-http` audit.

use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::{Stack, code, envelope};
use crate::videos::publish;

const FEED: &str = "{ feed(pageSize: 5) { items { id title author { id username } likeCount commentCount isLiked } } }";

/// Every `serviceName` a plan fetches from, in plan order.
fn fetched_services(plan: &Value, out: &mut Vec<String>) {
    match plan {
        Value::Object(fields) => {
            if let Some(name) = fields.get("serviceName").and_then(Value::as_str) {
                out.push(name.to_owned());
            }
            fields.values().for_each(|v| fetched_services(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| fetched_services(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn a_feed_page_with_authors_counts_and_is_liked_is_one_request() {
    let s = Stack::start().await;
    let (alice, a, _) = s.sign_up("alice").await;
    let (_, b, _) = s.sign_up("bob").await;
    assert_eq!(code(&publish(&s, &a, "one request", 3).await), 10000);
    let (_, feed) = envelope(s.get("/video/feed", &[]).await).await;
    let video = feed["data"]["items"][0]["id"].as_str().unwrap().to_owned();
    testkit::eventually(20, "bob's like is accepted", || async {
        let r = s
            .graphql(
                "mutation($v: ID!) { likeAction(videoId: $v, actionType: 1) }",
                json!({"v": video}),
                &[("authorization", &format!("Bearer {b}"))],
            )
            .await;
        r["data"]["likeAction"] == true
    })
    .await;
    let comment = s
        .graphql(
            "mutation($v: ID!) { publishComment(videoId: $v, content: \"nice\") { id author { username } } }",
            json!({"v": video}),
            &[("access-token", &b)],
        )
        .await;
    assert_eq!(
        comment["data"]["publishComment"]["author"]["username"], "bob",
        "{comment}"
    );

    testkit::eventually(20, "the feed shows both counters", || async {
        let r = s.graphql(FEED, json!({}), &[("access-token", &b)]).await;
        let v = &r["data"]["feed"]["items"][0];
        v["likeCount"] == 1 && v["commentCount"] == 1
    })
    .await;
    let as_bob = s.graphql(FEED, json!({}), &[("access-token", &b)]).await;
    assert!(as_bob.get("errors").is_none(), "{as_bob}");
    let v = &as_bob["data"]["feed"]["items"][0];
    assert_eq!(
        v,
        &json!({"id": video, "title": "one request", "author": {"id": alice, "username": "alice"},
                "likeCount": 1, "commentCount": 1, "isLiked": true})
    );
    let anonymous = s.graphql(FEED, json!({}), &[]).await;
    assert_eq!(anonymous["data"]["feed"]["items"][0]["isLiked"], false);

    // The plan: the router fetches the feed from video, then authors from user and counters from
    // social as entity fetches; there is no other path between subgraphs.
    let planned = s
        .graphql(FEED, json!({}), &[("hive-expose-query-plan", "true")])
        .await;
    let plan = &planned["extensions"]["queryPlan"];
    let mut services = Vec::new();
    fetched_services(plan, &mut services);
    assert_eq!(
        services.first().map(String::as_str),
        Some("video"),
        "{plan}"
    );
    for name in ["user", "social"] {
        assert_eq!(
            services.iter().filter(|s| *s == name).count(),
            1,
            "one batched fetch from {name}: {plan}"
        );
    }
    assert_eq!(services.len(), 3, "{services:?}");
}

#[tokio::test]
async fn graphql_carries_the_viewer_and_refuses_forged_headers_at_the_subgraph() {
    let s = Stack::start().await;
    let (alice, a, refresh) = s.sign_up("alice").await;
    let me = s
        .graphql("{ me { id username } }", json!({}), &[("access-token", &a)])
        .await;
    assert_eq!(me["data"]["me"], json!({"id": alice, "username": "alice"}));
    // An expired access token with its refresh token: served, with the renewed token.
    let uid: i64 = alice.parse().unwrap();
    let now = testkit::unix_now();
    let stale = s.keys.issue(uid, 1, 1, now - 7200).access;
    let r = s
        .http
        .post(s.url("/graphql"))
        .header("access-token", &stale)
        .header("refresh-token", &refresh)
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    let renewed = r.headers().get("access-token").cloned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["me"]["id"], alice.as_str(), "{body}");
    assert!(renewed.is_some(), "a renewed Access-Token header");
    let r = s
        .graphql("{ me { id } }", json!({}), &[("access-token", &stale)])
        .await;
    assert_eq!(testkit::error_code(&r), Some(10003), "{r}");

    // Straight to the user subgraph with a header signed by the wrong key: refused.
    let forged = kit::caller::CallerSigner::new(kit::caller::ROUTER, &"f".repeat(40).into())
        .unwrap()
        .sign(
            &kit::caller::Caller::User(uid),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    let direct = s
        .graphql_at(
            &format!("{}/graphql", s.service("user")),
            "{ me { id } }",
            json!({}),
            &[(kit::caller::HEADER, &forged)],
        )
        .await;
    assert_eq!(testkit::error_code(&direct), Some(10003), "{direct}");
    // A REST action without its fields is refused at the edge.
    let r = s.form(Method::POST, "/user/register", &[], &[]).await;
    assert_eq!(code(&envelope(r).await.1), 10002);
}

/// Audit checks the router misses, with the reason (mirrored in docs/router.md).
const KNOWN_MISSES: &[&str] = &[];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_http_audit_passes_every_must_through_the_router() {
    let s = Stack::start().await;
    let failed: Vec<testkit::AuditCheck> = testkit::graphql_audit(&s.url("/graphql"))
        .await
        .into_iter()
        .filter(|c| !c.ok)
        .collect();
    let musts: Vec<&String> = failed
        .iter()
        .filter(|c| c.name.starts_with("MUST"))
        .map(|c| &c.line)
        .collect();
    assert!(musts.is_empty(), "MUST checks failed:\n{musts:#?}");
    let others: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
    let lines: Vec<&String> = failed.iter().map(|c| &c.line).collect();
    assert_eq!(
        others, KNOWN_MISSES,
        "the SHOULD/MAY misses changed; update KNOWN_MISSES and docs/router.md:\n{lines:#?}"
    );
}

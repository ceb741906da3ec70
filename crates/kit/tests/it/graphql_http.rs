//! Behaviour of kit's GraphQL-over-HTTP handler beyond the audit: methods, media types, limits,
//! coded errors and the request hook.

use std::sync::Arc;

use kit::{AppError, ErrorCode};
use serde_json::{Value, json};

use crate::helpers::{Viewer, client, spawn_graphql};

const GRJ: &str = "application/graphql-response+json";

#[tokio::test]
async fn post_query_returns_data_as_json_by_default() {
    let server = spawn_graphql(None).await;
    let res = client()
        .post(server.url("/graphql"))
        .json(&json!({"query": "{ hello }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"data": {"hello": "world"}})
    );
}

#[tokio::test]
async fn resolver_errors_carry_numeric_code_and_name() {
    let server = spawn_graphql(None).await;
    let res = client()
        .post(server.url("/graphql"))
        .header("accept", GRJ)
        .json(&json!({"query": "{ forbidden }"}))
        .send()
        .await
        .unwrap();
    // An execution error is not a request error: 200 even under graphql-response+json.
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], 10005);
    assert_eq!(body["errors"][0]["extensions"]["name"], "FORBIDDEN");
    assert_eq!(body["errors"][0]["path"], json!(["forbidden"]));
}

#[tokio::test]
async fn mutation_over_get_is_refused_with_405_and_not_run() {
    let server = spawn_graphql(None).await;
    let res = client()
        .get(server.url("/graphql"))
        .query(&[("query", "mutation { bump }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
}

#[tokio::test]
async fn get_query_with_variables_runs() {
    let server = spawn_graphql(None).await;
    let res = client()
        .get(server.url("/graphql"))
        .query(&[
            ("query", "query($t: String!) { echo(text: $t) }"),
            ("variables", r#"{"t":"中文"}"#),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"data": {"echo": "中文"}})
    );
}

#[tokio::test]
async fn invalid_documents_and_mistyped_variables_are_invalid_parameters() {
    let server = spawn_graphql(None).await;
    for (query, variables) in [
        ("query($t: String!) { echo(text: $t) }", json!({"t": 5})),
        ("query($t: String!) { echo(text: $t) }", json!({})),
        ("{ noSuchField }", json!({})),
    ] {
        let res = client()
            .post(server.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert!(body["data"].is_null(), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], 10002, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["name"], "INVALID_PARAMETER");
    }
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let server = spawn_graphql(None).await;
    let res = client()
        .post(server.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{ hello }")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn non_utf8_charset_is_415() {
    let server = spawn_graphql(None).await;
    let res = client()
        .post(server.url("/graphql"))
        .header("content-type", "application/json; charset=latin1")
        .body(r#"{"query":"{ hello }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let server = spawn_graphql(None).await;
    let huge = "x".repeat(200 * 1024);
    let res = client()
        .post(server.url("/graphql"))
        .json(&json!({"query": format!("{{ echo(text: \"{huge}\") }}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn invalid_utf8_body_is_a_request_error() {
    let server = spawn_graphql(None).await;
    let res = client()
        .post(server.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", GRJ)
        .body(vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], 10002);
    assert!(body.get("data").is_none());
}

#[tokio::test]
async fn unacceptable_accept_is_406() {
    let server = spawn_graphql(None).await;
    let res = client()
        .post(server.url("/graphql"))
        .header("accept", "text/html")
        .json(&json!({"query": "{ hello }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 406);
}

#[tokio::test]
async fn several_operations_need_an_operation_name() {
    let server = spawn_graphql(None).await;
    let doc = "query A { hello } query B { echo(text: \"b\") }";
    let res = client()
        .post(server.url("/graphql"))
        .json(&json!({"query": doc}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], 10002);
    let res = client()
        .post(server.url("/graphql"))
        .json(&json!({"query": doc, "operationName": "B"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"data": {"echo": "b"}})
    );
}

#[tokio::test]
async fn request_hook_adds_data_or_refuses_the_request() {
    let hook: kit::graphql_http::RequestHook = Arc::new(|parts, request| {
        match parts
            .headers
            .get("x-test-viewer")
            .and_then(|v| v.to_str().ok())
        {
            Some("bad") => Err(AppError::new(ErrorCode::Unauthenticated)),
            Some(v) => Ok(request.data(Viewer(v.to_owned()))),
            None => Ok(request),
        }
    });
    let server = spawn_graphql(Some(hook)).await;
    let ask = |viewer: Option<&'static str>| {
        let mut req = client()
            .post(server.url("/graphql"))
            .json(&json!({"query": "{ viewer }"}));
        if let Some(v) = viewer {
            req = req.header("x-test-viewer", v);
        }
        req.send()
    };
    let body: Value = ask(Some("42")).await.unwrap().json().await.unwrap();
    assert_eq!(body, json!({"data": {"viewer": "42"}}));
    let body: Value = ask(None).await.unwrap().json().await.unwrap();
    assert_eq!(body, json!({"data": {"viewer": null}}));
    let body: Value = ask(Some("bad")).await.unwrap().json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], 10003);
}

#[tokio::test]
async fn introspection_type_lookup_with_a_variable_runs() {
    let server = spawn_graphql(None).await;
    let query = "query Type($name: String!) { __type(name: $name) { name } }";
    let res = client()
        .post(server.url("/graphql"))
        .json(&json!({"query": query, "variables": {"name": "Query"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"data": {"__type": {"name": "Query"}}})
    );
}

#[tokio::test]
async fn a_service_port_runs_only_what_the_router_or_a_service_signed() {
    use kit::caller::{CLIENT_HEADER, Caller, CallerSigner, CallerVerifier, HEADER, ROUTER};
    let signer = |name: &str, s: &str| {
        CallerSigner::new(name, &secrecy::SecretString::from(s.repeat(32))).unwrap()
    };
    let key = signer(ROUTER, "k");
    let verifier = CallerVerifier::trusting(&[&key]);
    let server = spawn_graphql(Some(kit::graphql_http::vouched_hook(&verifier))).await;
    let ttl = std::time::Duration::from_secs(60);
    let ask = async |headers: Vec<(&'static str, String)>| -> Value {
        let mut req = client()
            .post(server.url("/graphql"))
            .json(&json!({"query": "{ caller }"}));
        for (name, value) in headers {
            req = req.header(name, value);
        }
        req.send().await.unwrap().json().await.unwrap()
    };
    let refused = |body: &Value| {
        assert_eq!(body["errors"][0]["extensions"]["code"], 10003, "{body}");
        assert!(
            body.get("data").is_none(),
            "a refused request must not execute"
        );
    };
    // No signed header at all: the request did not come through the router.
    let body = ask(vec![]).await;
    refused(&body);
    // The router vouching for an anonymous visitor's address.
    let client_header = key.sign_client("203.0.113.9".parse().unwrap(), ttl);
    let body = ask(vec![(CLIENT_HEADER, client_header)]).await;
    assert_eq!(body["data"]["caller"], "Some(Anonymous)");
    let signed = key.sign(&Caller::User(5), ttl).unwrap();
    let body = ask(vec![(HEADER, signed.clone())]).await;
    assert_eq!(body["data"]["caller"], "Some(User(5))");
    let forged = signed.replacen(".u.5.", ".u.6.", 1);
    let body = ask(vec![(HEADER, forged)]).await;
    refused(&body);
    let other_key = signer(ROUTER, "x");
    let foreign = other_key
        .sign(&Caller::Service(ROUTER.into()), ttl)
        .unwrap();
    let body = ask(vec![(HEADER, foreign)]).await;
    refused(&body);
    let foreign_client = other_key.sign_client("203.0.113.9".parse().unwrap(), ttl);
    let body = ask(vec![(CLIENT_HEADER, foreign_client)]).await;
    refused(&body);
}

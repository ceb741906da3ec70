//! Attacks a hostile client can try through the router (or straight at a service port where that is
//! the hole), each with the answer it must get. `docs/security.md` lists the limits they check.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::stack::{Stack, code, envelope};

/// The router's development signing key, which every service of the test stack trusts (as a
/// compromised router-side process would hold it).
fn caller_key() -> kit::caller::CallerSigner {
    testkit::signed::dev_router()
}

/// GraphQL requests answered by the services of this test process (they share one registry).
async fn graphql_requests(s: &Stack, service: &str) -> f64 {
    let text = testkit::get_text(&s.http, &format!("{}/metrics", s.service(service))).await;
    text.lines()
        .filter(|l| l.starts_with("http_server_requests_total{"))
        .filter(|l| l.contains("http_route=\"/graphql\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The first error's numeric code, asserting there is no data beside it.
fn refused_code(body: &Value) -> i64 {
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "a refused operation returns no data: {body}"
    );
    testkit::error_code(body).unwrap_or_else(|| panic!("no error code in {body}"))
}

/// One raw HTTP/1.1 request, so the path reaches the router exactly as written (HTTP clients
/// normalise dot segments before sending). Returns the status and the body.
async fn raw_get(s: &Stack, path: &str) -> (u16, String) {
    let addr = s.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn an_upload_url_never_gives_back_the_uploaders_token() {
    let s = Stack::start().await;
    let (_, access, _) = s.sign_up("alice").await;
    let token = STANDARD.encode(&access);
    let metadata = format!(
        "filename {},title {},token {token}",
        STANDARD.encode("clip.mp4"),
        STANDARD.encode("mine")
    );
    let created = s
        .http
        .post(s.url("/uploads/"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1000")
        .header("Upload-Metadata", &metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status(),
        201,
        "the metadata token authenticates creation"
    );
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let url = if location.starts_with("http") {
        location
    } else {
        s.url(&location)
    };

    // Anyone holding the URL may HEAD it, with no credential: nothing secret comes back.
    let head = s
        .http
        .head(&url)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    let echoed = head
        .headers()
        .get("upload-metadata")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        !echoed.contains(&token) && !echoed.split(',').any(|p| p.trim().starts_with("token")),
        "the access token is echoed: {echoed}"
    );
    assert!(
        echoed.contains(&STANDARD.encode("mine")),
        "the other keys stay: {echoed}"
    );
}

#[tokio::test]
async fn list_sizes_multiply_into_a_cost_limit_checked_before_any_subgraph() {
    let s = Stack::start().await;
    let nested = "{ feed(pageSize: 100) { items { comments(pageSize: 100) { items {
        replies(pageSize: 100) { items { replies(pageSize: 100) { items { id content } } } } } } } } }";
    let with_variables = "query($n: Int) { feed(pageSize: $n) { items { id
        comments(pageSize: $n) { items { id replies(pageSize: $n) { items { id } } } } } } }";
    let before = graphql_requests(&s, "video").await;
    for (query, variables) in [(nested, json!({})), (with_variables, json!({"n": 100}))] {
        let r = s.graphql(query, variables, &[]).await;
        assert_eq!(refused_code(&r), 10002, "{r}");
    }
    assert_eq!(
        graphql_requests(&s, "video").await,
        before,
        "no subgraph saw the refused operations"
    );

    // An ordinary page with a few comments each stays well inside the limit.
    let r = s.graphql(with_variables, json!({"n": 10}), &[]).await;
    assert!(r.get("errors").is_none(), "{r}");
    assert!(graphql_requests(&s, "video").await > before);
}

#[tokio::test]
async fn expensive_fields_run_at_most_once_per_request() {
    let s = Stack::start().await;
    let images: String = (0..60)
        .map(|i| format!("a{i}: searchImages(imageBase64: $img) {{ id url }} "))
        .collect();
    let logins: String = (0..2)
        .map(|i| {
            format!("l{i}: login(username: \"nobody\", password: \"guess{i}x\") {{ accessToken }} ")
        })
        .collect();
    let password_changes: String = (0..2)
        .map(|i| {
            format!(
                "p{i}: changePassword(currentPassword: \"guess{i}x\", newPassword: \"owned0wned\") "
            )
        })
        .collect();
    let registrations: String = (0..2)
        .map(|i| {
            format!("r{i}: register(username: \"mass{i}\", password: \"passw0rd{i}\") {{ id }} ")
        })
        .collect();
    // Development keeps introspection (the IDE and the graphql-http audit use it).
    let r = s
        .graphql("{ __schema { queryType { name } } }", json!({}), &[])
        .await;
    assert_eq!(r["data"]["__schema"]["queryType"]["name"], "Query", "{r}");
    let before_search = graphql_requests(&s, "search").await;
    let r = s
        .graphql(
            &format!("query($img: String!) {{ {images} }}"),
            json!({"img": "AAAA"}),
            &[],
        )
        .await;
    assert_eq!(refused_code(&r), 10002, "{r}");
    assert_eq!(graphql_requests(&s, "search").await, before_search);

    let before_user = graphql_requests(&s, "user").await;
    for ops in [logins, registrations, password_changes] {
        let r = s
            .graphql(&format!("mutation {{ {ops} }}"), json!({}), &[])
            .await;
        assert_eq!(refused_code(&r), 10002, "{r}");
    }
    assert_eq!(graphql_requests(&s, "user").await, before_user);
}

/// The error codes of a many-alias `mutation { ops }` sent straight to the user subgraph with
/// `header` (a signed caller or client address, as a compromised internal caller would).
async fn codes_at_user_port(s: &Stack, ops: &str, header: (&str, &str)) -> Vec<i64> {
    let body = s
        .graphql_at(
            &format!("{}/graphql", s.service("user")),
            &format!("mutation {{ {ops} }}"),
            json!({}),
            &[header],
        )
        .await;
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["extensions"]["code"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn password_guesses_through_change_password_share_the_login_limit() {
    let s = Stack::start().await;
    let (id, _, _) = s.sign_up("victim").await;
    let uid: i64 = id.parse().unwrap();
    let key = caller_key();
    let caller = key
        .sign(
            &kit::caller::Caller::User(uid),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    let guesses: String = (0..60)
        .map(|i| format!("g{i}: changePassword(currentPassword: \"guess{i:03}x\", newPassword: \"owned0wned\") "))
        .collect();
    let codes = codes_at_user_port(&s, &guesses, (kit::caller::HEADER, &caller)).await;
    assert_eq!(codes.len(), 60, "every guess answered: {codes:?}");
    let checked = codes.iter().filter(|c| **c == 11002).count();
    assert!(
        checked <= 10,
        "at most the per-username limit of guesses is checked, {checked} were"
    );
    assert!(
        codes.iter().all(|c| *c == 11002 || *c == 10006),
        "{codes:?}"
    );

    // The login limit is the same budget: the right password is refused too, for now.
    let (_, login) = s.login("victim").await;
    assert_eq!(code(&login), 10006, "{login}");
}

#[tokio::test]
async fn registrations_from_one_address_are_limited_like_logins() {
    let s = Stack::start().await;
    let key = caller_key();
    let client = key.sign_client(
        "198.51.100.7".parse().unwrap(),
        std::time::Duration::from_secs(60),
    );
    let prefix = testkit::unique("m");
    let mut codes = Vec::new();
    for batch in 0..2 {
        let ops: String = (0..60)
            .map(|i| {
                format!("r{i}: register(username: \"{prefix}{batch}x{i}\", password: \"passw0rd{i}\") {{ id }} ")
            })
            .collect();
        codes.extend(codes_at_user_port(&s, &ops, (kit::caller::CLIENT_HEADER, &client)).await);
    }
    let limited = codes.iter().filter(|c| **c == 10006).count();
    assert!(
        limited >= 20,
        "120 registrations from one address: at most the per-address limit (100) go through; {limited} were refused"
    );
}

/// U5: a fresh secret offered to the caller, and its authenticator.
async fn offer(s: &Stack, access: &str) -> (String, user::domain::mfa::MfaSecret) {
    let (_, offer) = envelope(s.get("/auth/mfa/qrcode", &[("access-token", access)]).await).await;
    let secret = offer["data"]["secret"].as_str().unwrap().to_owned();
    let totp = user::domain::mfa::MfaSecret::from_base32(&secret).unwrap();
    (secret, totp)
}

#[tokio::test]
async fn replacing_a_bound_mfa_secret_needs_the_current_code() {
    let s = Stack::start().await;
    let (_, access, refresh) = s.sign_up("mallory").await;
    let auth = [("access-token", access.as_str())];
    let now = testkit::unix_now() as u64;
    let (first, first_totp) = offer(&s, &access).await;
    let bind = |fields: Vec<(&'static str, String)>| {
        let s = &s;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            code(
                &s.form_envelope(Method::POST, "/auth/mfa/bind", &fields, &auth)
                    .await
                    .1,
            )
        }
    };
    assert_eq!(
        bind(vec![
            ("secret", first),
            ("code", first_totp.code_at(now - 30))
        ])
        .await,
        10000
    );

    // Someone holding only the access token tries to move the account to their authenticator.
    let (second, second_totp) = offer(&s, &access).await;
    let takeover = vec![
        ("secret", second.clone()),
        ("code", second_totp.code_at(now)),
    ];
    assert_eq!(
        bind(takeover.clone()).await,
        11004,
        "the current code is required"
    );
    let mut wrong = takeover.clone();
    wrong.push(("current_code", "000000".into()));
    assert_eq!(bind(wrong).await, 11005, "a wrong current code is refused");

    // The owner, with the current code, may replace it; every other session ends.
    let mut owner = takeover;
    owner.push(("current_code", first_totp.code_at(now)));
    assert_eq!(bind(owner).await, 10000);
    let (_, refreshed) = s
        .form_envelope(
            Method::POST,
            "/auth/refresh",
            &[("refresh_token", &refresh)],
            &[],
        )
        .await;
    assert_eq!(
        code(&refreshed),
        11006,
        "sessions are revoked when the secret changes"
    );
}

#[tokio::test]
async fn dot_segments_never_reach_a_service_route() {
    let s = Stack::start().await;
    for path in [
        "/uploads/../readyz",
        "/uploads/%2e%2e/readyz",
        "/uploads/.%2E/metrics",
        "/uploads/./../healthz",
    ] {
        let (status, body) = raw_get(&s, path).await;
        assert_ne!(status, 200, "{path} reached a service: {body}");
        let body: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}"));
        assert_eq!(code(&body), 10002, "{path}");
    }
}

#[tokio::test]
async fn passwords_are_not_taken_from_the_query_string() {
    let s = Stack::start().await;
    s.sign_up("quentin").await;
    let r = s
        .form(
            Method::POST,
            "/user/login?username=quentin&password=passw0rd!",
            &[],
            &[],
        )
        .await;
    let (headers, body) = envelope(r).await;
    assert_eq!(code(&body), 10002, "{body}");
    assert!(headers.get("access-token").is_none());
    // The password in the form still logs in, even with the username in the query string.
    let r = s
        .form(
            Method::POST,
            "/user/login?username=quentin",
            &[("password", "passw0rd!")],
            &[],
        )
        .await;
    assert_eq!(code(&envelope(r).await.1), 10000);
}

/// U3's code for an access token.
async fn info_code(s: &Stack, access: &str) -> i64 {
    code(
        &envelope(s.get("/user/info", &[("access-token", access)]).await)
            .await
            .1,
    )
}

#[tokio::test]
async fn logout_and_password_change_end_access_tokens_and_chat_within_seconds() {
    let s = Stack::start().await;
    let (_, first, first_refresh) = s.sign_up("olivia").await;
    let (headers, body) = s.login("olivia").await;
    assert_eq!(code(&body), 10000);
    let second = headers["access-token"].to_str().unwrap().to_owned();
    assert_eq!(info_code(&s, &first).await, 10000);

    // Logging out one session ends its access token at the edge, not an hour later.
    let (_, out) = s
        .form_envelope(
            Method::POST,
            "/auth/logout",
            &[("refresh_token", &first_refresh)],
            &[],
        )
        .await;
    assert_eq!(code(&out), 10000, "{out}");
    testkit::eventually(
        5,
        "the logged-out session's access token is refused",
        || async { info_code(&s, &first).await == 10003 },
    )
    .await;
    assert_eq!(
        info_code(&s, &second).await,
        10000,
        "the other session lives on"
    );

    // A password change ends every session: the other access token and its open chat socket.
    let mut chat = s
        .chat(&[("access-token", &second)], "")
        .await
        .expect("the chat opens");
    let changed = s
        .graphql(
            "mutation { changePassword(currentPassword: \"passw0rd!\", newPassword: \"n3w-passw0rd\") }",
            json!({}),
            &[("access-token", &second)],
        )
        .await;
    assert_eq!(changed["data"]["changePassword"], true, "{changed}");
    assert_eq!(
        chat.closed().await,
        Some(1008),
        "policy violation: the session ended"
    );
    assert_eq!(info_code(&s, &second).await, 10003);
}

#[tokio::test]
async fn writes_image_searches_and_uploads_are_limited_per_client_at_the_edge() {
    let s = Stack::start_with(&[
        ("CLIPFED_ROUTER_WRITES_PER_MINUTE", "3"),
        ("CLIPFED_ROUTER_IMAGE_SEARCHES_PER_MINUTE", "2"),
        ("CLIPFED_ROUTER_UPLOADS_PER_MINUTE", "1"),
    ])
    .await;
    let (alice, access, _) = s.sign_up("alice").await;
    let (_, other, _) = s.sign_up("bob").await;
    let auth = [("access-token", access.as_str())];
    let follow = |token: String| {
        let (s, alice) = (&s, alice.clone());
        async move {
            let fields = [("to_user_id", alice.as_str()), ("action_type", "0")];
            let headers = [("access-token", token.as_str())];
            code(
                &s.form_envelope(Method::POST, "/relation/action", &fields, &headers)
                    .await
                    .1,
            )
        }
    };
    // Three writes pass (refusals of the subgraph count too: alice cannot follow herself).
    for _ in 0..3 {
        assert_ne!(follow(access.clone()).await, 10006);
    }
    let before = graphql_requests(&s, "social").await;
    assert_eq!(
        follow(access.clone()).await,
        10006,
        "the fourth write in the minute"
    );
    let r = s
        .graphql(
            "mutation($u: ID!) { relationAction(toUserId: $u, actionType: 0) }",
            json!({"u": alice}),
            &auth,
        )
        .await;
    assert_eq!(refused_code(&r), 10006, "the same count over GraphQL: {r}");
    assert_eq!(
        graphql_requests(&s, "social").await,
        before,
        "refused at the edge"
    );
    // (Any answer but 10006: the social service may not know alice's account yet.)
    assert_ne!(follow(other.clone()).await, 10006, "bob has his own count");

    // Image search, by client address, over REST and GraphQL alike.
    let image = reqwest::multipart::Form::new().part(
        "data",
        reqwest::multipart::Part::bytes(testkit::pictures::png(&testkit::pictures::picture(
            3, 32, 32,
        )))
        .file_name("q.png"),
    );
    let first = envelope(
        s.multipart(Method::POST, "/user/image/search", image, &[])
            .await,
    )
    .await;
    assert_ne!(code(&first.1), 10006);
    let r = s
        .graphql(
            "query($i: String!) { searchImages(imageBase64: $i) { id } }",
            json!({"i": "AAAA"}),
            &[],
        )
        .await;
    assert_ne!(testkit::error_code(&r), Some(10006), "{r}");
    let r = s
        .graphql(
            "query($i: String!) { searchImages(imageBase64: $i) { id } }",
            json!({"i": "AAAA"}),
            &auth,
        )
        .await;
    assert_eq!(
        refused_code(&r),
        10006,
        "the third search from this address: {r}"
    );
    // A forged X-Forwarded-For does not buy a fresh count: no proxy is trusted by default.
    let r = s
        .graphql(
            "query($i: String!) { searchImages(imageBase64: $i) { id } }",
            json!({"i": "AAAA"}),
            &[("x-forwarded-for", "203.0.113.77")],
        )
        .await;
    assert_eq!(refused_code(&r), 10006, "{r}");

    // Uploads started, per user: tus creation answers 429.
    let create = || {
        s.http
            .post(s.url("/uploads/"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "100")
            .header(
                "Upload-Metadata",
                format!("filename {}", STANDARD.encode("a.mp4")),
            )
            .header("access-token", &access)
            .send()
    };
    assert_eq!(create().await.unwrap().status(), 201);
    assert_eq!(create().await.unwrap().status(), 429);
}

#[tokio::test]
async fn production_mode_closes_introspection_and_the_ide_but_keeps_typename() {
    // Keys that are not the development ones (the services of the stack keep theirs: this test
    // asks only what the router answers itself).
    let jwt = kit::keys::public_of(&"p".repeat(48).into()).unwrap();
    let signing = "q".repeat(48);
    let s = Stack::start_with(&[
        ("CLIPFED_AUTH__PRODUCTION", "true"),
        ("CLIPFED_AUTH__JWT_PUBLIC_KEY", jwt.as_str()),
        ("CLIPFED_ROUTER_SIGNING_KEY", signing.as_str()),
    ])
    .await;
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"User\") { fields { name } } }",
        "{ ...F } fragment F on Query { __schema { types { name } } }",
    ] {
        let r = s.graphql(query, json!({}), &[]).await;
        assert_eq!(refused_code(&r), 10005, "{query}: {r}");
    }
    let r = s.graphql("{ __typename }", json!({}), &[]).await;
    assert_eq!(r["data"]["__typename"], "Query", "{r}");
    let ide = s
        .http
        .get(s.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(ide.status(), 404, "no IDE page in production");
}

#[tokio::test]
async fn a_slow_but_steady_large_upload_through_the_router_is_not_cut_off() {
    let s = Stack::start().await;
    let (_, access, _) = s.sign_up("patient").await;
    const SIZE: usize = 64 * 1024 * 1024;
    const CHUNK: usize = 256 * 1024;
    let created = s
        .http
        .post(s.url("/uploads/"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", SIZE.to_string())
        .header(
            "Upload-Metadata",
            format!("filename {}", STANDARD.encode("slow.mp4")),
        )
        .header("access-token", &access)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let url = if location.starts_with("http") {
        location
    } else {
        s.url(&location)
    };
    // 64 MiB at about 1.6 MiB/s: some 40 s, longer than the router's 30 s request timeout.
    let file = testkit::mp4(SIZE, 21);
    let chunks: Vec<bytes::Bytes> = file
        .chunks(CHUNK)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let paced = futures::stream::iter(chunks).then(|chunk| async move {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        Ok::<_, std::io::Error>(chunk)
    });
    let started = std::time::Instant::now();
    let patched = reqwest::Client::new()
        .patch(&url)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", SIZE.to_string())
        .header("access-token", &access)
        .body(reqwest::Body::wrap_stream(paced))
        .send()
        .await
        .expect("the router keeps the connection");
    assert!(
        started.elapsed() > std::time::Duration::from_secs(31),
        "the upload was slow"
    );
    assert_eq!(patched.status(), 204, "{:?}", patched.text().await);
    assert_eq!(
        patched.headers()["upload-offset"],
        SIZE.to_string().as_str()
    );
}

/// How many times this test process's services executed the operation `name` (refused requests
/// never reach execution).
async fn executed(s: &Stack, name: &str) -> f64 {
    let text = testkit::get_text(&s.http, &format!("{}/metrics", s.service("user"))).await;
    let label = format!("graphql_operation_name=\"{name}\"");
    text.lines()
        .filter(|l| l.starts_with(kit::telemetry::names::GRAPHQL_OPERATIONS))
        .filter(|l| l.contains(&label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn a_service_port_reached_around_the_router_runs_nothing() {
    let s = Stack::start().await;
    let name = testkit::unique("direct");
    let attacks = [
        (
            "user",
            "mutation DirectAttack($u: String!) { register(username: $u, password: \"passw0rd!\") { id } }",
        ),
        (
            "user",
            "mutation DirectAttack($u: String!) { login(username: $u, password: \"guess\") { accessToken } }",
        ),
        (
            "video",
            "mutation DirectAttack { recordVisit(videoId: \"1\") }",
        ),
        (
            "social",
            "mutation DirectAttack { relationAction(toUserId: \"1\", actionType: 0) }",
        ),
        (
            "search",
            "query DirectAttack { searchImages(imageBase64: \"AAAA\") { id } }",
        ),
        (
            "search",
            "query DirectAttack { __schema { queryType { name } } }",
        ),
    ];
    for (service, query) in attacks {
        let body = s
            .graphql_at(
                &format!("{}/graphql", s.service(service)),
                query,
                json!({"u": name}),
                &[],
            )
            .await;
        assert_eq!(refused_code(&body), 10003, "{service}: {body}");
    }
    assert_eq!(executed(&s, "DirectAttack").await, 0.0, "nothing executed");

    // Image search over HTTP at the search port: refused before the image is read.
    let image = reqwest::multipart::Form::new().part(
        "data",
        reqwest::multipart::Part::bytes(testkit::pictures::png(&testkit::pictures::picture(
            4, 32, 32,
        )))
        .file_name("q.png"),
    );
    let r = s
        .http
        .post(format!("{}/user/image/search", s.service("search")))
        .multipart(image)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["base"]["code"], 10003, "{body}");

    // The refused registration wrote nothing: the name is still free through the router.
    let reg = s
        .form(
            Method::POST,
            "/user/register",
            &[("username", name.as_str()), ("password", "passw0rd!")],
            &[],
        )
        .await;
    assert_eq!(code(&envelope(reg).await.1), 10000);
}

/// Found by the `graphql_limits` fuzz target: Hive Router's tree conversion expects every inline
/// fragment to name its type. The plugin only ever sees the normalised operation, where that
/// holds; this checks the whole path with such a document, and that the once-per-request rule
/// sees through the fragment.
#[tokio::test]
async fn inline_fragments_without_a_type_are_checked_like_any_selection() {
    let s = Stack::start().await;
    let r = s.graphql("{ ... { __typename } }", json!({}), &[]).await;
    assert_eq!(r["data"]["__typename"], "Query", "{r}");
    let twice = "{ ... { a: searchImages(imageBase64: \"AAAA\") { id } } \
                 ... { b: searchImages(imageBase64: \"AAAA\") { id } } }";
    let r = s.graphql(twice, json!({}), &[]).await;
    assert_eq!(refused_code(&r), 10002, "{r}");
}

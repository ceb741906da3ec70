//! C1 through the router: the chat WebSocket upgraded through to the social service, with the
//! token in a header or in the `token` query parameter, refused before the upgrade without a user,
//! renewed on the upgrade answer, and frames relayed both ways, closes included.

use serde_json::{Value, json};
use testkit::chat::Chat;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::social::once_known;
use crate::stack::{Stack, code};

impl Stack {
    /// Opens `/ws?{query}` with `headers`.
    pub(crate) async fn chat(
        &self,
        headers: &[(&str, &str)],
        query: &str,
    ) -> Result<Chat, (u16, Value)> {
        let url = format!("{}/ws?{query}", self.base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        for (name, value) in headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        Chat::open(request).await
    }
}

#[tokio::test]
async fn chat_upgrades_through_the_router_with_a_header_or_a_query_token() {
    let s = Stack::start().await;
    let (alice, a, _) = s.sign_up("alice").await;
    let (bob, b, b_refresh) = s.sign_up("bob").await;
    let first = once_known(|| s.relation(&a, &bob, "0")).await;
    assert_eq!(code(&first), 10000, "{first}");
    let back = once_known(|| s.relation(&b, &alice, "0")).await;
    assert_eq!(code(&back), 10000, "{back}");

    let mut ca = s
        .chat(&[("access-token", &a)], "")
        .await
        .expect("header token");
    let mut cb = s
        .chat(&[], &format!("token={b}"))
        .await
        .expect("query token");
    let bearer = format!("Bearer {a}");
    let mut ca2 = s
        .chat(&[("authorization", &bearer)], "")
        .await
        .expect("bearer token");

    let sent = ca
        .ask(json!({"type": "private.send", "to_user_id": bob, "content": "hi bob"}))
        .await;
    assert_eq!(sent["base"]["code"], 10000, "{sent}");
    assert_eq!(sent["data"]["from_user_id"], alice.as_str());
    let pushed = json!({"type": "private.message", "data": sent["data"]});
    assert_eq!(cb.push().await, pushed);
    assert_eq!(ca2.push().await, pushed);
    let answer = cb
        .ask(json!({"type": "private.send", "to_user_id": bob, "content": "me"}))
        .await;
    assert_eq!(answer["base"]["code"], 10002, "{answer}");
    let answer = cb
        .ask(json!({"type": "private.send", "to_user_id": alice, "content": "hi alice"}))
        .await;
    assert_eq!(answer["base"]["code"], 10000);
    assert_eq!(ca.push().await["data"]["content"], "hi alice");
    let history = ca
        .ask(json!({"type": "private.history", "user_id": bob, "page_size": 10}))
        .await;
    assert_eq!(history["data"]["total"], 2, "{history}");

    // An idle connection outlives the router's HTTP keep-alive (5 s): the upgraded connection is
    // no longer under HTTP's timers.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let still = ca.ask(json!({"type": "private.unread"})).await;
    assert_eq!(still["base"]["code"], 10000, "{still}");

    // Binary frames pass through (and are refused by the service), the connection stays.
    ca.send(Message::binary(vec![0_u8; 8])).await;
    assert_eq!(ca.reply_to(&Value::Null).await["base"]["code"], 10008);

    // A client close is answered (the close handshake) and reaches the service, which drops the
    // connection: three open before, two after. A new connection works.
    let open = || async {
        let url = format!("{}/metrics", s.service("social"));
        let metrics = testkit::get_text(&s.http, &url).await;
        testkit::metric(&metrics, "clipfed_social_chat_connections ")
    };
    assert_eq!(open().await, 3.0);
    let bye = tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: 1000.into(),
        reason: "bye".into(),
    };
    cb.send(Message::Close(Some(bye))).await;
    assert_eq!(cb.closed().await, Some(1000));
    testkit::eventually(10, "the service saw the close", || async {
        open().await == 2.0
    })
    .await;
    let mut cb = s.chat(&[("access-token", &b)], "").await.unwrap();
    let unread = cb.ask(json!({"type": "private.unread"})).await;
    assert_eq!(unread["data"]["total"], 1, "{unread}");

    // A frame over the limit closes the client's side with 1009.
    ca2.send(Message::text("z".repeat(router::ws::MAX_FRAME + 1)))
        .await;
    assert_eq!(ca2.closed().await, Some(1009));

    // Expired access + valid refresh: upgraded, with the renewed token on the answer.
    let uid: i64 = bob.parse().unwrap();
    let stale = s
        .keys
        .issue(uid, 1, 1, testkit::unix_now() - 2 * 3600)
        .access;
    let renewed = s
        .chat(
            &[("access-token", &stale), ("refresh-token", &b_refresh)],
            "",
        )
        .await
        .expect("renewed upgrade");
    let fresh = renewed
        .headers
        .get("access-token")
        .expect("a renewed token");
    let claims = s
        .keys
        .verify(fresh.to_str().unwrap(), kit::token::Kind::Access)
        .unwrap();
    assert_eq!(claims.sub, bob);
}

#[tokio::test]
async fn chat_without_a_user_is_refused_before_the_upgrade() {
    let s = Stack::start().await;
    let (bob, _, _) = s.sign_up("bob").await;
    let uid: i64 = bob.parse().unwrap();
    let stale = s
        .keys
        .issue(uid, 1, 1, testkit::unix_now() - 2 * 3600)
        .access;
    // (headers, query, status, code)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, u16, i64);
    let cases: Vec<Case> = vec![
        (vec![], "", 401, 10003),
        (vec![("access-token", "garbage")], "", 401, 10003),
        (vec![], "token=garbage", 401, 10003),
        (vec![], "token=", 401, 10003),
        (vec![("access-token", &stale)], "", 401, 10004),
        (
            vec![("access-token", &stale), ("refresh-token", "x")],
            "",
            401,
            10004,
        ),
    ];
    for (headers, query, status, want) in cases {
        let (got, body) = s.chat(&headers, query).await.err().expect("refused");
        assert_eq!(
            (got, code(&body)),
            (status, want),
            "{headers:?} {query}: {body}"
        );
    }

    // A plain GET on /ws, with a valid user, is not an upgrade.
    let (_, access, _) = s.sign_up("carol").await;
    let plain = s.get("/ws", &[("access-token", &access)]).await;
    assert_eq!(plain.status(), 400);
    let body: Value = plain.json().await.unwrap();
    assert_eq!(code(&body), 10002, "{body}");
    // Other methods are not routes.
    let post = s
        .http
        .post(s.url("/ws"))
        .header("access-token", &access)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 400);
}

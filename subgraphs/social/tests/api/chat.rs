//! The chat WebSocket: who may connect, private messages between friends (live, stored, unread,
//! paged history), groups of friends, bad frames, and the close on shutdown.

use std::time::Duration;

use kit::caller::Caller;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

/// Users 1..=4 where 1 and 2 are friends, 1 and 3 are friends, and 1 follows 4 (not back).
async fn circle(app: &TestApp, base: i64) -> [i64; 4] {
    let ids = [base + 1, base + 2, base + 3, base + 4];
    app.users(&ids).await;
    for (a, b) in [(0, 1), (1, 0), (0, 2), (2, 0), (0, 3)] {
        assert_ok(&app.relation(ids[a], ids[b], 0).await);
    }
    ids
}

async fn chat(app: &TestApp, id: i64) -> Chat {
    app.chat_as(&user(id)).await.expect("chat opens")
}

#[track_caller]
fn assert_base(reply: &Value, code: i64) {
    assert_eq!(reply["base"]["code"], code, "{reply}");
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

async fn stored_messages(app: &TestApp) -> (i64, i64, i64) {
    let pool = app.sql().await;
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}"
            )))
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    (
        count("chat_messages").await,
        count("chat_groups").await,
        count("chat_group_messages").await,
    )
}

#[tokio::test]
async fn the_upgrade_needs_a_user_the_router_vouched_for() {
    let app = spawn_app().await;
    let (status, body) = app.chat_as(&Caller::Anonymous).await.err().unwrap();
    assert_eq!((status, body["base"]["code"].clone()), (401, json!(10003)));
    let (status, body) = app
        .chat_as(&Caller::Service("upload".into()))
        .await
        .err()
        .unwrap();
    assert_eq!((status, body["base"]["code"].clone()), (401, json!(10003)));

    // A forged caller header.
    let url = app
        .url
        .replace("http://", "ws://")
        .replace("/graphql", "/ws");
    let mut forged =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    forged.headers_mut().insert(
        kit::caller::HEADER,
        "v2.router.u.1.9999999999.bm90LWEtc2lnbmF0dXJl"
            .parse()
            .unwrap(),
    );
    let (status, body) = Chat::open(forged).await.err().unwrap();
    assert_eq!((status, body["base"]["code"].clone()), (401, json!(10003)));

    // A plain GET from a real user is not an upgrade.
    let signed = app
        .signer
        .router()
        .sign(&user(1), Duration::from_secs(60))
        .unwrap();
    let plain = reqwest::Client::new()
        .get(app.url.replace("/graphql", "/ws"))
        .header(kit::caller::HEADER, signed)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status().as_u16(), 400);
    let body: Value = plain.json().await.unwrap();
    assert_eq!(body["base"]["code"], 10002);
    app.cleanup().await;
}

#[tokio::test]
async fn private_messages_go_between_friends_live_into_history_and_unread() {
    let app = spawn_app().await;
    let [a, b, c, d] = circle(&app, 100).await;
    let mut a1 = chat(&app, a).await;
    let mut a2 = chat(&app, a).await;
    let mut b1 = chat(&app, b).await;
    let mut c1 = chat(&app, c).await;

    let sent = a1
        .ask(json!({"type": "private.send", "to_user_id": b.to_string(), "content": " hi b "}))
        .await;
    assert_base(&sent, 10000);
    assert_eq!(sent["type"], "private.send");
    let message = &sent["data"];
    assert_eq!(
        keys(message),
        ["content", "created_at", "from_user_id", "id", "to_user_id"]
    );
    assert_eq!(message["from_user_id"], a.to_string());
    assert_eq!(message["to_user_id"], b.to_string());
    assert_eq!(message["content"], "hi b", "stored trimmed");
    assert!(message["id"].is_string());
    assert_eq!(message["created_at"].as_str().unwrap().len(), 19);

    // Live to the receiver and to the sender's other connection, not back to the sending one.
    let push = json!({"type": "private.message", "data": message});
    assert_eq!(b1.push().await, push);
    assert_eq!(a2.push().await, push);
    a1.no_push(Duration::from_millis(200)).await;
    c1.no_push(Duration::from_millis(200)).await;

    // Not friends (d does not follow a back): refused and not stored.
    let refused = a1
        .ask(json!({"type": "private.send", "to_user_id": d, "content": "hi d"}))
        .await;
    assert_base(&refused, 17001);
    assert!(refused.get("data").is_none());
    let refused = b1
        .ask(json!({"type": "private.send", "to_user_id": c, "content": "hi c"}))
        .await;
    assert_base(&refused, 17001);
    assert_eq!(stored_messages(&app).await.0, 1);

    for n in 0..3 {
        let reply = b1
            .ask(json!({"type": "private.send", "to_user_id": a, "content": format!("b{n}")}))
            .await;
        assert_base(&reply, 10000);
    }
    for _ in 0..3 {
        assert_eq!(a1.push().await["type"], "private.message");
        assert_eq!(a2.push().await["type"], "private.message");
    }

    // Unread for a: three from b.
    let unread = a1.ask(json!({"type": "private.unread"})).await;
    assert_base(&unread, 10000);
    assert_eq!(
        unread["data"],
        json!({"items": [{"from_user_id": b.to_string(), "count": 3}], "total": 3})
    );
    let unread = b1.ask(json!({"type": "private.unread"})).await;
    assert_eq!(
        unread["data"],
        json!({"items": [{"from_user_id": a.to_string(), "count": 1}], "total": 1})
    );

    // History, newest first, paged; reading it clears the unread from that peer.
    let page = a1
        .ask(json!({"type": "private.history", "user_id": b, "page_num": 0, "page_size": 2}))
        .await;
    assert_base(&page, 10000);
    assert_eq!(page["data"]["total"], 4);
    let contents: Vec<&str> = page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["b2", "b1"]);
    let page = a1
        .ask(json!({"type": "private.history", "user_id": b.to_string(), "page_num": 1, "page_size": 2}))
        .await;
    let contents: Vec<&str> = page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["b0", "hi b"]);
    let unread = a1.ask(json!({"type": "private.unread"})).await;
    assert_eq!(unread["data"], json!({"items": [], "total": 0}));
    let unread = b1.ask(json!({"type": "private.unread"})).await;
    assert_eq!(unread["data"]["total"], 1, "b has not read a's message yet");

    // The same conversation from the other side.
    let page = b1
        .ask(json!({"type": "private.history", "user_id": a}))
        .await;
    assert_eq!(page["data"]["total"], 4);
    app.cleanup().await;
}

#[tokio::test]
async fn groups_take_only_friends_and_only_members_read_or_write_them() {
    let app = spawn_app().await;
    let [a, b, c, d] = circle(&app, 200).await;
    let mut a1 = chat(&app, a).await;
    let mut b1 = chat(&app, b).await;
    let mut c1 = chat(&app, c).await;
    let mut d1 = chat(&app, d).await;

    // d is not a's friend: the whole group is refused.
    let refused = a1
        .ask(json!({"type": "group.create", "name": "crew", "member_ids": [b, d]}))
        .await;
    assert_base(&refused, 17001);
    assert_eq!(stored_messages(&app).await.1, 0);

    let created = a1
        .ask(json!({"type": "group.create", "name": " crew ", "member_ids": [b.to_string(), b, a]}))
        .await;
    assert_base(&created, 10000);
    let group = created["data"].clone();
    assert_eq!(
        keys(&group),
        ["created_at", "id", "member_ids", "name", "owner_id"]
    );
    assert_eq!(group["name"], "crew");
    assert_eq!(group["owner_id"], a.to_string());
    let mut members = vec![a.to_string(), b.to_string()];
    members.sort();
    assert_eq!(group["member_ids"], json!(members));
    let gid = group["id"].as_str().unwrap().to_owned();

    let listed = b1.ask(json!({"type": "group.list"})).await;
    assert_eq!(listed["data"]["total"], 1);
    assert_eq!(listed["data"]["items"][0]["id"], gid);
    let listed = c1.ask(json!({"type": "group.list"})).await;
    assert_eq!(listed["data"], json!({"items": [], "total": 0}));

    let sent = b1
        .ask(json!({"type": "group.send", "group_id": gid, "content": "hello crew"}))
        .await;
    assert_base(&sent, 10000);
    assert_eq!(
        keys(&sent["data"]),
        ["content", "created_at", "from_user_id", "group_id", "id"]
    );
    assert_eq!(
        a1.push().await,
        json!({"type": "group.message", "data": sent["data"]})
    );
    b1.no_push(Duration::from_millis(200)).await;
    c1.no_push(Duration::from_millis(200)).await;

    // Outsiders neither write nor read; an unknown group is its own code.
    let outsider = c1
        .ask(json!({"type": "group.send", "group_id": gid, "content": "let me in"}))
        .await;
    assert_base(&outsider, 17003);
    let outsider = d1
        .ask(json!({"type": "group.history", "group_id": gid}))
        .await;
    assert_base(&outsider, 17003);
    let unknown = a1
        .ask(json!({"type": "group.send", "group_id": "1", "content": "anyone?"}))
        .await;
    assert_base(&unknown, 17002);
    let unknown = a1
        .ask(json!({"type": "group.history", "group_id": 1}))
        .await;
    assert_base(&unknown, 17002);
    assert_eq!(stored_messages(&app).await.2, 1);

    let a_sent = a1
        .ask(json!({"type": "group.send", "group_id": gid, "content": "second"}))
        .await;
    assert_base(&a_sent, 10000);
    let history = b1
        .ask(json!({"type": "group.history", "group_id": gid, "page_size": 1}))
        .await;
    assert_base(&history, 10000);
    assert_eq!(history["data"]["total"], 2);
    assert_eq!(history["data"]["items"][0]["content"], "second");
    app.cleanup().await;
}

#[tokio::test]
async fn bad_frames_are_answered_with_their_code_and_change_nothing() {
    let app = spawn_app().await;
    let [a, b, ..] = circle(&app, 300).await;
    let mut a1 = chat(&app, a).await;
    let long = "x".repeat(app.config.chat.max_chars + 1);
    let too_many: Vec<i64> = (0..app.config.chat.max_group_members as i64).collect();
    let cases: Vec<(Value, i64)> = vec![
        (json!({"type": "nope"}), 10002),
        (json!({"content": "no type"}), 10002),
        (
            json!({"type": "private.send", "content": "no receiver"}),
            10002,
        ),
        (
            json!({"type": "private.send", "to_user_id": "12x", "content": "hi"}),
            10002,
        ),
        (
            json!({"type": "private.send", "to_user_id": b, "content": 5}),
            10002,
        ),
        (
            json!({"type": "private.send", "to_user_id": b, "content": "hi", "more": 1}),
            10002,
        ),
        (
            json!({"type": "private.send", "to_user_id": b, "content": "   "}),
            10002,
        ),
        (
            json!({"type": "private.send", "to_user_id": b, "content": long}),
            10002,
        ),
        (
            json!({"type": "private.send", "to_user_id": b, "content": "a\u{7}b"}),
            10002,
        ),
        (
            json!({"type": "private.send", "to_user_id": a, "content": "me"}),
            10002,
        ),
        (
            json!({"type": "private.history", "user_id": b, "page_num": -1}),
            10002,
        ),
        (
            json!({"type": "private.history", "user_id": b, "page_size": "ten"}),
            10002,
        ),
        (json!({"type": "private.history", "user_id": a}), 10002),
        (
            json!({"type": "group.create", "name": "", "member_ids": [b]}),
            10002,
        ),
        (
            json!({"type": "group.create", "name": "n".repeat(65), "member_ids": [b]}),
            10002,
        ),
        (
            json!({"type": "group.create", "name": "g", "member_ids": b}),
            10002,
        ),
        (
            json!({"type": "group.create", "name": "g", "member_ids": too_many}),
            10002,
        ),
        (
            json!({"type": "group.send", "group_id": [1], "content": "x"}),
            10002,
        ),
    ];
    for (frame, want) in cases {
        let reply = a1.ask(frame.clone()).await;
        assert_eq!(reply["base"]["code"], want, "{frame} -> {reply}");
        assert!(reply.get("data").is_none(), "{reply}");
    }
    // Not JSON objects, and binary frames: answered, connection kept.
    a1.send(Message::text("not json")).await;
    let reply = a1.reply_to(&Value::Null).await;
    assert_eq!(
        (reply["type"].clone(), reply["base"]["code"].clone()),
        (json!("error"), json!(10002))
    );
    a1.send(Message::binary(vec![1, 2, 3])).await;
    let reply = a1.reply_to(&Value::Null).await;
    assert_eq!(reply["base"]["code"], 10008);
    assert_eq!(stored_messages(&app).await, (0, 0, 0));
    let still = a1.ask(json!({"type": "private.unread"})).await;
    assert_base(&still, 10000);

    // A frame over the limit ends the connection with 1009 (message too big).
    a1.send(Message::text(
        "y".repeat(app.config.chat.max_frame_bytes + 1),
    ))
    .await;
    assert_eq!(a1.closed().await, Some(1009));
    assert_eq!(stored_messages(&app).await, (0, 0, 0));
    app.cleanup().await;
}

#[tokio::test]
async fn open_connections_are_closed_as_going_away_on_shutdown() {
    let app = spawn_app().await;
    let mut a1 = chat(&app, 401).await;
    let db = app.config.db.database.clone();
    let stopping = tokio::spawn(app.stop());
    assert_eq!(a1.closed().await, Some(1001));
    stopping.await.unwrap();
    testkit::drop_database(&db).await;
}

#[tokio::test]
async fn a_flood_of_messages_or_groups_is_refused_past_the_minutes_limit_and_not_stored() {
    let app = spawn_app().await;
    let [a, b, c, _] = circle(&app, 500).await;
    let mut a1 = chat(&app, a).await;
    // The defaults: 60 messages and 5 groups per user per minute.
    for n in 0..60 {
        let reply = a1
            .ask(json!({"type": "private.send", "to_user_id": b, "content": format!("m{n}")}))
            .await;
        assert_base(&reply, 10000);
    }
    let over = a1
        .ask(json!({"type": "private.send", "to_user_id": b, "content": "one too many"}))
        .await;
    assert_base(&over, 10006);
    assert!(
        over["base"]["msg"].as_str().unwrap().contains("retry in"),
        "{over}"
    );
    let group = a1
        .ask(json!({"type": "group.send", "group_id": "1", "content": "also a message"}))
        .await;
    assert_base(&group, 10006);
    assert_eq!(
        stored_messages(&app).await.0,
        60,
        "refused messages are not stored"
    );
    for n in 0..5 {
        let made = a1
            .ask(json!({"type": "group.create", "name": format!("g{n}"), "member_ids": [b, c]}))
            .await;
        assert_base(&made, 10000);
    }
    let over = a1
        .ask(json!({"type": "group.create", "name": "g5", "member_ids": [b, c]}))
        .await;
    assert_base(&over, 10006);
    assert_eq!(stored_messages(&app).await.1, 5);
    // The connection stays open, and reads are not limited.
    let history = a1
        .ask(json!({"type": "private.history", "user_id": b, "page_num": 0, "page_size": 5}))
        .await;
    assert_base(&history, 10000);
    app.cleanup().await;
}

#[tokio::test]
async fn a_push_reaches_a_receiver_connected_to_another_instance() {
    let app = spawn_app().await;
    let [a, b, _, _] = circle(&app, 700).await;
    let second = testkit::service::serve_sharing(None, app.config.clone(), social::run).await;
    // Both instances follow the relay channel before anything is sent.
    let redis = kit::cache::connect(&app.config.redis).await.unwrap();
    let channel = app.config.chat_relay.channel.clone();
    testkit::eventually(10, "both instances subscribed", || async {
        kit::cache::subscribers(&redis, &channel).await.unwrap() == 2
    })
    .await;

    let mut b_elsewhere = app.chat_on(&second.base, &user(b)).await.unwrap();
    let mut a_here = chat(&app, a).await;
    let sent = a_here
        .ask(json!({"type": "private.send", "to_user_id": b.to_string(), "content": "across"}))
        .await;
    assert_base(&sent, 10000);
    let push = json!({"type": "private.message", "data": sent["data"]});
    assert_eq!(
        b_elsewhere.push().await,
        push,
        "relayed to the other instance"
    );
    b_elsewhere.no_push(Duration::from_millis(300)).await;
    a_here.no_push(Duration::from_millis(100)).await;

    // And back: the instance the message was sent on pushes to a connection here.
    let mut a_second = chat(&app, a).await;
    let reply = b_elsewhere
        .ask(json!({"type": "private.send", "to_user_id": a.to_string(), "content": "back"}))
        .await;
    assert_base(&reply, 10000);
    let back = json!({"type": "private.message", "data": reply["data"]});
    assert_eq!(a_here.push().await, back);
    assert_eq!(a_second.push().await, back);
    drop(second);
    app.cleanup().await;
}

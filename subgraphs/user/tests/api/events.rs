//! `user.events`: a registration writes its `registered` event in the same transaction (the
//! outbox), the relay publishes it, and a refused registration writes none.

use std::time::Duration;

use sqlx::Connection;

use crate::helpers::{id_of, spawn_app};

#[tokio::test]
async fn registration_publishes_one_registered_event() {
    let app = spawn_app().await;
    let id = id_of(&app.register("EventUser", "passw0rd!").await);
    // Taken name: refused, no second event.
    let again = app.register("eventuser", "passw0rd!").await;
    assert!(again["errors"].is_array(), "{again}");
    let url = format!("{}/{}", testkit::mysql_url(), app.config.db.database);
    let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
    let mut published = false;
    for _ in 0..100 {
        let rows: Vec<(String, Vec<u8>, Vec<u8>, bool)> =
            sqlx::query_as("SELECT topic, msg_key, payload, sent_at IS NOT NULL FROM outbox")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "one event for one registration");
        let (topic, key, payload, sent) = &rows[0];
        assert_eq!(topic, &app.config.topics.events);
        assert_eq!(key, id.to_string().as_bytes());
        let event: serde_json::Value = serde_json::from_slice(payload).unwrap();
        assert_eq!(event["type"], "registered");
        assert_eq!(event["user_id"], id);
        assert_eq!(event["username"], "EventUser");
        if *sent {
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(published, "the relay published the event");
    app.cleanup().await;
}

#[tokio::test]
async fn setting_an_avatar_publishes_avatar_changed_and_a_refused_one_does_not() {
    let app = spawn_app().await;
    let id = id_of(&app.register("AvatarEvents", "passw0rd!").await);
    let set = "mutation($u: ID!, $k: String!) { setAvatar(userId: $u, objectKey: $k) { id } }";
    let upload = kit::caller::Caller::Service("upload".into());
    let key = format!("avatars/{id}/a.png");
    let ok = app
        .gql_as(
            &upload,
            set,
            serde_json::json!({"u": id.to_string(), "k": key}),
        )
        .await;
    assert!(ok["errors"].is_null(), "{ok}");
    // Unknown user: refused, no event.
    let missing = app
        .gql_as(
            &upload,
            set,
            serde_json::json!({"u": "1", "k": "avatars/1/a.png"}),
        )
        .await;
    assert!(missing["errors"].is_array(), "{missing}");
    let url = format!("{}/{}", testkit::mysql_url(), app.config.db.database);
    let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
    let rows: Vec<(Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT msg_key, payload FROM outbox ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(rows.len(), 2, "registered, then one avatar_changed");
    let event: serde_json::Value = serde_json::from_slice(&rows[1].1).unwrap();
    assert_eq!(event["type"], "avatar_changed");
    assert_eq!(event["user_id"], id);
    assert_eq!(event["avatar_key"], key);
    assert_eq!(rows[1].0, id.to_string().as_bytes());
    app.cleanup().await;
}

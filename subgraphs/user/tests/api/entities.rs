//! Federation: `_entities` batches, `users`, and the SDL golden file.

use serde_json::{Value, json};

use crate::helpers::{id_of, spawn_app};

fn batch_queries() -> f64 {
    kit::telemetry::metrics::render()
        .lines()
        .find(|l| l.starts_with("db_client_operations_total{") && l.contains("users.by_ids"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn an_entity_batch_of_100_ids_is_one_sql_query() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push(id_of(
            &app.register(&format!("user{i:03}"), "passw0rd!").await,
        ));
    }
    let reps: Vec<Value> = ids
        .iter()
        .map(|id| json!({"__typename": "User", "id": id.to_string()}))
        .collect();
    let before = batch_queries();
    let res = app
        .gql("query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username } } }", json!({"r": reps}))
        .await;
    let after = batch_queries();
    let found = res["data"]["_entities"].as_array().expect("entities");
    assert_eq!(found.len(), 100);
    assert!(found.iter().all(|u| u["username"].is_string()), "{res}");
    assert_eq!(after - before, 1.0, "100 entities must cost one query");
    app.cleanup().await;
}

#[tokio::test]
async fn users_by_ids_keeps_order_skips_unknown_and_caps_the_batch() {
    let app = spawn_app().await;
    let a = id_of(&app.register("kate", "passw0rd!").await);
    let b = id_of(&app.register("leo", "passw0rd!").await);
    let q = "query($ids: [ID!]!) { users(ids: $ids) { username } }";
    let res = app
        .gql(q, json!({"ids": [b.to_string(), "1", a.to_string()]}))
        .await;
    assert_eq!(
        res["data"]["users"],
        json!([{"username": "leo"}, {"username": "kate"}])
    );
    let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    assert_eq!(
        crate::helpers::code(&app.gql(q, json!({"ids": too_many})).await),
        Some(10002)
    );
    assert_eq!(
        crate::helpers::code(&app.gql(q, json!({"ids": ["abc"]})).await),
        Some(10002)
    );
    app.cleanup().await;
}

#[test]
fn the_exported_sdl_matches_schema_user_graphql() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/user.graphql");
    let sdl = user::schema::sdl();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != sdl {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &sdl).unwrap();
        panic!("schema/user.graphql was stale and has been rewritten: review and commit it");
    }
    assert!(
        sdl.contains("@key(fields: \"id\")"),
        "User must be a federation entity"
    );
}

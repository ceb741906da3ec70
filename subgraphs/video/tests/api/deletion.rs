//! Deleting a video hides it everywhere: lookups, entities, the feed, the uploader's list and
//! totals, the popular ranking. Only the uploader may delete.

use kit::caller::Caller;
use serde_json::json;

use crate::helpers::*;

const DELETE: &str = "mutation($id: ID!) { deleteVideo(id: $id) }";

#[tokio::test]
async fn a_deleted_video_is_hidden_everywhere() {
    let app = spawn_app().await;
    let keep = app.publish(5, "keep").await;
    let gone = app.publish(5, "gone").await;
    for id in [keep, gone, gone] {
        app.visit(id).await;
    }
    eventually(60, "ranking has both", || async {
        app.popular_ids(0, 10).await == vec![gone, keep]
    })
    .await;
    let body = app
        .gql_as(&Caller::User(5), DELETE, json!({"id": gone.to_string()}))
        .await;
    assert_eq!(body["data"]["deleteVideo"], true, "{body}");

    let one = app
        .gql(
            "query($id: ID!) { video(id: $id) { id } }",
            json!({"id": gone.to_string()}),
        )
        .await;
    assert_eq!(one["data"]["video"], serde_json::Value::Null);
    let ents = app
        .gql(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Video { id } } }",
            json!({"r": [{"__typename": "Video", "id": gone.to_string()}]}),
        )
        .await;
    assert_eq!(ents["data"]["_entities"], json!([null]), "{ents}");
    let feed = app
        .gql("query { feed { items { id } total } }", json!({}))
        .await;
    assert_eq!(ids_of(&feed["data"]["feed"]["items"]), vec![keep]);
    assert_eq!(feed["data"]["feed"]["total"], 1);
    let list = app
        .gql(
            "query { videosByAuthor(userId: \"5\") { items { id } total } }",
            json!({}),
        )
        .await;
    assert_eq!(ids_of(&list["data"]["videosByAuthor"]["items"]), vec![keep]);
    assert_eq!(list["data"]["videosByAuthor"]["total"], 1);
    assert_eq!(app.popular_ids(0, 10).await, vec![keep]);
    // Visiting or deleting it again: not found.
    assert_eq!(code(&app.visit(gone).await), Some(12001));
    let again = app
        .gql_as(&Caller::User(5), DELETE, json!({"id": gone.to_string()}))
        .await;
    assert_eq!(code(&again), Some(12001));
    app.cleanup().await;
}

#[tokio::test]
async fn only_the_uploader_deletes() {
    let app = spawn_app().await;
    let v = app.publish(5, "mine").await;
    let vars = json!({"id": v.to_string()});
    let cases = [
        (Caller::User(6), 10005),
        (Caller::Anonymous, 10003),
        (Caller::Service("upload".into()), 10003),
    ];
    for (caller, want) in cases {
        let body = app.gql_as(&caller, DELETE, vars.clone()).await;
        assert_eq!(code(&body), Some(want), "{caller:?}: {body}");
    }
    let body = app
        .gql_as(&Caller::User(5), DELETE, json!({"id": "nope"}))
        .await;
    assert_eq!(code(&body), Some(10002));
    let body = app
        .gql_as(&Caller::User(5), DELETE, json!({"id": "999"}))
        .await;
    assert_eq!(code(&body), Some(12001));
    let still = app
        .gql("query($id: ID!) { video(id: $id) { id } }", vars)
        .await;
    assert_eq!(
        id_in(&still["data"]["video"]),
        v,
        "refused deletes change nothing"
    );
    app.cleanup().await;
}

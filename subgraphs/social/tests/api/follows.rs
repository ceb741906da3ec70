//! Follows: the rules, the three lists with totals, friends as mutual follows, the user entity's
//! counts and `isFollowed`, concurrent mutual follows, and bad input.

use serde_json::{Value, json};

use crate::helpers::*;

async fn list(app: &TestApp, field: &str, who: i64, n: i32, s: i32) -> Value {
    let query = format!(
        "query($u: ID!, $n: Int, $s: Int) {{ {field}(userId: $u, pageNum: $n, pageSize: $s) {{ items {{ id }} total }} }}"
    );
    app.gql(&query, json!({"u": who.to_string(), "n": n, "s": s}))
        .await
}

async fn friends(app: &TestApp, who: i64) -> Value {
    app.gql_as(
        &user(who),
        "query { friends(pageSize: 50) { items { id } total } }",
        json!({}),
    )
    .await["data"]["friends"]
        .clone()
}

#[tokio::test]
async fn follow_rules_lists_and_friends() {
    let app = spawn_app().await;
    let (a, b, c, d) = (101, 102, 103, 104);
    app.users(&[a, b, c, d]).await;
    assert_ok(&app.relation(a, b, 0).await);
    assert_code(&app.relation(a, b, 0).await, 14002);
    assert_code(&app.relation(a, a, 0).await, 14001);
    assert_code(&app.relation(a, c, 1).await, 14003);
    assert_ok(&app.relation(a, c, 0).await);
    assert_ok(&app.relation(a, d, 0).await);
    assert_ok(&app.relation(b, a, 0).await);
    assert_ok(&app.relation(c, a, 0).await);

    let following = list(&app, "following", a, 0, 2).await;
    assert_eq!(following["data"]["following"]["total"], 3);
    assert_eq!(ids_of(&following["data"]["following"]["items"]), vec![d, c]);
    let rest = list(&app, "following", a, 1, 2).await;
    assert_eq!(ids_of(&rest["data"]["following"]["items"]), vec![b]);
    let followers = list(&app, "followers", a, 0, 10).await;
    assert_eq!(ids_of(&followers["data"]["followers"]["items"]), vec![c, b]);
    assert_eq!(followers["data"]["followers"]["total"], 2);
    let f = friends(&app, a).await;
    assert_eq!(ids_of(&f["items"]), vec![c, b]);
    assert_eq!(f["total"], 2);
    assert_eq!(ids_of(&friends(&app, b).await["items"]), vec![a]);
    assert_eq!(friends(&app, d).await["total"], 0, "d does not follow back");

    // Unfollowing breaks the friendship on both sides.
    assert_ok(&app.relation(b, a, 1).await);
    assert_eq!(ids_of(&friends(&app, a).await["items"]), vec![c]);
    assert_eq!(friends(&app, b).await["total"], 0);

    // Entity fields: counts are folded from events; isFollowed reads the viewer.
    let fields = "followerCount followingCount isFollowed following(pageSize: 1) { items { id } total } followers { total }";
    eventually(30, "follow counters", || async {
        let u = app.user_entity(Some(c), a, fields).await;
        u["followerCount"] == 1 && u["followingCount"] == 3
    })
    .await;
    let u = app.user_entity(Some(c), a, fields).await;
    assert_eq!(u["isFollowed"], true);
    assert_eq!(ids_of(&u["following"]["items"]), vec![d]);
    assert_eq!(u["followers"]["total"], 1);
    assert_eq!(
        app.user_entity(Some(d), a, "isFollowed").await["isFollowed"],
        false
    );
    assert_eq!(
        app.user_entity(None, a, "isFollowed").await["isFollowed"],
        false
    );
    app.cleanup().await;
}

#[tokio::test]
async fn bad_follow_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.users(&[201, 202]).await;
    let unknown = kit::id::next_id();
    assert_code(&app.relation(201, unknown, 0).await, 11003);
    for action in [-1, 2, 7] {
        assert_code(&app.relation(201, 202, action).await, 10002);
    }
    let body = app
        .gql_as(
            &user(201),
            "mutation { relationAction(toUserId: \"x1\", actionType: 0) }",
            json!({}),
        )
        .await;
    assert_code(&body, 10002);
    let body = app
        .gql_as(
            &user(201),
            "mutation { relationAction(toUserId: \"202\", actionType: \"0\") }",
            json!({}),
        )
        .await;
    assert_code(&body, 10002);
    let body = app
        .gql(
            "mutation { relationAction(toUserId: \"202\", actionType: 0) }",
            json!({}),
        )
        .await;
    assert_code(&body, 10003);
    let body = app.gql("query { friends { total } }", json!({})).await;
    assert_code(&body, 10003);
    assert_code(&list(&app, "followers", unknown, 0, 10).await, 11003);
    assert_code(&list(&app, "following", 201, -1, 10).await, 10002);
    let follows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) + (SELECT COUNT(*) FROM outbox) FROM follows")
            .fetch_one(&app.sql().await)
            .await
            .unwrap();
    assert_eq!(follows, 0);
    app.cleanup().await;
}

#[tokio::test]
async fn two_users_following_each_other_at_once_become_friends() {
    let app = spawn_app().await;
    let pairs: Vec<(i64, i64)> = (0..20).map(|i| (300 + 2 * i, 301 + 2 * i)).collect();
    let ids: Vec<i64> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
    app.users(&ids).await;
    let follows = pairs
        .iter()
        .flat_map(|(a, b)| [app.relation(*a, *b, 0), app.relation(*b, *a, 0)]);
    for body in futures::future::join_all(follows).await {
        assert_ok(&body);
    }
    for (a, b) in pairs {
        assert_eq!(ids_of(&friends(&app, a).await["items"]), vec![b], "{a}");
        assert_eq!(ids_of(&friends(&app, b).await["items"]), vec![a], "{b}");
    }
    app.cleanup().await;
}

//! Batched loading: every counter, comment, "liked?" and "followed?" the router asks for in one
//! plan is fetched with one query per kind (per shard for sharded tables).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::domain::events::Counter;
use crate::store::comments::CommentRow;
use crate::usecases::Social;

pub struct CounterLoader(pub Social);

impl Loader<Counter> for CounterLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Counter]) -> Result<HashMap<Counter, i64>, Self::Error> {
        Ok(self.0.counters(keys).await?.into_iter().collect())
    }
}

pub struct CommentLoader(pub Social);

impl Loader<i64> for CommentLoader {
    type Value = CommentRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, CommentRow>, Self::Error> {
        let rows = self.0.comments_by_ids(keys).await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// `(viewer, video)` → whether the viewer liked the video.
pub struct LikedLoader(pub Social);

impl Loader<(i64, i64)> for LikedLoader {
    type Value = bool;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(i64, i64)]) -> Result<HashMap<(i64, i64), bool>, Self::Error> {
        let mut answers = HashMap::new();
        for (viewer, items) in by_viewer(keys) {
            let yes = self.0.liked_among(viewer, &items).await?;
            answers.extend(items.iter().map(|v| ((viewer, *v), yes.contains(v))));
        }
        Ok(answers)
    }
}

/// `(viewer, user)` → whether the viewer follows the user.
pub struct FollowedLoader(pub Social);

impl Loader<(i64, i64)> for FollowedLoader {
    type Value = bool;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(i64, i64)]) -> Result<HashMap<(i64, i64), bool>, Self::Error> {
        let mut answers = HashMap::new();
        for (viewer, items) in by_viewer(keys) {
            let yes = self.0.followed_among(viewer, &items).await?;
            answers.extend(items.iter().map(|u| ((viewer, *u), yes.contains(u))));
        }
        Ok(answers)
    }
}

/// Keys grouped by viewer (one query per viewer).
fn by_viewer(keys: &[(i64, i64)]) -> HashMap<i64, Vec<i64>> {
    let mut groups: HashMap<i64, Vec<i64>> = HashMap::new();
    for (viewer, item) in keys {
        groups.entry(*viewer).or_default().push(*item);
    }
    groups
}

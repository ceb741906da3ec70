//! Batched loading: every `Video` and every `User.videoCount` the router asks for in one plan is
//! fetched with one query each.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::store::videos::VideoRow;
use crate::usecases::Catalog;

pub struct VideoLoader(pub Catalog);

impl Loader<i64> for VideoLoader {
    type Value = VideoRow;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, VideoRow>, Self::Error> {
        let rows = self.0.by_ids(keys).await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

pub struct VideoCountLoader(pub Catalog);

impl Loader<i64> for VideoCountLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, i64>, Self::Error> {
        Ok(self.0.counts_by_authors(keys).await?.into_iter().collect())
    }
}

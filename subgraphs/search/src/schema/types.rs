//! GraphQL object types: the search results and the `Video` reference the router resolves
//! through the video subgraph.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use crate::store::query::Filter;
use crate::usecases::images::Found;
use crate::usecases::keywords::Keywords;

/// A video, by reference: the video subgraph owns every other field.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct Video {
    pub id: ID,
}

/// One page of a keyword search.
pub struct VideoSearchPage {
    pub ids: Vec<i64>,
    pub filter: Filter,
}

#[Object]
impl VideoSearchPage {
    /// The page's videos, newest first (an empty list past the end).
    async fn items(&self) -> Vec<Video> {
        self.ids
            .iter()
            .map(|id| Video {
                id: ID(id.to_string()),
            })
            .collect()
    }

    /// Every video matching all the conditions, not just this page (counted when asked).
    async fn total(&self, ctx: &Context<'_>) -> Result<i32> {
        let n = ctx.data_unchecked::<Keywords>().total(&self.filter).await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}

/// A stored image ranked by similarity to the one searched with.
pub struct ImageHit(pub Found);

#[Object]
impl ImageHit {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Where the image can be fetched (presigned or public, per the `urls` config).
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// Cosine similarity of the two images' embeddings: 1 is the same picture.
    async fn score(&self) -> f64 {
        f64::from(self.0.score)
    }

    /// `cover` (of a video), `avatar` (of a user) or `import` (loaded in bulk).
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// The video or user the image belongs to (the importing user for `import`).
    async fn source_id(&self) -> Option<ID> {
        self.0.source_id.map(|id| ID(id.to_string()))
    }
}

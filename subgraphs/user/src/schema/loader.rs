//! Batched user loading: every `User` the router asks for in one plan is fetched with one query.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use kit::s3::ObjectUrls;

use super::types::User;
use crate::usecases::Accounts;

pub struct UserLoader {
    accounts: Accounts,
    avatars: ObjectUrls,
}

impl UserLoader {
    pub fn new(accounts: Accounts, avatars: ObjectUrls) -> Self {
        Self { accounts, avatars }
    }
}

impl Loader<i64> for UserLoader {
    type Value = User;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, User>, Self::Error> {
        let rows = self.accounts.by_ids(keys).await?;
        Ok(rows
            .iter()
            .map(|r| (r.id, User::from_row(r, &self.avatars)))
            .collect())
    }
}

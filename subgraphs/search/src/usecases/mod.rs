//! The search use cases: [`keywords`] (video search by keywords, author and time) and [`images`]
//! (search by image, indexing, forgetting). Resolvers and HTTP handlers stay thin and call these;
//! every failure is a [`crate::error::SearchError`], which carries its code.

pub mod images;
pub mod keywords;

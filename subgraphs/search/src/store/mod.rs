//! sqlx functions over the service's own tables: [`index`] applies events to the keyword index,
//! [`query`] searches it, [`images`] keeps the image records whose vectors live in Milvus.

pub mod images;
pub mod index;
pub mod query;

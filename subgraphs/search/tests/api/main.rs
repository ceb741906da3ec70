//! The search subgraph end to end: the real service on port 0 against real MariaDB, tansu,
//! s3s-fs and milvus-lite, with the real image model. Videos and users arrive the way their
//! services announce them: events on the test's own topics.

mod helpers;

mod cli;
mod images;
mod keyword;
mod sdl;

//! Pure rules: the keyword tokenizer and the events this service learns from.

pub mod events;
pub mod tokens;

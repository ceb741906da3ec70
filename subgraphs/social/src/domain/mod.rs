//! Pure types and rules of the social subgraph (no I/O): [`actions`] (the contract's action codes
//! and comment content), [`events`] (what `interaction.events` carries and the counter changes each
//! event makes), [`known`] (the facts read from the video and user services' events).

pub mod actions;
pub mod events;
pub mod known;

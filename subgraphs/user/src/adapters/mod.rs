//! The user service's ways out to other systems: [`guard`] (login throttling counted in Redis).

pub mod guard;

//! Pure upload rules (no I/O): what an upload is ([`kind`]), what its metadata may say
//! ([`metadata`]), and the checksums a PATCH can carry ([`checksum`]).

pub mod checksum;
pub mod kind;
pub mod metadata;

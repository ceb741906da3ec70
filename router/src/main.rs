//! The clipfed router binary: Hive Router's entrypoint with the clipfed plugin registered. The
//! configuration file is `ROUTER_CONFIG_FILE_PATH` (default `router.config.yaml` in the working
//! directory).
//!
//! The recursion limit: computing the layout of Hive Router's ntex service stack in the release
//! profile overflows the default depth of 128 ("queries overflow the depth limit"); `clipfed up
//! --release` (and `clipfed containers`) build this binary in release, so a regression shows there.
#![recursion_limit = "256"]

use hive_router::ntex;
use hive_router::{
    PluginRegistry, RouterGlobalAllocator, configure_global_allocator, error::RouterInitError,
    init_rustls_crypto_provider, router_entrypoint,
};

configure_global_allocator!();

#[hive_router::main]
async fn main() -> Result<(), RouterInitError> {
    init_rustls_crypto_provider();
    router_entrypoint(PluginRegistry::new().register::<router::ClipfedPlugin>()).await
}

//! `clipfed compose`: writes `schema/supergraph.graphql` from the subgraph SDLs in `schema/`
//! (each kept fresh by its subgraph's golden test) with `@theguild/federation-composition`, the
//! composition library Hive Router's query planner matches (`tools/node/compose.mjs`). Each
//! subgraph's routing URL is its local address from [`SERVICES`]; the router's config overrides
//! them elsewhere. A unit test fails when the committed supergraph is stale or does not compose.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::Context;

use crate::paths::Paths;
use crate::services::SERVICES;

/// `name=url` for every subgraph, in table order.
pub fn subgraph_args() -> Vec<String> {
    SERVICES
        .iter()
        .filter(|s| s.subgraph)
        .map(|s| format!("{}=http://127.0.0.1:{}/graphql", s.name, s.port))
        .collect()
}

/// The composition command (`check`: compare with the committed file instead of writing it).
fn command(root: &Path, check: bool) -> Command {
    let mut cmd = Command::new("node");
    cmd.current_dir(root)
        .arg("tools/node/compose.mjs")
        .arg("schema")
        .args(subgraph_args());
    if check {
        cmd.arg("--check");
    }
    cmd
}

pub fn run(paths: &Paths) -> anyhow::Result<ExitCode> {
    crate::commands::node_tools(paths)?;
    let status = command(&paths.root, false)
        .status()
        .context("running node (install nodejs)")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_supergraph_composes_and_is_fresh() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert!(
            root.join("tools/node/node_modules/@theguild/federation-composition")
                .is_dir(),
            "the Node tools are not installed: run the tests with `cargo run -p clipfed -- test`"
        );
        let out = command(&root, true).output().expect("node runs");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn every_graphql_service_is_composed_and_upload_is_not() {
        let args = subgraph_args();
        assert_eq!(
            args,
            [
                "user=http://127.0.0.1:8101/graphql",
                "video=http://127.0.0.1:8102/graphql",
                "social=http://127.0.0.1:8103/graphql",
                "search=http://127.0.0.1:8104/graphql",
            ]
        );
    }
}

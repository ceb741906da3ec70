//! Every saved fuzz input (`fuzz/corpus/<target>/`), found crashes included, through its target's
//! entry point: the fast regression half of fuzzing, run by the normal test command.

use std::path::PathBuf;

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

#[test]
fn every_saved_input_of_every_target_runs_without_a_panic() {
    for (target, run) in fuzz_entry::TARGETS {
        let dir = corpus(target);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        assert!(
            !entries.is_empty(),
            "{target} has no seed inputs in {}",
            dir.display()
        );
        for path in entries {
            let data = std::fs::read(&path).unwrap();
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                panic!("{target} panicked on {}", path.display());
            }
        }
    }
}

#[test]
fn every_target_has_its_cargo_fuzz_binary() {
    let manifest = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/Cargo.toml"),
    )
    .unwrap();
    for (target, _) in fuzz_entry::TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "fuzz/Cargo.toml lacks the target {target}"
        );
    }
}

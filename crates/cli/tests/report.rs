//! The course report (`docs/report.md`) points readers into the code: every file it names must
//! exist, every `file::function` must name a function of that file, and every test it cites as
//! proof of a ticked item must exist. A rename that the report does not follow fails here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/cli is two levels deep")
        .to_owned()
}

/// File extensions whose mentions are taken as paths.
const EXTENSIONS: &[&str] = &[
    "rs", "md", "toml", "sql", "yaml", "json", "sh", "mjs", "py", "graphql",
];

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | ':')
}

/// Every `dir/file.ext` or `dir/file.ext::function` in the text (inside backticks or not).
fn mentioned_paths(text: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for word in text.split(|c: char| !is_path_char(c)) {
        let word = word.trim_end_matches(['.', ':']);
        let (path, function) = match word.split_once("::") {
            Some((p, f)) => (p, Some(f.to_owned())),
            None => (word, None),
        };
        let has_ext = path
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext));
        if path.contains('/') && has_ext && !path.starts_with("http") {
            found.push((path.to_owned(), function));
        }
    }
    found
}

/// Backticked identifiers that read like test names: snake case, five words or more.
fn cited_tests(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && s.matches('_').count() >= 4
        })
        .map(str::to_owned)
        .collect()
}

/// Names of every `fn` in the workspace's Rust sources (tests included).
fn functions_in(dir: &Path, names: &mut HashSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(
                name.as_ref(),
                "target" | "node_modules" | ".git" | ".clipfed" | "corpus"
            ) {
                functions_in(&path, names);
            }
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            names.extend(fn_names(&text));
        }
    }
}

fn fn_names(text: &str) -> Vec<String> {
    text.split("fn ")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

#[test]
fn every_path_function_and_test_named_in_the_report_exists() {
    let root = root();
    let report = std::fs::read_to_string(root.join("docs/report.md")).expect("docs/report.md");
    let mut missing = Vec::new();
    let paths = mentioned_paths(&report);
    assert!(paths.len() > 40, "too few paths found: {paths:?}");
    for (path, function) in &paths {
        // `../shared/...` is beside the repository, in the workspace the project is built in.
        let file = root.join(path);
        if path.starts_with("../") {
            continue;
        }
        // `likes_{video_id % N}`-style names are not paths; a `.clipfed/` file exists only after a run.
        if path.starts_with(".clipfed/") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            if !file.is_dir() {
                missing.push(format!("{path}: no such file"));
            }
            continue;
        };
        if let Some(function) = function
            && !fn_names(&text).iter().any(|n| n == function)
        {
            missing.push(format!("{path}: no fn {function}"));
        }
    }
    let mut functions = HashSet::new();
    functions_in(&root, &mut functions);
    let tests = cited_tests(&report);
    assert!(tests.len() > 20, "too few tests found: {tests:?}");
    for test in tests {
        if !functions.contains(&test) {
            missing.push(format!("test {test}: not found"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/report.md names what does not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_readme_links_to_the_report() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    assert!(
        readme.contains("docs/report.md"),
        "README.md must link to docs/report.md"
    );
}

#[test]
fn paths_and_tests_are_recognised_in_prose_and_charts() {
    let text = "见 `router/src/rest/edge.rs::serve`<br/>和 [\"upload/src/usecases/write.rs::append<br/>锁\"]，\
                测试 `a_long_test_name_with_words`、`short_name`，`docs/report.md`。";
    let paths = mentioned_paths(text);
    assert_eq!(
        paths,
        vec![
            (
                "router/src/rest/edge.rs".to_owned(),
                Some("serve".to_owned())
            ),
            (
                "upload/src/usecases/write.rs".to_owned(),
                Some("append".to_owned())
            ),
            ("docs/report.md".to_owned(), None),
        ]
    );
    assert_eq!(cited_tests(text), vec!["a_long_test_name_with_words"]);
}

//! The SDL the router composes, kept in `schema/search.graphql` (rewritten when it changes, so the
//! diff shows up in review; the test fails on a stale file).

#[test]
fn schema_file_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/search.graphql");
    let sdl = search::schema::sdl();
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != sdl {
        std::fs::write(path, &sdl).unwrap();
        panic!("schema/search.graphql was stale and has been rewritten; review and commit it");
    }
}

//! The SDL the router composes, kept in `schema/social.graphql` (rewritten when it changes, so the
//! diff shows up in review; the test fails on a stale file).

#[test]
fn schema_file_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/social.graphql");
    let sdl = social::schema::sdl();
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != sdl {
        std::fs::write(path, &sdl).unwrap();
        panic!("schema/social.graphql was stale and has been rewritten; review and commit it");
    }
}

//! `schema.graphql` is the exported SDL: it must match the code.

#[test]
fn schema_file_matches_the_code() {
    let sdl = msi_hub::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &sdl).unwrap();
    }
    let file = std::fs::read_to_string(path).expect("schema.graphql exists");
    assert!(file == sdl, "schema.graphql differs from the code: run `UPDATE_SCHEMA=1 cargo test --test schema` (or `msi-hub schema > schema.graphql`) and review the diff");
}

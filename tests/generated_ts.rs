//! The facade's copy of the core's shared constants is generated (src/shared.rs): this fails
//! when `pkg-template/src/generated/core.ts` differs from what the core says, and rewrites it
//! when run with `UPDATE_GENERATED=1`.

use std::fs;
use std::path::PathBuf;

#[test]
fn the_generated_typescript_matches_the_core() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pkg-template/src/generated/core.ts");
    let expected = durable_core::shared::typescript_module();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &expected).unwrap();
        return;
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} is stale: run `UPDATE_GENERATED=1 cargo test --test generated_ts` and commit the result",
        path.display()
    );
}

// The checker's wasm gets an 8 MiB Rust stack (in linear memory; rustc's default is 1 MiB), so
// that the nesting limits of `depth.rs`, set for V8's stack on Node's main thread, are the only
// ones a deep file meets. Untouched stack pages cost nothing. Native builds keep their own.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=8388608");
    }
}

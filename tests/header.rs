//! The checked-in C header must be what cbindgen generates from rust/capi today.
//! Regenerate it with `ZC_UPDATE_HEADER=1 cargo test --test header`.

use std::path::Path;

#[test]
fn checked_in_header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("rust/capi/mod.rs"))
        .generate()
        .expect("cbindgen failed on rust/capi/mod.rs")
        .write(&mut generated);
    let path = root.join("include/zerocopy_nio.h");
    if std::env::var_os("ZC_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write include/zerocopy_nio.h");
    }
    let checked_in = std::fs::read(&path).unwrap_or_default();
    let generated = String::from_utf8(generated).expect("cbindgen wrote UTF-8");
    assert!(
        String::from_utf8_lossy(&checked_in) == generated,
        "include/zerocopy_nio.h is stale: run `ZC_UPDATE_HEADER=1 cargo test --test header` \
         and commit the result"
    );
    assert!(
        !generated.contains("Java_"),
        "the C header must not declare JNI symbols"
    );
}

//! Without the `bundled` feature the binary links the shared libduckdb.so found in
//! `DUCKDB_LIB_DIR` (the scripts point it at the npm package of DuckDB 1.4.3); record that
//! folder as the binary's run path so `lmscope` starts without `LD_LIBRARY_PATH`.
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    let bundled = std::env::var_os("CARGO_FEATURE_BUNDLED").is_some();
    let native = std::env::var_os("CARGO_FEATURE_NATIVE").is_some();
    let unix = std::env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|f| f == "unix");
    if let (true, false, true, Ok(dir)) = (native, bundled, unix, std::env::var("DUCKDB_LIB_DIR")) {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}

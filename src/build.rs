//! Rebuild when the embedded playground or example operations change (new
//! files included: `include_bytes!` alone only tracks the files it saw).

fn main() {
    println!("cargo:rerun-if-changed=playground/dist");
    println!("cargo:rerun-if-changed=schema/operations");
}

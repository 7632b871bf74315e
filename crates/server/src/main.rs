//! The `pratu` binary.
#![forbid(unsafe_code)]

fn main() {}

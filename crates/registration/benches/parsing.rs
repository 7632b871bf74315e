//! Parsing what a citizen types in the enrollment wizard: the 13-digit
//! citizen ID (normalising separators, checksum) and the laser code.
//! Both run on every identity step; these figures show they are noise
//! next to the proofing call and the database.
//!
//! Run: `cargo bench -p pratu-registration --bench parsing`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pratu_registration::domain::{CitizenId, LaserCode};

fn citizen_id(c: &mut Criterion) {
    let mut g = c.benchmark_group("citizen_id");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse/compact", |b| {
        b.iter(|| CitizenId::parse(black_box("1234567890121")).is_ok());
    });
    g.bench_function("parse/printed", |b| {
        b.iter(|| CitizenId::parse(black_box("1-2345-67890-12-1")).is_ok());
    });
    g.bench_function("parse/bad_checksum", |b| {
        b.iter(|| CitizenId::parse(black_box("1234567890122")).is_err());
    });
    g.finish();
}

fn laser_code(c: &mut Criterion) {
    let mut g = c.benchmark_group("laser_code");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse/compact", |b| {
        b.iter(|| LaserCode::parse(black_box("JT1232145632")).is_ok());
    });
    g.bench_function("parse/printed", |b| {
        b.iter(|| LaserCode::parse(black_box("jt1-2321456-32")).is_ok());
    });
    g.finish();
}

criterion_group!(benches, citizen_id, laser_code);
criterion_main!(benches);

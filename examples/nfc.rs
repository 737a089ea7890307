//! The NFC check on an opinion as the load generator sends it (about 2 KB, Japanese and
//! English), before and after the fast path for characters that cannot combine, measured in
//! alternating rounds in one process (see BENCHMARKS.md).
//!   cargo run --release --example nfc
use std::hint::black_box;
use std::time::Instant;

const OPINION: &str = "クラウドサービスの登録要件について、第3章の監査頻度を明確にしてください。The audit interval in chapter 3 should be stated precisely. ";

/// What `normalize` did before: the quick check over every character, then a copy.
fn before(raw: &str) -> String {
    let unified = raw.to_string();
    match unicode_normalization::is_nfc_quick(unified.chars()) {
        unicode_normalization::IsNormalized::Yes => unified,
        _ => unicode_normalization::UnicodeNormalization::nfc(unified.as_str()).collect(),
    }
}

fn main() {
    let text = OPINION.repeat(12);
    assert_eq!(before(&text), pubcom::domain::text::normalize(&text));
    let rounds = 6;
    let per_round = 200_000;
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..per_round {
            black_box(before(black_box(&text)));
        }
        old.push(started.elapsed().as_nanos() as f64 / per_round as f64);
        let started = Instant::now();
        for _ in 0..per_round {
            black_box(pubcom::domain::text::normalize(black_box(&text)));
        }
        new.push(started.elapsed().as_nanos() as f64 / per_round as f64);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (o, n) = (median(&mut old), median(&mut new));
    println!(
        "{} bytes, {} chars: quick check {o:.0} ns, fast path {n:.0} ns per text ({:.1}× faster)",
        text.len(),
        text.chars().count(),
        o / n
    );
}

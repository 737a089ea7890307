//! Similarity fingerprints for finding campaigns (同趣旨の意見): text normalized (NFKC, case
//! folded, spaces and punctuation removed), cut into character shingles (which works for
//! Japanese without a tokenizer), summarized by MinHash, and banded for locality-sensitive
//! lookup. The hash is written out here (FNV-1a and a SplitMix64 finalizer per shingle, then
//! multiply-shift per signature position) because fingerprints are stored: they must not change
//! with a library or compiler version. The MinHash crates considered (probminhash, gaoya) bring
//! optimisation and thread-pool libraries this machine would build for a 40-line job.
use unicode_normalization::UnicodeNormalization;

/// Characters per shingle: long enough that the skeleton phrases of formal Japanese
/// (「について」「してください」) do not make distinct opinions look alike.
pub const SHINGLE: usize = 5;
/// Rows per band; `HASHES / ROWS` bands.
pub const ROWS: usize = 3;
/// MinHash values per fingerprint.
pub const HASHES: usize = 120;
pub const BANDS: usize = HASHES / ROWS;

/// The default similarity at or above which two opinions belong to one campaign.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// Text reduced to what carries its content.
pub fn normalize(text: &str) -> Vec<char> {
    text.nfkc().flat_map(char::to_lowercase).filter(|c| c.is_alphanumeric()).collect()
}

fn fnv1a(chars: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        for b in (*c as u32).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A text's fingerprint: its MinHash signature and how many distinct shingles it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub signature: Vec<u32>,
    pub shingles: usize,
}

impl Fingerprint {
    pub fn of(text: &str) -> Self {
        let chars = normalize(text);
        let mut hashes: Vec<u64> = if chars.len() < SHINGLE {
            if chars.is_empty() {
                Vec::new()
            } else {
                vec![fnv1a(&chars)]
            }
        } else {
            chars.windows(SHINGLE).map(fnv1a).collect()
        };
        hashes.sort_unstable();
        hashes.dedup();
        // One well-mixed hash per shingle, then a multiply-shift hash per signature position
        // (odd multiplier, random offset, top 32 bits): cheap enough to run on every opinion.
        let params: Vec<(u64, u64)> =
            (0..HASHES as u64).map(|seed| (mix(seed.wrapping_mul(2)) | 1, mix(seed.wrapping_mul(2) + 1))).collect();
        let mut signature = vec![u32::MAX; HASHES];
        for h in &hashes {
            let h = mix(*h);
            for (min, (a, b)) in signature.iter_mut().zip(&params) {
                *min = (*min).min((a.wrapping_mul(h).wrapping_add(*b) >> 32) as u32);
            }
        }
        Fingerprint { signature, shingles: hashes.len() }
    }

    /// Estimated Jaccard similarity of the two shingle sets.
    pub fn jaccard(&self, other: &Fingerprint) -> f64 {
        if self.shingles == 0 || other.shingles == 0 {
            return 0.0;
        }
        let same = self.signature.iter().zip(&other.signature).filter(|(a, b)| a == b).count();
        same as f64 / HASHES as f64
    }

    /// How alike two opinions are for campaign purposes: the Jaccard estimate. (Containment
    /// was tried to catch copies with a long paragraph added; it pulled in distinct opinions
    /// that share a phrase, and copies with a paragraph stay above the threshold anyway.)
    pub fn similarity(&self, other: &Fingerprint) -> f64 {
        self.jaccard(other)
    }

    /// One key per band: opinions sharing any key are candidates to compare. The band number
    /// is mixed in, so a key says which band matched.
    pub fn band_keys(&self) -> Vec<i64> {
        if self.shingles == 0 {
            return Vec::new();
        }
        self.signature
            .chunks(ROWS)
            .enumerate()
            .map(|(band, rows)| {
                let mut h = mix(band as u64 + 1);
                for r in rows {
                    h = mix(h ^ u64::from(*r));
                }
                h as i64
            })
            .collect()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.signature.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    pub fn from_bytes(bytes: &[u8], shingles: usize) -> Option<Self> {
        if bytes.len() != HASHES * 4 {
            return None;
        }
        let signature = bytes.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        Some(Fingerprint { signature, shingles })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "中小クラウド事業者の参入障壁とならないよう、登録手数料と監査費用の上限を定めてください。\
        特に地方の事業者にとって、現行案の費用負担は過大です。";

    #[test]
    fn width_case_spaces_and_punctuation_do_not_count() {
        assert_eq!(normalize("ＡＢＣ　ａｂｃ、１２３!"), normalize("abc abc 123"));
        assert_eq!(Fingerprint::of("Please PUBLISH the list."), Fingerprint::of("please publish the list"));
    }

    #[test]
    fn a_campaign_copy_is_similar_and_a_quote_is_not() {
        let t = Fingerprint::of(TEMPLATE);
        let swapped =
            Fingerprint::of(&TEMPLATE.replace("定めてください", "設けてください").replace("過大", "大き過ぎ"));
        assert!(t.similarity(&swapped) >= DEFAULT_THRESHOLD, "{}", t.similarity(&swapped));
        let own = format!("{TEMPLATE}私の会社は従業員五名で、昨年クラウドサービスを始めたばかりです。審査の期間についても配慮をお願いします。");
        assert!(t.similarity(&Fingerprint::of(&own)) >= DEFAULT_THRESHOLD, "a personal paragraph added");
        let quote = "登録手数料と監査費用の上限を定めてください、という意見もありますが、私は監査の頻度を年一回に減らすことこそ\
            重要だと考えます。管理基準の適用範囲も明確にしてください。国際規格との整合性も示すべきです。";
        assert!(t.similarity(&Fingerprint::of(quote)) < DEFAULT_THRESHOLD, "{}", t.similarity(&Fingerprint::of(quote)));
    }

    #[test]
    fn similar_texts_share_a_band_key_and_fingerprints_keep_across_storage() {
        let a = Fingerprint::of(TEMPLATE);
        let b = Fingerprint::of(&TEMPLATE.replace("特に", "とりわけ"));
        let shared = a.band_keys().iter().filter(|k| b.band_keys().contains(k)).count();
        assert!(shared > 0, "candidates are found by a shared key");
        assert_eq!(a.band_keys().len(), BANDS);
        assert_eq!(Fingerprint::from_bytes(&a.to_bytes(), a.shingles), Some(a.clone()));
        assert!(Fingerprint::of("").band_keys().is_empty(), "an empty text matches nothing");
    }

    #[test]
    fn the_estimate_is_close_to_the_true_jaccard_similarity() {
        let shingles = |t: &str| -> std::collections::HashSet<Vec<char>> {
            normalize(t).windows(SHINGLE).map(<[char]>::to_vec).collect()
        };
        let variants = [
            TEMPLATE.replace("特に", "とりわけ"),
            TEMPLATE.replace("定めてください", "設けてください").replace("過大", "大き過ぎ"),
            format!("{TEMPLATE}私の会社は従業員五名で、昨年クラウドサービスを始めたばかりです。"),
            TEMPLATE.chars().take(30).collect(),
            "監査の頻度を年一回とすべきです。管理基準の適用範囲が不明確なので明確にしてください。".to_string(),
        ];
        let t = shingles(TEMPLATE);
        for v in &variants {
            let s = shingles(v);
            let exact = t.intersection(&s).count() as f64 / t.union(&s).count() as f64;
            let estimate = Fingerprint::of(TEMPLATE).similarity(&Fingerprint::of(v));
            // 120 hashes: the standard error is at most 0.046; three of them is the bound.
            assert!((estimate - exact).abs() < 0.14, "{v}: estimated {estimate}, exactly {exact}");
        }
    }
}

//! Made-up opinion text: sentences composed from parts (so that distinct opinions rarely share
//! more than a sentence), campaign templates, and the variants campaigns come in — synonyms
//! swapped, sentences reordered, a personal paragraph added, typos, full-width characters —
//! some of them in English.
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

const JA_TOPICS: &[&str] = &[
    "監査の頻度",
    "管理基準の適用範囲",
    "登録申請の書類",
    "再委託先の管理",
    "経過措置の期間",
    "用語の定義",
    "国際規格との整合性",
    "監査機関の登録要件",
    "情報セキュリティ監査の手続",
    "クラウドサービスの登録期間",
    "更新審査の方法",
    "地方公共団体での利用",
    "中小事業者への配慮",
    "手数料の水準",
    "監査報告書の様式",
    "外部委託の範囲",
    "データの所在地",
    "障害時の報告",
    "暗号化の要件",
    "ログの保存期間",
    "アクセス権限の管理",
    "脆弱性診断の頻度",
    "バックアップの方式",
    "事業継続計画",
    "委託先の監督",
    "認証の更新",
    "申請手続の電子化",
    "審査結果の公表",
    "監査人の独立性",
    "第三者認証の活用",
    "利用者への説明",
    "契約条項の雛形",
    "インシデント対応体制",
    "物理的セキュリティ",
    "鍵管理の方法",
    "多要素認証の導入",
    "運用ログの監視",
    "クラウド利用の判断基準",
    "費用の負担方法",
    "制度の見直し時期",
];
const JA_ASPECTS: &[&str] = &[
    "現行案の記載",
    "運用の実態",
    "事業者の負担",
    "審査の公平性",
    "他制度との関係",
    "費用対効果",
    "透明性",
    "移行の手順",
    "責任の所在",
    "例外の扱い",
    "技術の進展",
    "国際的な動向",
    "利用者の利便性",
    "小規模自治体の事情",
    "審査期間",
    "人材の確保",
    "監査の実効性",
    "情報開示の範囲",
    "既存認証との重複",
    "契約実務",
];
const JA_REQUESTS: &[&str] = &[
    "を明確にしてください",
    "を見直すべきです",
    "について具体例を示してください",
    "に配慮をお願いします",
    "を簡素化してください",
    "の根拠を示してください",
    "を再検討すべきです",
    "について説明を追加してください",
    "を統一してください",
    "を緩和してください",
    "を厳格にすべきです",
    "について意見を募ってください",
    "の考え方を整理してください",
    "について経過措置を設けてください",
    "を段階的に進めてください",
    "の判断基準を公表してください",
    "に関する様式を示してください",
    "について業界と協議してください",
    "の運用を柔軟にしてください",
    "を見送るべきです",
];
const EN_TOPICS: &[&str] = &[
    "the audit interval",
    "the scope of the management standards",
    "the registration documents",
    "subcontractor oversight",
    "the transition period",
    "the definition of cloud service",
    "alignment with ISO/IEC 27017",
    "audit body requirements",
    "renewal reviews",
    "data location",
    "incident reporting",
    "encryption requirements",
    "log retention",
    "fees for small providers",
    "access control",
    "vulnerability scanning",
    "backup arrangements",
    "business continuity",
    "key management",
    "multi-factor authentication",
    "the publication of review results",
    "auditor independence",
    "third-party certifications",
    "contract templates",
    "physical security",
    "monitoring of operational logs",
    "the review schedule",
    "the appeals process",
];
const EN_ASPECTS: &[&str] = &[
    "in the current draft",
    "in practice",
    "for small providers",
    "for fairness",
    "for transparency",
    "during the transition",
    "for local governments",
    "in exceptional cases",
    "for overseas providers",
    "given recent technology",
    "for users",
    "in procurement",
    "for audit firms",
    "in the first year",
    "for renewals",
    "for hybrid deployments",
];
const EN_REQUESTS: &[&str] = &[
    "should be stated precisely",
    "needs to be reconsidered",
    "should be simplified",
    "deserves a worked example",
    "should be aligned with international practice",
    "needs a clearer rationale",
    "should be relaxed",
    "should be made stricter",
    "should be phased in",
    "deserves public consultation of its own",
    "needs a template",
    "should be decided with industry",
    "should be postponed",
    "must be published in advance",
];
/// Why, as people say it; a clause of its own makes distinct opinions as varied as real ones.
const JA_BECAUSE: &[&str] = &[
    "現場では担当者が一人しかいないため",
    "昨年の監査で三か月を要したため",
    "海外の基準と食い違う点があるため",
    "利用者から問い合わせが多いため",
    "小規模な自治体では予算が限られるため",
    "同じ書類を二度提出する必要があるため",
    "審査の期間が読めないため",
    "委託先が多層に及ぶため",
    "暗号鍵を顧客が管理する例もあるため",
    "障害の報告先が複数あるため",
    "用語が規格ごとに異なるため",
    "新規参入の妨げになりかねないため",
    "費用が売上の一割を超える例があるため",
    "手続の電子化が進んでいないため",
    "判断の根拠が公表されていないため",
    "監査人の数が不足しているため",
    "契約の見直しに時間がかかるため",
    "既存の認証と重なる部分が多いため",
    "夜間の対応体制を求められるため",
    "更新のたびに同じ確認が繰り返されるため",
];
const EN_BECAUSE: &[&str] = &[
    "because our only engineer also handles procurement",
    "since last year's audit took us three months",
    "as it contradicts guidance from overseas regulators",
    "because users keep asking us about it",
    "since small towns have little budget for this",
    "because the same papers must be filed twice",
    "as nobody can predict the review time",
    "because our subcontracting runs three tiers deep",
    "since some customers hold their own keys",
    "because incidents must be reported to several offices",
    "as the glossary differs between standards",
    "because it deters new entrants",
    "since fees exceed a tenth of revenue for some of us",
    "because the procedure is still on paper",
    "as the reasoning behind decisions is unpublished",
    "because qualified auditors are scarce",
    "since contracts take months to renegotiate",
    "because it duplicates existing certifications",
    "as it demands round-the-clock staffing",
    "because every renewal repeats the same checks",
];
/// Swaps campaign copies make; the second replaces the first.
const JA_SYNONYMS: &[(&str, &str)] = &[
    ("ください", "いただきたい"),
    ("すべきです", "するべきだと考えます"),
    ("明確に", "はっきりと"),
    ("配慮", "考慮"),
    ("事業者", "企業"),
    ("負担", "コスト"),
    ("見直す", "改める"),
];
const EN_SYNONYMS: &[(&str, &str)] = &[
    ("should", "ought to"),
    ("needs to", "must"),
    ("precisely", "exactly"),
    ("clearer", "more explicit"),
    ("simplified", "made simpler"),
    ("small providers", "smaller providers"),
];
const JA_PERSONAL: &[&str] = &[
    "当社は従業員十名ほどの小さな会社で、昨年からクラウドサービスを提供しています。",
    "私は地方の自治体で情報システムを担当しており、日々この問題に直面しています。",
    "弊社の顧客からも同様の声が多く寄せられています。",
    "個人的な経験として、前回の審査では書類の準備に三か月かかりました。",
];
const EN_PERSONAL: &[&str] = &[
    "We are a team of twelve and started offering our service last year.",
    "As the person in charge of IT at a small city, I see this every day.",
    "Our customers have raised the same point with us many times.",
];

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

/// One sentence composed from a topic, an aspect, a request and a reason, with a section number.
pub fn sentence(rng: &mut StdRng, english: bool) -> String {
    let section = format!("{}.{}.{}", rng.random_range(1..10), rng.random_range(1..10), rng.random_range(1..20));
    if english {
        let s = format!(
            "{} {} (section {section}) {}, {}.",
            pick(rng, EN_TOPICS),
            pick(rng, EN_ASPECTS),
            pick(rng, EN_REQUESTS),
            pick(rng, EN_BECAUSE)
        );
        let mut c = s.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    } else {
        let (topic, aspect, request, because) =
            (pick(rng, JA_TOPICS), pick(rng, JA_ASPECTS), pick(rng, JA_REQUESTS), pick(rng, JA_BECAUSE));
        format!("{topic}（第{section}項）について、{because}、{aspect}{request}。")
    }
}

/// A campaign's template: sentences of its own, kept as a list so copies can reorder them.
#[derive(Debug, Clone)]
pub struct Template {
    pub sentences: Vec<String>,
    pub english: bool,
}

impl Template {
    pub fn new(rng: &mut StdRng, english: bool) -> Self {
        let n = rng.random_range(4..=6);
        Self { sentences: (0..n).map(|_| sentence(rng, english)).collect(), english }
    }

    fn join(&self, sentences: &[String]) -> String {
        sentences.join(if self.english { " " } else { "" })
    }

    /// A copy as people send it: usually the template with a change or two of their own.
    pub fn copy(&self, rng: &mut StdRng) -> String {
        let mut sentences = self.sentences.clone();
        if rng.random_bool(0.3) {
            let (a, b) = (rng.random_range(0..sentences.len()), rng.random_range(0..sentences.len()));
            sentences.swap(a, b);
        }
        let synonyms = if self.english { EN_SYNONYMS } else { JA_SYNONYMS };
        for _ in 0..rng.random_range(0..=2) {
            let (from, to) = synonyms[rng.random_range(0..synonyms.len())];
            let i = rng.random_range(0..sentences.len());
            sentences[i] = sentences[i].replacen(from, to, 1);
        }
        let mut text = self.join(&sentences);
        if rng.random_bool(0.25) {
            let personal = if self.english { EN_PERSONAL } else { JA_PERSONAL };
            let extra = format!("{}{}", pick(rng, personal), sentence(rng, self.english));
            text = if self.english { format!("{text} {extra}") } else { format!("{text}{extra}") };
        }
        if rng.random_bool(0.2) {
            text = typo(rng, &text);
        }
        if rng.random_bool(0.15) {
            text = full_width(&text);
        }
        text
    }

    /// One of the template's sentences, as a distinct opinion might quote it.
    pub fn quote(&self, rng: &mut StdRng) -> String {
        self.sentences[rng.random_range(0..self.sentences.len())].clone()
    }
}

/// One character dropped or doubled.
fn typo(rng: &mut StdRng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.len() > 2 {
        let i = rng.random_range(1..chars.len() - 1);
        if rng.random_bool(0.5) {
            chars.remove(i);
        } else {
            chars.insert(i, chars[i]);
        }
    }
    chars.into_iter().collect()
}

/// ASCII letters and digits in their full-width forms, as some keyboards type them.
fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c) } else { c })
        .collect()
}

/// An opinion of its own: a few composed sentences, sometimes quoting a campaign's template.
pub fn distinct(rng: &mut StdRng, english: bool, quoting: Option<&Template>) -> String {
    let mut sentences: Vec<String> = (0..rng.random_range(3..=5)).map(|_| sentence(rng, english)).collect();
    if let Some(t) = quoting.filter(|t| t.english == english) {
        sentences.push(t.quote(rng));
        sentences.shuffle(rng);
    }
    sentences.join(if english { " " } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fingerprint::{Fingerprint, DEFAULT_THRESHOLD as DEFAULT_SIMILARITY};
    use rand::SeedableRng;

    /// The generator is what the campaign benchmark measures against, so its copies must read as
    /// copies to the fingerprint and its distinct opinions (even those quoting a template) must not.
    #[test]
    fn copies_score_above_the_default_similarity_and_distinct_opinions_below() {
        let mut rng = StdRng::seed_from_u64(7);
        for english in [false, true] {
            let t = Template::new(&mut rng, english);
            let base = Fingerprint::of(&t.sentences.join(if english { " " } else { "" }));
            for _ in 0..200 {
                let copy = t.copy(&mut rng);
                assert!(base.similarity(&Fingerprint::of(&copy)) > DEFAULT_SIMILARITY, "{copy}");
                let (a, b) = (distinct(&mut rng, english, None), distinct(&mut rng, english, None));
                assert!(Fingerprint::of(&a).similarity(&Fingerprint::of(&b)) < DEFAULT_SIMILARITY, "{a} / {b}");
                let quoting = distinct(&mut rng, english, Some(&t));
                assert!(base.similarity(&Fingerprint::of(&quoting)) < DEFAULT_SIMILARITY, "{quoting}");
            }
        }
    }
}

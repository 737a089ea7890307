//! Campaigns (同趣旨の意見): opinions of one consultation whose text is nearly the same. Pure
//! rules over fingerprints: which opinions form a cluster, which member is its template (the
//! one most like the others), and how each member differs from the template.
use super::fingerprint::Fingerprint;
use similar::{ChangeTag, TextDiff};
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// Characters a member must add to the template to count as having text of its own.
pub const OWN_TEXT_CHARS: usize = 30;
/// Members a template is compared with, at most, when a cluster is large.
const TEMPLATE_SAMPLE: usize = 64;
/// Representatives kept per band bucket while clustering.
const PIVOTS: usize = 8;

/// A staff choice that re-clustering keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    /// This opinion belongs to no cluster.
    Detach(i64),
    /// The clusters of these two opinions are one.
    Join(i64, i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub opinion_id: i64,
    /// Estimated similarity to the template (1 for the template itself).
    pub similarity: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The first opinion of the cluster: stable while it stays a member.
    pub id: i64,
    pub template: i64,
    /// By opinion id.
    pub members: Vec<Member>,
}

struct Sets {
    parent: Vec<usize>,
}

impl Sets {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Clusters of two or more among `fps` (opinion id, fingerprint): opinions at least
/// `threshold` alike to their cluster's template; staff overrides applied.
///
/// Candidates come from shared band keys, linked transitively; such chains can run through
/// opinions that are each like the next but not like each other, so every linked group is then
/// split around templates: the template and the members alike to it form a cluster, and the
/// rest is split again.
pub fn cluster(fps: &[(i64, Fingerprint)], threshold: f64, overrides: &[Override]) -> Vec<Cluster> {
    let detached: Vec<i64> =
        overrides.iter().filter_map(|o| if let Override::Detach(id) = o { Some(*id) } else { None }).collect();
    let mut sets = Sets { parent: (0..fps.len()).collect() };
    let mut buckets: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, (id, fp)) in fps.iter().enumerate() {
        if detached.contains(id) {
            continue;
        }
        for key in fp.band_keys() {
            let pivots = buckets.entry(key).or_default();
            // Compare with a few representatives of the bucket, not with every member.
            let mut matched = false;
            for &p in pivots.iter() {
                if sets.find(p) == sets.find(i) || fp.similarity(&fps[p].1) >= threshold {
                    sets.union(p, i);
                    matched = true;
                    break;
                }
            }
            if !matched && pivots.len() < PIVOTS {
                pivots.push(i);
            }
        }
    }
    let mut linked: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, (id, _)) in fps.iter().enumerate() {
        if !detached.contains(id) {
            linked.entry(sets.find(i)).or_default().push(i);
        }
    }
    // Each opinion's cluster after splitting, as the index of one member of it.
    let mut split = Sets { parent: (0..fps.len()).collect() };
    let mut clustered = vec![false; fps.len()];
    for group in linked.into_values().filter(|g| g.len() >= 2) {
        let mut rest = group;
        while rest.len() >= 2 {
            let template = template_of(&rest, fps);
            let (alike, other): (Vec<usize>, Vec<usize>) =
                rest.iter().partition(|&&i| i == template || fps[template].1.similarity(&fps[i].1) >= threshold);
            if alike.len() >= 2 {
                for &i in &alike {
                    split.union(template, i);
                    clustered[i] = true;
                }
            }
            rest = other;
        }
    }
    let index: HashMap<i64, usize> = fps.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    for o in overrides {
        if let Override::Join(a, b) = o {
            if let (Some(&ia), Some(&ib)) = (index.get(a), index.get(b)) {
                if !detached.contains(a) && !detached.contains(b) {
                    split.union(ia, ib);
                    clustered[ia] = true;
                    clustered[ib] = true;
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in (0..fps.len()).filter(|&i| clustered[i]) {
        groups.entry(split.find(i)).or_default().push(i);
    }
    let mut clusters: Vec<Cluster> = groups
        .into_values()
        .filter(|g| g.len() >= 2)
        .map(|g| {
            let template = template_of(&g, fps);
            let t = &fps[template].1;
            let mut members: Vec<Member> = g
                .iter()
                .map(|&i| Member {
                    opinion_id: fps[i].0,
                    similarity: if i == template { 1.0 } else { t.similarity(&fps[i].1) },
                })
                .collect();
            members.sort_by_key(|m| m.opinion_id);
            Cluster { id: members[0].opinion_id, template: fps[template].0, members }
        })
        .collect();
    clusters.sort_by_key(|c| c.id);
    clusters
}

/// The member most like the others (compared with an even sample in large clusters); ties go
/// to the earliest.
fn template_of(group: &[usize], fps: &[(i64, Fingerprint)]) -> usize {
    let step = (group.len() / TEMPLATE_SAMPLE).max(1);
    let sample: Vec<usize> = group.iter().step_by(step).copied().collect();
    let mut best = (group[0], f64::MIN);
    for &i in group {
        let total: f64 = sample.iter().filter(|&&j| j != i).map(|&j| fps[i].1.similarity(&fps[j].1)).sum();
        if total > best.1 + 1e-9 {
            best = (i, total);
        }
    }
    best.0
}

/// One piece of a member's text compared with the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Same(String),
    Added(String),
    Removed(String),
}

/// A member against its template: by character for Japanese, by word for text that is
/// mostly ASCII (English).
pub fn diff(template: &str, member: &str) -> Vec<Piece> {
    let ascii = |s: &str| s.chars().filter(char::is_ascii).count() * 10 >= s.chars().count() * 8;
    let by_words = ascii(template) && ascii(member);
    let d = if by_words { TextDiff::from_words(template, member) } else { TextDiff::from_chars(template, member) };
    let mut pieces: Vec<Piece> = Vec::new();
    for change in d.iter_all_changes() {
        let text = change.value().to_string();
        let piece = match change.tag() {
            ChangeTag::Equal => Piece::Same(text),
            ChangeTag::Insert => Piece::Added(text),
            ChangeTag::Delete => Piece::Removed(text),
        };
        match (pieces.last_mut(), &piece) {
            (Some(Piece::Same(a)), Piece::Same(b))
            | (Some(Piece::Added(a)), Piece::Added(b))
            | (Some(Piece::Removed(a)), Piece::Removed(b)) => a.push_str(b),
            _ => pieces.push(piece),
        }
    }
    pieces
}

/// Characters a member adds to its template (spaces and punctuation not counted, width and
/// case not either).
pub fn own_chars(template: &str, member: &str) -> usize {
    let fold = |s: &str| -> String { s.nfkc().flat_map(char::to_lowercase).collect() };
    diff(&fold(template), &fold(member))
        .iter()
        .map(|p| match p {
            Piece::Added(t) => t.chars().filter(|c| c.is_alphanumeric()).count(),
            _ => 0,
        })
        .sum()
}

/// Whether a member still needs reading: it adds text of its own.
pub fn has_own_text(own_chars: usize) -> bool {
    own_chars >= OWN_TEXT_CHARS
}

/// How well found clusters match the true campaigns, pair by pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Pairwise precision and recall of cluster membership: for every pair of opinions, whether
/// the clustering put them together and whether they truly belong together. `items` holds,
/// per opinion, its found cluster and its true campaign.
pub fn pairwise_scores<P: std::hash::Hash + Eq + Copy, T: std::hash::Hash + Eq + Copy>(
    items: &[(Option<P>, Option<T>)],
) -> Scores {
    fn pairs<K: std::hash::Hash + Eq>(counts: HashMap<K, u64>) -> u64 {
        counts.values().map(|n| n * n.saturating_sub(1) / 2).sum()
    }
    let mut found: HashMap<P, u64> = HashMap::new();
    let mut truth: HashMap<T, u64> = HashMap::new();
    let mut both: HashMap<(P, T), u64> = HashMap::new();
    for (p, t) in items {
        if let Some(p) = p {
            *found.entry(*p).or_default() += 1;
        }
        if let Some(t) = t {
            *truth.entry(*t).or_default() += 1;
        }
        if let (Some(p), Some(t)) = (p, t) {
            *both.entry((*p, *t)).or_default() += 1;
        }
    }
    let (found, truth, agreed) = (pairs(found) as f64, pairs(truth) as f64, pairs(both) as f64);
    let precision = if found > 0.0 { agreed / found } else { 1.0 };
    let recall = if truth > 0.0 { agreed / truth } else { 1.0 };
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    Scores { precision, recall, f1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "中小クラウド事業者の参入障壁とならないよう、登録手数料と監査費用の上限を定めてください。特に地方の事業者にとって費用負担は過大です。";

    fn fps(texts: &[&str]) -> Vec<(i64, Fingerprint)> {
        texts.iter().enumerate().map(|(i, t)| (i as i64 + 1, Fingerprint::of(t))).collect()
    }

    #[test]
    fn copies_cluster_together_and_distinct_opinions_stay_out() {
        let variant = T.replace("定めてください", "設けてください");
        let english = "Please publish the list of registered services in machine-readable form, updated every month.";
        let english_variant =
            "Please publish the list of registered cloud services in a machine readable form, updated every month!";
        let distinct = "監査の頻度を年一回とすべきです。管理基準の適用範囲が不明確なので明確にしてください。";
        let all = fps(&[T, &variant, english, distinct, english_variant]);
        let clusters = cluster(&all, 0.5, &[]);
        let ids: Vec<Vec<i64>> = clusters.iter().map(|c| c.members.iter().map(|m| m.opinion_id).collect()).collect();
        assert_eq!(ids, vec![vec![1, 2], vec![3, 5]]);
        assert_eq!(clusters[0].id, 1, "named by its first opinion");
    }

    #[test]
    fn staff_choices_survive_reclustering() {
        let variant = T.replace("特に", "とりわけ");
        let other = "Please publish the list of registered services in machine-readable form, updated every month.";
        let other2 = "Please publish the list of registered services in machine readable form, updated each month.";
        let all = fps(&[T, &variant, other, other2]);
        assert!(cluster(&all, 0.5, &[Override::Detach(2)])
            .iter()
            .all(|c| !c.members.iter().any(|m| m.opinion_id == 2)));
        let joined = cluster(&all, 0.5, &[Override::Join(1, 3)]);
        assert_eq!(joined.len(), 1, "two clusters joined into one");
        assert_eq!(joined[0].members.len(), 4);
    }

    #[test]
    fn a_chain_of_each_like_the_next_is_split_around_templates() {
        let sentences = [
            "Registration fees should be capped for small providers.",
            "Auditors need a published list of evidence to request.",
            "Municipal buyers want the register in a spreadsheet.",
            "Overseas data centres deserve a clear rule on location.",
            "Renewal reviews could reuse last year's audit findings.",
            "Incident reports ought to reach customers within a day.",
            "Key custody by the customer must count as a strength.",
            "Penetration tests every quarter are too costly for us.",
            "Glossary terms differ from JIS Q 27017 and confuse readers.",
            "Subcontractor chains beyond two tiers remain unexamined.",
            "Transitional arrangements end far too soon next spring.",
            "Appeals against refusal lack any deadline or procedure.",
        ];
        // Each window of five sentences shares four with the next and none with the last.
        let windows: Vec<String> = (0..8).map(|k| sentences[k..k + 5].join(" ")).collect();
        let all = fps(&windows.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(all.windows(2).all(|w| w[0].1.similarity(&w[1].1) >= 0.5), "the chain links");
        let clusters = cluster(&all, 0.5, &[]);
        for c in &clusters {
            let t = &all.iter().find(|(id, _)| *id == c.template).unwrap().1;
            for m in &c.members {
                let fp = &all.iter().find(|(id, _)| *id == m.opinion_id).unwrap().1;
                assert!(
                    t.similarity(fp) >= 0.5,
                    "opinion {} in cluster {} is not like its template",
                    m.opinion_id,
                    c.id
                );
            }
        }
        let cluster_of = |id: i64| clusters.iter().position(|c| c.members.iter().any(|m| m.opinion_id == id));
        assert!(cluster_of(1).is_none() || cluster_of(1) != cluster_of(8), "{clusters:?}");
    }

    #[test]
    fn a_members_own_text_is_what_it_adds_to_the_template() {
        let own = format!(
            "{T}私の会社は従業員五名で、昨年クラウドサービスを始めたばかりです。審査期間にも配慮をお願いします。"
        );
        assert!(has_own_text(own_chars(T, &own)));
        assert!(!has_own_text(own_chars(T, &T.replace("特に", "とりわけ"))));
        let pieces = diff("Please publish the list.", "Please publish the full list.");
        assert!(pieces.contains(&Piece::Added("full ".into())), "{pieces:?}");
        let swapped = diff(T, &T.replace("過大", "大きすぎ"));
        assert!(swapped.iter().any(|p| matches!(p, Piece::Removed(t) if t.contains('過'))), "{swapped:?}");
        assert!(swapped.iter().any(|p| matches!(p, Piece::Added(t) if t.contains("きすぎ"))), "{swapped:?}");
    }

    #[test]
    fn scores_count_pairs() {
        let perfect =
            [(Some(1), Some('a')), (Some(1), Some('a')), (None, None), (Some(2), Some('b')), (Some(2), Some('b'))];
        assert_eq!(pairwise_scores(&perfect), Scores { precision: 1.0, recall: 1.0, f1: 1.0 });
        // One of three true members missed: 1 of 3 true pairs found, no false pair.
        let missed = [(Some(1), Some('a')), (Some(1), Some('a')), (None, Some('a'))];
        let s = pairwise_scores(&missed);
        assert_eq!((s.precision, (s.recall * 3.0).round()), (1.0, 1.0));
        // A distinct opinion pulled into a campaign: 1 of 3 found pairs is true.
        let pulled = [(Some(1), Some('a')), (Some(1), Some('a')), (Some(1), None)];
        assert!((pairwise_scores(&pulled).precision - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn the_template_is_the_member_most_like_the_others() {
        let a = T.to_string();
        let b = T.replace("特に", "とりわけ");
        let c = T.replace("特に", "とりわけ").replace("過大", "大き過ぎ");
        let all = fps(&[&c, &a, &b]);
        let clusters = cluster(&all, 0.5, &[]);
        assert_eq!(clusters[0].template, 3, "the middle version");
    }
}

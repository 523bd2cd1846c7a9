//! Statistics of the attempts: how a question fared (Moodle's facility
//! and discrimination, the spread of the answers) and how a respondent is
//! doing, from totals the storage derives as attempts come in.

use std::collections::BTreeMap;

use super::question::normalise_choice_key;

/// A question's attempts, totalled at one revision or over all.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AttemptTotals {
    /// Attempts counted.
    pub attempts: u64,
    /// The sum of their scores.
    pub score_sum: f64,
    /// Each respondent's first attempt, plus every anonymous attempt.
    pub first_attempts: u64,
    /// The sum of the first attempts' scores.
    pub first_score_sum: f64,
    /// Distinct respondents.
    pub respondents: u64,
}

/// How a question's attempts went.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionStats {
    /// The question.
    pub question_id: String,
    /// The revision counted; 0 for all.
    pub revision: i64,
    /// The totals.
    pub totals: AttemptTotals,
    /// Mean score of the first attempts (0 without any).
    pub facility: f64,
    /// Mean score of all attempts (0 without any).
    pub mean_score: f64,
    /// Each choice of the current revision, in choice order.
    pub choices: Vec<ChoiceStats>,
    /// See [`discrimination`].
    pub discrimination: Option<f64>,
}

/// How often one choice was among the chosen keys.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceStats {
    /// The choice's key.
    pub key: String,
    /// Attempts that chose it.
    pub chosen: u64,
    /// `chosen` over all attempts counted (0 without any).
    pub chosen_share: f64,
}

/// Fewer respondents than this give no discrimination: a correlation over a
/// handful of people says nothing.
pub const DISCRIMINATION_MIN_RESPONDENTS: usize = 30;

impl QuestionStats {
    /// The statistics of `totals`, with the choices of the question's
    /// current revision (`keys`, in choice order) counted from `chosen`
    /// (`(key, attempts that chose it)`, in any order), and discrimination
    /// from `pairs` (see [`discrimination`]).
    pub fn new(
        question_id: String,
        revision: i64,
        totals: AttemptTotals,
        keys: &[String],
        chosen: &[(String, u64)],
        pairs: &[(f64, f64)],
    ) -> Self {
        let choices = keys
            .iter()
            .map(|key| {
                // Keys ignore case: an older revision's `a` is this one's `A`.
                let wanted = normalise_choice_key(key);
                let chosen = chosen
                    .iter()
                    .filter(|(chosen_key, _)| normalise_choice_key(chosen_key) == wanted)
                    .map(|(_, count)| count)
                    .sum();
                ChoiceStats {
                    key: key.clone(),
                    chosen,
                    chosen_share: share(chosen, totals.attempts),
                }
            })
            .collect();
        Self {
            question_id,
            revision,
            facility: mean(totals.first_score_sum, totals.first_attempts),
            mean_score: mean(totals.score_sum, totals.attempts),
            totals,
            choices,
            discrimination: discrimination(pairs),
        }
    }
}

/// The Pearson correlation over `pairs` of (a respondent's first-attempt
/// score on the question, the mean of their first-attempt scores on every
/// other question): whether those who do well overall do well here.
/// `None` below [`DISCRIMINATION_MIN_RESPONDENTS`] pairs, or when either
/// side does not vary.
pub fn discrimination(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < DISCRIMINATION_MIN_RESPONDENTS {
        return None;
    }
    let n = pairs.len() as f64;
    let (mean_x, mean_y) = pairs
        .iter()
        .fold((0.0, 0.0), |(x, y), (px, py)| (x + px / n, y + py / n));
    let (mut covariance, mut variance_x, mut variance_y) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        covariance += (x - mean_x) * (y - mean_y);
        variance_x += (x - mean_x).powi(2);
        variance_y += (y - mean_y).powi(2);
    }
    // Scores are sums of a few fractions: a variance this small is none.
    const NO_VARIANCE: f64 = 1e-12;
    if variance_x < NO_VARIANCE || variance_y < NO_VARIANCE {
        return None;
    }
    Some((covariance / (variance_x * variance_y).sqrt()).clamp(-1.0, 1.0))
}

/// A respondent's first attempt on one question, with the question's
/// current category and tags.
#[derive(Debug, Clone, PartialEq)]
pub struct RespondentFirst {
    /// The question.
    pub question_id: String,
    /// The first attempt's score.
    pub score: f64,
    /// Whether it was correct.
    pub correct: bool,
    /// The respondent's attempts on the question in all.
    pub attempts: u64,
    /// The question's category.
    pub category: String,
    /// The question's tags.
    pub tags: Vec<String>,
}

/// How one respondent is doing, over their first attempt on each question.
#[derive(Debug, Clone, PartialEq)]
pub struct RespondentStats {
    /// The respondent.
    pub respondent_id: String,
    /// Over every question answered.
    pub overall: GroupStats,
    /// Every attempt.
    pub attempts: u64,
    /// By category, weakest first.
    pub by_category: Vec<GroupStats>,
    /// By tag, weakest first.
    pub by_tag: Vec<GroupStats>,
}

/// First attempts on a group of questions.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStats {
    /// The category or tag (empty for the overall group).
    pub name: String,
    /// Questions answered.
    pub questions_answered: u64,
    /// Share of them answered correctly at the first attempt.
    pub correct_share: f64,
    /// Mean first-attempt score.
    pub mean_score: f64,
}

impl RespondentStats {
    /// The statistics of `firsts`, one per question. No attempts give
    /// zeros, not an error.
    pub fn new(respondent_id: String, firsts: &[RespondentFirst]) -> Self {
        let mut by_category = Groups::default();
        let mut by_tag = Groups::default();
        let mut overall = Group::default();
        let mut attempts = 0;
        for first in firsts {
            attempts += first.attempts;
            overall.add(first);
            by_category.add(&first.category, first);
            for tag in &first.tags {
                by_tag.add(tag, first);
            }
        }
        Self {
            respondent_id,
            overall: overall.stats(String::new()),
            attempts,
            by_category: by_category.weakest_first(),
            by_tag: by_tag.weakest_first(),
        }
    }
}

#[derive(Debug, Default)]
struct Group {
    questions: u64,
    correct: u64,
    score_sum: f64,
}

impl Group {
    fn add(&mut self, first: &RespondentFirst) {
        self.questions += 1;
        self.correct += u64::from(first.correct);
        self.score_sum += first.score;
    }

    fn stats(&self, name: String) -> GroupStats {
        GroupStats {
            name,
            questions_answered: self.questions,
            correct_share: share(self.correct, self.questions),
            mean_score: mean(self.score_sum, self.questions),
        }
    }
}

#[derive(Debug, Default)]
struct Groups(BTreeMap<String, Group>);

impl Groups {
    fn add(&mut self, name: &str, first: &RespondentFirst) {
        self.0.entry(name.to_owned()).or_default().add(first);
    }

    /// Mean score ascending, ties by name (the map's order, kept by a
    /// stable sort).
    fn weakest_first(self) -> Vec<GroupStats> {
        let mut groups: Vec<GroupStats> = self
            .0
            .into_iter()
            .map(|(name, group)| group.stats(name))
            .collect();
        groups.sort_by(|a, b| a.mean_score.total_cmp(&b.mean_score));
        groups
    }
}

fn mean(sum: f64, count: u64) -> f64 {
    if count == 0 { 0.0 } else { sum / count as f64 }
}

fn share(part: u64, whole: u64) -> f64 {
    mean(part as f64, whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discrimination_needs_thirty_respondents_and_variance() {
        let rising: Vec<(f64, f64)> = (0..30)
            .map(|i| (f64::from(i % 2), f64::from(i % 2) * 0.5 + 0.1))
            .collect();
        assert_eq!(discrimination(&rising[..29]), None);
        assert!((discrimination(&rising).expect("30 pairs") - 1.0).abs() < 1e-9);
        let flat: Vec<(f64, f64)> = (0..40).map(|i| (1.0, f64::from(i))).collect();
        assert_eq!(discrimination(&flat), None);
        let falling: Vec<(f64, f64)> = rising.iter().map(|(x, y)| (1.0 - x, *y)).collect();
        assert!((discrimination(&falling).expect("30 pairs") + 1.0).abs() < 1e-9);
    }

    #[test]
    fn groups_come_weakest_first_then_by_name() {
        let first = |category: &str, score: f64| RespondentFirst {
            question_id: format!("{category}-{score}"),
            score,
            correct: score == 1.0,
            attempts: 2,
            category: category.into(),
            tags: vec!["t".into()],
        };

        let stats = RespondentStats::new(
            "r".into(),
            &[
                first("b", 0.5),
                first("a", 0.5),
                first("c", 1.0),
                first("c", 0.0),
            ],
        );

        let names: Vec<&str> = stats.by_category.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(stats.overall.questions_answered, 4);
        assert_eq!(stats.overall.correct_share, 0.25);
        assert_eq!(stats.overall.mean_score, 0.5);
        assert_eq!(stats.attempts, 8);
        assert_eq!(stats.by_tag[0].questions_answered, 4);
    }

    #[test]
    fn no_attempts_give_zeros() {
        let stats = RespondentStats::new("r".into(), &[]);
        assert_eq!(stats.overall.mean_score, 0.0);
        assert!(stats.by_category.is_empty());
    }
}

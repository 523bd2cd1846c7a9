//! Draws: distinct questions picked at random, each equally likely, from
//! the pool a filter matches, leaving out what a respondent answered; the
//! same seed over the same pool draws the same questions in the same order.

use std::collections::{HashMap, HashSet};

use sha2::{Digest as _, Sha256};

use super::{listing::QuestionFilter, validation::FieldError};

/// Questions drawn when the request asks for 0.
pub const DEFAULT_DRAW_COUNT: usize = 10;
/// The most questions one draw returns.
pub const MAX_DRAW_COUNT: usize = 100;

/// Applies the count rules: 0 means [`DEFAULT_DRAW_COUNT`], negative or
/// above [`MAX_DRAW_COUNT`] is an error.
pub fn draw_count(requested: i32) -> Result<usize, FieldError> {
    match usize::try_from(requested) {
        Err(_) => Err(FieldError::new("count", "must not be negative")),
        Ok(0) => Ok(DEFAULT_DRAW_COUNT),
        Ok(count) if count > MAX_DRAW_COUNT => Err(FieldError::new(
            "count",
            format!("must be at most {MAX_DRAW_COUNT}"),
        )),
        Ok(count) => Ok(count),
    }
}

/// A DrawQuestions request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawQuery {
    /// The pool: the questions this filter matches.
    pub filter: QuestionFilter,
    /// How many to draw (already within the rules).
    pub count: usize,
    /// Repeats a draw; `None` draws afresh.
    pub seed: Option<String>,
    /// Leave out every question this respondent has an attempt on.
    pub excluding_answers_of: Option<String>,
}

/// What a draw picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// Question ids, distinct, in the order drawn.
    pub question_ids: Vec<String>,
    /// How many questions of the pool were not left out.
    pub available: usize,
    /// Whether fewer than asked were available (all of them are drawn).
    pub exhausted: bool,
}

/// Draws up to `count` ids from `pool` (sorted, distinct) that `excluded`
/// does not hold, uniformly and without repeats. With a `seed` the draw is
/// the same for the same pool and exclusions; without, it is fresh.
///
/// A Fisher-Yates shuffle stopped after the picks it needs, with the swaps
/// kept in a map: it costs the picks (and the left-out ids it meets), not
/// the pool.
pub fn draw(
    pool: &[String],
    excluded: &HashSet<String>,
    count: usize,
    seed: Option<&str>,
) -> Drawn {
    let left_out = excluded
        .iter()
        .filter(|id| pool.binary_search(id).is_ok())
        .count();
    let available = pool.len() - left_out;
    let wanted = count.min(available);
    let mut rng = match seed {
        Some(seed) => fastrand::Rng::with_seed(seed_of(seed)),
        None => fastrand::Rng::new(),
    };
    let mut swapped: HashMap<usize, usize> = HashMap::new();
    let mut question_ids = Vec::with_capacity(wanted);
    let mut next = 0;
    while question_ids.len() < wanted && next < pool.len() {
        let chosen = rng.usize(next..pool.len());
        let at_chosen = *swapped.get(&chosen).unwrap_or(&chosen);
        let at_next = *swapped.get(&next).unwrap_or(&next);
        swapped.insert(chosen, at_next);
        next += 1;
        let id = &pool[at_chosen];
        if !excluded.contains(id) {
            question_ids.push(id.clone());
        }
    }
    Drawn {
        question_ids,
        available,
        exhausted: available < count,
    }
}

/// A caller's seed as the generator's: the first 8 bytes of its SHA-256,
/// so any text seeds the generator. The draw then repeats as long as the
/// generator (fastrand 2's) and the pool do: a later qbank release may
/// draw differently for the same seed.
fn seed_of(seed: &str) -> u64 {
    let digest = Sha256::digest(seed.as_bytes());
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(size: usize) -> Vec<String> {
        (0..size).map(|n| format!("q-{n:04}")).collect()
    }

    #[test]
    fn a_seed_draws_the_same_and_no_seed_draws_afresh() {
        let pool = pool(1_000);
        let none = HashSet::new();

        let first = draw(&pool, &none, 20, Some("interview-7"));
        let again = draw(&pool, &none, 20, Some("interview-7"));
        let other = draw(&pool, &none, 20, Some("interview-8"));
        let fresh = draw(&pool, &none, 20, None);
        let fresh_again = draw(&pool, &none, 20, None);

        assert_eq!(first, again);
        assert_ne!(first.question_ids, other.question_ids);
        assert_ne!(fresh.question_ids, fresh_again.question_ids);
        let distinct: HashSet<&String> = first.question_ids.iter().collect();
        assert_eq!(distinct.len(), 20);
    }

    #[test]
    fn left_out_questions_are_never_drawn_and_the_rest_exhaust_exactly() {
        let pool = pool(10);
        let excluded: HashSet<String> = pool[..7].iter().cloned().chain(["q-x".into()]).collect();

        let drawn = draw(&pool, &excluded, 5, None);

        let mut ids = drawn.question_ids.clone();
        ids.sort();
        assert_eq!(ids, pool[7..]);
        assert_eq!(drawn.available, 3);
        assert!(drawn.exhausted);
        assert!(!draw(&pool, &excluded, 3, None).exhausted);
        assert_eq!(
            draw(&pool, &pool.iter().cloned().collect(), 3, None)
                .question_ids
                .len(),
            0
        );
    }

    #[test]
    fn every_question_is_equally_likely() {
        let pool = pool(10);
        let none = HashSet::new();
        let mut drawn = HashMap::<String, u32>::new();
        for round in 0..20_000 {
            for id in draw(&pool, &none, 3, Some(&round.to_string())).question_ids {
                *drawn.entry(id).or_default() += 1;
            }
        }
        // 6,000 expected each; the bound is about five standard deviations.
        for (id, times) in drawn {
            assert!((5_650..=6_350).contains(&times), "{id} drawn {times} times");
        }
    }

    #[test]
    fn counts_outside_the_rules_are_refused() {
        assert_eq!(draw_count(0), Ok(10));
        assert_eq!(draw_count(100), Ok(100));
        assert!(draw_count(101).is_err());
        assert!(draw_count(-1).is_err());
    }
}

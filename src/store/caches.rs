//! What the store keeps in memory about the bank's questions (their cards,
//! the count of each filter listed, and the category and tag counts), and
//! how it is kept from going stale.
//!
//! Every question change forgets what it touched before its writer answers,
//! so a caller reads its own writes. A read that began before such a change
//! may still hold the old value after it: a value is therefore cached only
//! if no change was forgotten between the read's start and its insert (the
//! `epoch`, under one lock with the forgetting). Changes made by another
//! process move the database's bank generation (migration 0006), which the
//! monitor polls: a move the writer did not make forgets everything.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use super::{StoreError, card_cache::CardCache};
use crate::domain::{
    card::Card,
    counts::{CategoryCount, TagCount},
};

/// Distinct filters whose count is remembered before starting over: bounds
/// memory against callers cycling through endless filter combinations.
const TOTAL_SIZES_CAPACITY: usize = 4096;
/// Searches whose ranked matches are kept before starting over.
const RANKED_SEARCHES_CAPACITY: usize = 64;
/// How many of a search's best matches are kept: the first pages, which is
/// where callers look. Kept ids take at most about
/// `RANKED_SEARCHES_CAPACITY × RANKED_MATCHES_KEPT × 40` bytes (1.3 MiB).
pub(super) const RANKED_MATCHES_KEPT: usize = 500;

/// The best matches of one search, best first, and how many match in all.
#[derive(Debug)]
pub(super) struct RankedMatches {
    /// At most [`RANKED_MATCHES_KEPT`] question ids.
    pub(super) ids: Arc<[String]>,
    /// Matches in all.
    pub(super) total_size: u64,
}

impl RankedMatches {
    /// Whether the matches up to `end` are all here (past the last match
    /// counts as here).
    pub(super) fn covers(&self, end: usize) -> bool {
        end <= self.ids.len() || self.ids.len() as u64 == self.total_size
    }
}

/// The store's caches; shared by every handle, the writer and the monitor.
#[derive(Debug)]
pub(super) struct Caches {
    cards: CardCache,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Moves whenever something is forgotten.
    epoch: u64,
    /// The database's bank generation as last seen by this process: the
    /// writer's own changes, or the monitor's forgetting.
    bank_generation: Option<i64>,
    /// How many questions match each filter (its canonical bytes).
    total_sizes: HashMap<Vec<u8>, u64>,
    /// The category counts of each filter.
    category_counts: HashMap<Vec<u8>, Arc<[CategoryCount]>>,
    /// The tag counts of each filter.
    tag_counts: HashMap<Vec<u8>, Arc<[TagCount]>>,
    /// The best matches of each search.
    ranked_matches: HashMap<Vec<u8>, Arc<RankedMatches>>,
}

impl State {
    /// Forgets every count: any change of a question may change them all.
    fn forget_counts(&mut self) {
        self.epoch += 1;
        self.total_sizes.clear();
        self.category_counts.clear();
        self.tag_counts.clear();
        self.ranked_matches.clear();
    }
}

/// Remembers `value` under `key` in `map`, starting over past `capacity`
/// entries.
fn remember<T>(map: &mut HashMap<Vec<u8>, T>, capacity: usize, key: Vec<u8>, value: T) {
    if map.len() >= capacity {
        map.clear();
    }
    map.insert(key, value);
}

/// Where a read began, so what it read is cached only if still current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Epoch(u64);

impl Caches {
    pub(super) fn new() -> Self {
        Self {
            cards: CardCache::new(),
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves valid caches behind.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current epoch, taken before a read of the database.
    pub(super) fn epoch(&self) -> Epoch {
        Epoch(self.state().epoch)
    }

    /// The count remembered for a filter.
    pub(super) fn total_size(&self, filter_key: &[u8]) -> Option<u64> {
        self.state().total_sizes.get(filter_key).copied()
    }

    /// Remembers a count read since `read_at`, unless something changed
    /// since.
    pub(super) fn remember_total_size(&self, read_at: Epoch, filter_key: Vec<u8>, total: u64) {
        let mut state = self.state();
        if state.epoch == read_at.0 {
            remember(
                &mut state.total_sizes,
                TOTAL_SIZES_CAPACITY,
                filter_key,
                total,
            );
        }
    }

    /// The category counts remembered for a filter.
    pub(super) fn category_counts(&self, filter_key: &[u8]) -> Option<Arc<[CategoryCount]>> {
        self.state().category_counts.get(filter_key).cloned()
    }

    /// Remembers category counts read since `read_at`, unless something
    /// changed since.
    pub(super) fn remember_category_counts(
        &self,
        read_at: Epoch,
        filter_key: Vec<u8>,
        counts: Arc<[CategoryCount]>,
    ) {
        let mut state = self.state();
        if state.epoch == read_at.0 {
            remember(
                &mut state.category_counts,
                TOTAL_SIZES_CAPACITY,
                filter_key,
                counts,
            );
        }
    }

    /// The tag counts remembered for a filter.
    pub(super) fn tag_counts(&self, filter_key: &[u8]) -> Option<Arc<[TagCount]>> {
        self.state().tag_counts.get(filter_key).cloned()
    }

    /// Remembers tag counts read since `read_at`, unless something changed
    /// since.
    pub(super) fn remember_tag_counts(
        &self,
        read_at: Epoch,
        filter_key: Vec<u8>,
        counts: Arc<[TagCount]>,
    ) {
        let mut state = self.state();
        if state.epoch == read_at.0 {
            remember(
                &mut state.tag_counts,
                TOTAL_SIZES_CAPACITY,
                filter_key,
                counts,
            );
        }
    }

    /// The best matches remembered for a search.
    pub(super) fn ranked_matches(&self, search_key: &[u8]) -> Option<Arc<RankedMatches>> {
        self.state().ranked_matches.get(search_key).cloned()
    }

    /// Remembers a search's best matches read since `read_at`, unless
    /// something changed since.
    pub(super) fn remember_ranked_matches(
        &self,
        read_at: Epoch,
        search_key: Vec<u8>,
        ranked: Arc<RankedMatches>,
    ) {
        let mut state = self.state();
        if state.epoch == read_at.0 {
            remember(
                &mut state.ranked_matches,
                RANKED_SEARCHES_CAPACITY,
                search_key,
                ranked,
            );
        }
    }

    /// The card of this question: from memory, or from `read` (then kept if
    /// nothing changed while it read).
    pub(super) fn card_or_read(
        &self,
        question_id: &str,
        read: impl FnOnce() -> Result<Option<Card>, StoreError>,
    ) -> Result<Option<Card>, StoreError> {
        if let Some(card) = self.cards.get(question_id) {
            return Ok(Some(card));
        }
        let read_at = self.epoch();
        let card = read()?;
        if let Some(card) = &card {
            let state = self.state();
            if state.epoch == read_at.0 {
                self.cards.insert(card);
            }
        }
        Ok(card)
    }

    /// Forgets what a change to these questions made stale, once it is
    /// committed; `generation` is the bank generation before and after the
    /// change, read in its transaction. A generation that moved before the
    /// change without this process seeing it was another process's change:
    /// everything is forgotten then.
    pub(super) fn forget_changed(&self, question_ids: &[String], generation: (i64, i64)) {
        let mut state = self.state();
        state.forget_counts();
        if state
            .bank_generation
            .is_some_and(|seen| seen != generation.0)
        {
            self.cards.clear();
        } else {
            for question_id in question_ids {
                self.cards.remove(question_id);
            }
        }
        state.bank_generation = Some(generation.1);
    }

    /// The monitor saw the bank generation at `generation`: if this process
    /// did not make it so, forget everything. Whether it forgot.
    pub(super) fn observe_generation(&self, generation: i64) -> bool {
        let mut state = self.state();
        match state.bank_generation {
            Some(seen) if seen == generation => false,
            // The first look only sets where the process starts.
            None => {
                state.bank_generation = Some(generation);
                false
            }
            Some(_) => {
                state.forget_counts();
                self.cards.clear();
                state.bank_generation = Some(generation);
                true
            }
        }
    }
}

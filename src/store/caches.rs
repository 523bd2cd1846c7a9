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

/// Distinct filters whose counts are remembered before starting over:
/// bounds memory against callers cycling through endless filter
/// combinations.
const FILTERS_REMEMBERED: usize = 4096;
/// Filters whose matching ids (a draw's pool) are kept before starting over.
const DRAW_POOLS_REMEMBERED: usize = 64;
/// Ids all kept pools may hold together: bounds their memory whatever the
/// bank's size (an unfiltered pool holds every question).
const DRAW_POOL_IDS_MAX: usize = 250_000;
/// Searches whose ranked matches are kept before starting over.
const SEARCHES_REMEMBERED: usize = 64;
/// How many of a search's best matches are kept: the first pages, which is
/// where callers look. With [`SEARCHES_REMEMBERED`], this bounds the ids
/// kept (BENCHMARKS.md has their memory).
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

#[derive(Debug)]
struct State {
    /// Moves whenever something is forgotten.
    epoch: u64,
    /// The database's bank generation as last seen by this process: the
    /// writer's own changes, or the monitor's forgetting.
    bank_generation: Option<i64>,
    /// How many questions match each filter (its canonical bytes).
    total_sizes: Remembered<u64>,
    /// The category counts of each filter.
    category_counts: Remembered<Arc<[CategoryCount]>>,
    /// The tag counts of each filter.
    tag_counts: Remembered<Arc<[TagCount]>>,
    /// The best matches of each search (`domain::search::search_key`).
    ranked_matches: Remembered<Arc<RankedMatches>>,
    /// Every matching id of each filter a draw asked for.
    matching_ids: Remembered<Arc<[String]>>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            epoch: 0,
            bank_generation: None,
            total_sizes: Remembered::new(FILTERS_REMEMBERED),
            category_counts: Remembered::new(FILTERS_REMEMBERED),
            tag_counts: Remembered::new(FILTERS_REMEMBERED),
            ranked_matches: Remembered::new(SEARCHES_REMEMBERED),
            matching_ids: Remembered::new(DRAW_POOLS_REMEMBERED),
        }
    }
}

impl State {
    /// Forgets every count: any change of a question may change them all.
    fn forget_counts(&mut self) {
        self.epoch += 1;
        self.total_sizes.values.clear();
        self.category_counts.values.clear();
        self.tag_counts.values.clear();
        self.ranked_matches.values.clear();
        self.matching_ids.values.clear();
    }
}

/// Values read from the database, by the bytes of what they were read for;
/// at most `capacity`, then it starts over.
#[derive(Debug)]
struct Remembered<T> {
    values: HashMap<Vec<u8>, T>,
    capacity: usize,
}

impl<T: Clone> Remembered<T> {
    fn new(capacity: usize) -> Self {
        Self {
            values: HashMap::new(),
            capacity,
        }
    }

    fn get(&self, key: &[u8]) -> Option<T> {
        self.values.get(key).cloned()
    }

    fn insert(&mut self, key: Vec<u8>, value: T) {
        if self.values.len() >= self.capacity {
            self.values.clear();
        }
        self.values.insert(key, value);
    }
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

    /// Keeps `value`, read since `read_at`, in the cache `pick` chooses,
    /// unless something was forgotten since the read began.
    fn remember<T: Clone>(
        &self,
        read_at: Epoch,
        pick: impl FnOnce(&mut State) -> &mut Remembered<T>,
        key: Vec<u8>,
        value: T,
    ) {
        let mut state = self.state();
        if state.epoch == read_at.0 {
            pick(&mut state).insert(key, value);
        }
    }

    /// The count remembered for a filter.
    pub(super) fn total_size(&self, filter_key: &[u8]) -> Option<u64> {
        self.state().total_sizes.get(filter_key)
    }

    /// Remembers a count read since `read_at`.
    pub(super) fn remember_total_size(&self, read_at: Epoch, filter_key: Vec<u8>, total: u64) {
        self.remember(read_at, |state| &mut state.total_sizes, filter_key, total);
    }

    /// The category counts remembered for a filter.
    pub(super) fn category_counts(&self, filter_key: &[u8]) -> Option<Arc<[CategoryCount]>> {
        self.state().category_counts.get(filter_key)
    }

    /// Remembers category counts read since `read_at`.
    pub(super) fn remember_category_counts(
        &self,
        read_at: Epoch,
        filter_key: Vec<u8>,
        counts: Arc<[CategoryCount]>,
    ) {
        self.remember(
            read_at,
            |state| &mut state.category_counts,
            filter_key,
            counts,
        );
    }

    /// The tag counts remembered for a filter.
    pub(super) fn tag_counts(&self, filter_key: &[u8]) -> Option<Arc<[TagCount]>> {
        self.state().tag_counts.get(filter_key)
    }

    /// Remembers tag counts read since `read_at`.
    pub(super) fn remember_tag_counts(
        &self,
        read_at: Epoch,
        filter_key: Vec<u8>,
        counts: Arc<[TagCount]>,
    ) {
        self.remember(read_at, |state| &mut state.tag_counts, filter_key, counts);
    }

    /// The best matches remembered for a search.
    pub(super) fn ranked_matches(&self, search_key: &[u8]) -> Option<Arc<RankedMatches>> {
        self.state().ranked_matches.get(search_key)
    }

    /// Remembers a search's best matches read since `read_at`.
    pub(super) fn remember_ranked_matches(
        &self,
        read_at: Epoch,
        search_key: Vec<u8>,
        ranked: Arc<RankedMatches>,
    ) {
        self.remember(
            read_at,
            |state| &mut state.ranked_matches,
            search_key,
            ranked,
        );
    }

    /// The matching ids remembered for a filter.
    pub(super) fn matching_ids(&self, filter_key: &[u8]) -> Option<Arc<[String]>> {
        self.state().matching_ids.get(filter_key)
    }

    /// Remembers a filter's matching ids read since `read_at`, starting
    /// over when the pools would hold more than [`DRAW_POOL_IDS_MAX`] ids
    /// (a pool larger than that alone is not kept).
    pub(super) fn remember_matching_ids(
        &self,
        read_at: Epoch,
        filter_key: Vec<u8>,
        ids: Arc<[String]>,
    ) {
        if ids.len() > DRAW_POOL_IDS_MAX {
            return;
        }
        self.remember(
            read_at,
            |state| {
                let held: usize = state
                    .matching_ids
                    .values
                    .values()
                    .map(|ids| ids.len())
                    .sum();
                if held + ids.len() > DRAW_POOL_IDS_MAX {
                    state.matching_ids.values.clear();
                }
                &mut state.matching_ids
            },
            filter_key,
            ids.clone(),
        );
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

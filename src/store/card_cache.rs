//! Cards kept in memory, bounded by their size.
//!
//! Seeking each card by its question's id in SQLite is the largest part of a
//! page of cards' CPU (the index seek and its text comparisons;
//! BENCHMARKS.md). With the cards of popular pages in memory, a page walks
//! only its listing's index.
//!
//! What keeps a cached card from going stale is in `caches`: this is only
//! the bounded map.

use std::sync::Arc;

use quick_cache::{Weighter, sync::Cache};

use crate::domain::card::{Card, Rendering};

/// About the memory the cached cards take, ids and bookkeeping included:
/// about a third of a 100,000-question bank's cards, well inside the
/// server's 64 MiB budget (BENCHMARKS.md).
const CAPACITY_BYTES: u64 = 16 * 1024 * 1024;
/// A typical card and its id, to size the cache's tables up front.
const TYPICAL_ENTRY_BYTES: u64 = 512;
/// What an entry costs beyond its id and card: the key's `String`, the
/// `Bytes` handle and shared header, the cache's slot and the ghost entries
/// it keeps of evicted keys, and allocator rounding. Measured: with 96 here,
/// 16 MiB of weight raised the server's peak RSS by 19.5 MiB, about 190
/// bytes more per entry than its id and card.
const ENTRY_OVERHEAD_BYTES: u64 = 192;
/// What each rendering of a card adds beyond its bytes: its slot in the
/// shared slice, its language's allocation and the `Bytes` header.
const RENDERING_OVERHEAD_BYTES: u64 = 64;

/// The cards most recently and frequently served, by question id.
#[derive(Debug)]
pub(super) struct CardCache {
    cards: Cache<String, Arc<[Rendering]>, CardWeight>,
}

impl CardCache {
    pub(super) fn new() -> Self {
        Self::with_capacity(CAPACITY_BYTES)
    }

    fn with_capacity(capacity_bytes: u64) -> Self {
        let estimated_entries = usize::try_from(capacity_bytes / TYPICAL_ENTRY_BYTES).unwrap_or(0);
        Self {
            cards: Cache::with_weighter(estimated_entries, capacity_bytes, CardWeight),
        }
    }

    /// The card of this question, if in memory (a reference count, no copy).
    pub(super) fn get(&self, question_id: &str) -> Option<Card> {
        self.cards.get(question_id).map(|renderings| Card {
            question_id: question_id.to_owned(),
            renderings,
        })
    }

    /// Keeps `card`, evicting colder ones past the capacity.
    pub(super) fn insert(&self, card: &Card) {
        self.cards
            .insert(card.question_id.clone(), card.renderings.clone());
    }

    /// Forgets the card of this question.
    pub(super) fn remove(&self, question_id: &str) {
        self.cards.remove(question_id);
    }

    /// Forgets every card.
    pub(super) fn clear(&self) {
        self.cards.clear();
    }
}

/// An entry's weight is the memory it holds.
#[derive(Debug, Clone, Copy)]
struct CardWeight;

impl Weighter<String, Arc<[Rendering]>> for CardWeight {
    fn weight(&self, question_id: &String, renderings: &Arc<[Rendering]>) -> u64 {
        let renderings: u64 = renderings
            .iter()
            .map(|rendering| {
                (rendering.language.len() + rendering.rendered.len()) as u64
                    + RENDERING_OVERHEAD_BYTES
            })
            .sum();
        question_id.len() as u64 + renderings + ENTRY_OVERHEAD_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(question_id: &str, size: usize) -> Card {
        Card {
            question_id: question_id.to_owned(),
            renderings: Arc::new([Rendering {
                language: "en".into(),
                rendered: bytes::Bytes::from(vec![b'x'; size]),
            }]),
        }
    }

    #[test]
    fn a_card_kept_is_then_served_from_memory_until_removed() {
        let cache = CardCache::new();
        let stored = card("q-1", 300);

        cache.insert(&stored);
        let kept = cache.get("q-1");
        cache.remove("q-1");

        assert_eq!(kept, Some(stored));
        assert_eq!(cache.get("q-1"), None);
        assert_eq!(cache.get("q-2"), None);
    }

    #[test]
    fn the_cache_keeps_no_more_than_its_capacity_in_bytes() {
        let capacity = 64 * 1024;
        let cache = CardCache::with_capacity(capacity);

        for index in 0..1_000 {
            cache.insert(&card(&format!("q-{index:04}"), 400));
        }

        let kept = (0..1_000)
            .filter(|index| cache.get(&format!("q-{index:04}")).is_some())
            .count() as u64;
        let entry_bytes = 6 + 2 + 400 + RENDERING_OVERHEAD_BYTES + ENTRY_OVERHEAD_BYTES;
        assert!(kept > 0, "nothing kept");
        assert!(
            kept * entry_bytes <= capacity,
            "{kept} cards of {entry_bytes} bytes kept in {capacity}"
        );
    }
}

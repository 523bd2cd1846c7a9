//! Cards: each question rendered once, as a listing shows it to callers
//! without answer rights, and kept beside the question.
//!
//! A page of a listing then carries each question's stored encoding instead
//! of decoding its columns and encoding it again. The transport
//! layer decides what a card contains and renders it; the domain and storage
//! only carry it, never look inside.

use bytes::Bytes;

use super::question::Question;

/// One question's card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The question it shows.
    pub question_id: String,
    /// The rendering, opaque outside the layer that made it. Shared: a cached
    /// card goes into each response by reference until the response is
    /// written out.
    pub rendered: Bytes,
}

/// How cards are rendered, and which rendering that is.
#[derive(Debug, Clone, Copy)]
pub struct CardFormat {
    /// Identifies the rendering. Cards stored under another fingerprint are
    /// rendered again when the database is opened writable.
    pub fingerprint: [u8; 32],
    /// Renders one question's card.
    pub render: fn(&Question) -> Vec<u8>,
    /// Whether stored bytes are an intact card of the question with this
    /// id. Checked once, when a card is read from storage into memory, so a
    /// damaged file never sends garbage with status OK.
    pub is_intact: fn(rendered: &[u8], question_id: &str) -> bool,
}

impl PartialEq for CardFormat {
    /// Formats are told apart by their fingerprints alone: a fingerprint
    /// names one rendering.
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl Eq for CardFormat {}

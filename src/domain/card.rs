//! Cards: each question rendered once per language, as a listing shows it to
//! callers without answer rights, and kept beside the question.
//!
//! A page of a listing then carries each question's stored encoding instead
//! of decoding its columns and encoding it again. The transport
//! layer decides what a card contains and renders it; the domain and storage
//! only carry it, never look inside.

use std::sync::Arc;

use bytes::Bytes;

use super::{language::PreferredLanguages, question::Question};

/// One question's cards: one rendering per language it is available in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The question it shows.
    pub question_id: String,
    /// In the order of [`Question::languages`]: the original first. Never
    /// empty. Shared: a cached card goes into each response by reference
    /// until the response is written out.
    pub renderings: Arc<[Rendering]>,
}

/// A question rendered in one of its languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    /// The language it is in.
    pub language: Box<str>,
    /// The rendering, opaque outside the layer that made it.
    pub rendered: Bytes,
}

impl Card {
    /// The rendering in the language a caller who prefers `preferred` is
    /// served.
    pub fn rendered_for(&self, preferred: &PreferredLanguages) -> Bytes {
        let position = preferred.pick(self.renderings.iter().map(|rendering| &*rendering.language));
        self.renderings
            .get(position)
            .or_else(|| self.renderings.first())
            .map(|rendering| rendering.rendered.clone())
            .unwrap_or_default()
    }

    /// Every rendering of `question` in `format`.
    pub fn render(question: &Question, format: &CardFormat) -> Self {
        Self {
            question_id: question.id.clone(),
            renderings: question
                .languages()
                .enumerate()
                .map(|(position, language)| Rendering {
                    language: language.into(),
                    rendered: (format.render)(question, position).into(),
                })
                .collect(),
        }
    }
}

/// How cards are rendered, and which rendering that is.
#[derive(Debug, Clone, Copy)]
pub struct CardFormat {
    /// Identifies the rendering. Cards stored under another fingerprint are
    /// rendered again when the database is opened writable.
    pub fingerprint: [u8; 32],
    /// Renders one question's card in the language at `position` of
    /// [`Question::languages`].
    pub render: fn(&Question, position: usize) -> Vec<u8>,
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

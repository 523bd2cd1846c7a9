//! Size limits on everything a caller sends or an author writes.
//!
//! They are checked before any work is done, so an oversized request costs the
//! server almost nothing. The README lists them; keep the two in step.

/// `id` of a question, and `question_id` in requests.
pub const QUESTION_ID_MAX_CHARS: usize = 64;
/// A category name.
pub const CATEGORY_MAX_CHARS: usize = 64;
/// One tag.
pub const TAG_MAX_CHARS: usize = 64;
/// Tags in a ListQuestions filter.
pub const FILTER_TAGS_MAX: usize = 16;
/// A BCP-47 language tag (35 is the longest tag in practical use).
pub const LANGUAGE_MAX_CHARS: usize = 35;
/// Languages in a request's `preferred_languages`.
pub const PREFERRED_LANGUAGES_MAX: usize = 16;
/// Translations of one question.
pub const TRANSLATIONS_MAX: usize = 32;
/// A ListQuestions `query`.
pub const QUERY_MAX_CHARS: usize = 200;
/// A `page_token` as the server issues them is far shorter; this bounds garbage.
pub const PAGE_TOKEN_MAX_CHARS: usize = 256;
/// A question's stem.
pub const STEM_MAX_CHARS: usize = 4_000;
/// Choices of one question.
pub const CHOICES_MAX: usize = 26;
/// One choice key, e.g. `A` or `false`.
pub const CHOICE_KEY_MAX_CHARS: usize = 16;
/// One choice's text.
pub const CHOICE_TEXT_MAX_CHARS: usize = 1_000;
/// An explanation.
pub const EXPLANATION_MAX_CHARS: usize = 10_000;
/// `respondent_id` of a submission.
pub const RESPONDENT_ID_MAX_CHARS: usize = 128;
/// A draw's `seed`.
pub const SEED_MAX_CHARS: usize = 128;
/// Ids in one BatchGetQuestions call.
pub const BATCH_IDS_MAX: usize = 100;
/// `request_id` of a submission: room for a UUID or a ULID with a prefix.
pub const REQUEST_ID_MAX_CHARS: usize = 128;
/// A report's `comment`, and the `resolution_note` of its resolution.
pub const REPORT_TEXT_MAX_CHARS: usize = 2_000;
/// A report `id` in requests: a UUID's 36 characters, with room to spare.
pub const REPORT_ID_MAX_CHARS: usize = 64;

//! Languages: which of a question's languages a caller is served.
//!
//! A caller names the languages it prefers, most preferred first; the server
//! serves the first one a question has, by BCP-47 lookup (RFC 4647, section
//! 3.4): a range that matches no language is truncated one subtag at a time
//! (`zh-Hans-CN`, then `zh-Hans`, then `zh`) before the next range is tried.
//! Tags compare ignoring ASCII case, as BCP-47 says they do. A question none
//! of whose languages match is served in its original language.

use super::{
    limits,
    validation::{FieldError, check_identifier},
};

/// The languages a caller prefers, most preferred first; validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreferredLanguages(Vec<String>);

impl PreferredLanguages {
    /// Validates the request field `field`: at most
    /// [`limits::PREFERRED_LANGUAGES_MAX`] tags, each a non-empty tag without
    /// whitespace.
    pub fn new(field: &str, tags: Vec<String>) -> Result<Self, FieldError> {
        if tags.len() > limits::PREFERRED_LANGUAGES_MAX {
            return Err(FieldError::new(
                field,
                format!(
                    "at most {} languages are allowed",
                    limits::PREFERRED_LANGUAGES_MAX
                ),
            ));
        }
        for (index, tag) in tags.iter().enumerate() {
            check_identifier(
                &format!("{field}[{index}]"),
                tag,
                limits::LANGUAGE_MAX_CHARS,
            )?;
        }
        Ok(Self(tags))
    }

    /// No preference: every question is served in its original language.
    pub fn none() -> Self {
        Self::default()
    }

    /// The position in `available` (a question's languages, original first)
    /// of the language to serve; 0, the original, when none matches.
    pub fn pick<'a>(&self, available: impl Iterator<Item = &'a str> + Clone) -> usize {
        for range in &self.0 {
            let mut range = range.as_str();
            loop {
                if let Some(position) = available
                    .clone()
                    .position(|language| language.eq_ignore_ascii_case(range))
                {
                    return position;
                }
                match truncated(range) {
                    Some(shorter) => range = shorter,
                    None => break,
                }
            }
        }
        0
    }
}

/// `range` without its last subtag, and without a single-character subtag
/// (an extension or private-use marker such as `x`) that would then end it;
/// `None` once only the primary subtag is left.
fn truncated(range: &str) -> Option<&str> {
    let (mut shorter, _) = range.rsplit_once('-')?;
    if let Some((before, last)) = shorter.rsplit_once('-')
        && last.len() == 1
    {
        shorter = before;
    }
    Some(shorter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preferring(tags: &[&str]) -> PreferredLanguages {
        PreferredLanguages::new(
            "preferred_languages",
            tags.iter().map(|tag| (*tag).to_owned()).collect(),
        )
        .expect("valid tags")
    }

    const AVAILABLE: [&str; 4] = ["en", "zh-Hans", "zh", "fr-CA"];

    fn picked(tags: &[&str]) -> &'static str {
        AVAILABLE[preferring(tags).pick(AVAILABLE.iter().copied())]
    }

    #[test]
    fn a_range_falls_back_one_subtag_at_a_time() {
        assert_eq!(picked(&["zh-Hans-CN"]), "zh-Hans");
        assert_eq!(picked(&["zh-Hant-TW"]), "zh");
        assert_eq!(picked(&["fr-CA-x-quebec"]), "fr-CA");
    }

    #[test]
    fn case_is_ignored() {
        assert_eq!(picked(&["ZH-hans"]), "zh-Hans");
    }

    #[test]
    fn each_range_is_exhausted_before_the_next_is_tried() {
        assert_eq!(picked(&["de-AT", "zh-Hans-CN", "en"]), "zh-Hans");
    }

    #[test]
    fn a_range_never_matches_a_longer_tag() {
        // Lookup, not filtering: `fr` is not `fr-CA`.
        assert_eq!(picked(&["fr", "zh"]), "zh");
    }

    #[test]
    fn without_a_match_the_original_is_served() {
        assert_eq!(picked(&["de", "ja-JP"]), "en");
        assert_eq!(picked(&[]), "en");
    }

    #[test]
    fn malformed_or_too_many_tags_are_refused() {
        let field = |tags: Vec<String>| {
            PreferredLanguages::new("preferred_languages", tags).map_err(|error| error.field)
        };
        assert_eq!(
            field(vec!["en".into(), String::new()]),
            Err("preferred_languages[1]".into())
        );
        assert_eq!(
            field(vec!["zh CN".into()]),
            Err("preferred_languages[0]".into())
        );
        assert_eq!(
            field(vec!["en".into(); limits::PREFERRED_LANGUAGES_MAX + 1]),
            Err("preferred_languages".into())
        );
    }
}

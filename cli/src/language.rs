//! The languages a person prefers to read questions in: from `--lang`, else from the
//! environment the way people already set it for other programs (`QBANK_LANG`, else the POSIX
//! locale), as BCP-47 tags for the server to pick from.

/// BCP-47 language tags, most preferred first. Empty means no preference: the server serves
/// each question in its original language.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PreferredLanguages(Vec<String>);

/// The locale variables that name languages, in the order that decides: the first one set to
/// something other than blanks is the only one read. `LANGUAGE` is GNU's list of fallbacks,
/// so it comes first, as it does for gettext.
const LOCALE_VARIABLES: [&str; 3] = ["LANGUAGE", "LC_ALL", "LANG"];

impl PreferredLanguages {
    /// No preference, for the commands that must see a question as it was written: authoring
    /// (`edit`, `update`) and `export` work on the original language, never on a translation.
    pub(crate) fn none() -> Self {
        Self::default()
    }

    /// Parses `--lang` (and `QBANK_LANG`): tags separated by commas, e.g. `zh-Hans-CN,en`.
    /// Locale names are taken too (`en_US.UTF-8` is `en-US`), so a value copied from `LANG`
    /// works; an empty value means no preference, to override the locale.
    pub(crate) fn parse(list: &str) -> Result<Self, String> {
        let mut tags = Vec::new();
        for entry in list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            // `C` and `POSIX` convert to nothing: no preference, not an error.
            let Some(tag) = language_of_locale(entry) else {
                continue;
            };
            if !is_language_tag(&tag) {
                return Err(format!(
                    "{entry:?} is not a language tag; use e.g. en or zh-Hans-CN, \
                     several separated by commas"
                ));
            }
            tags.push(tag);
        }
        Ok(Self(tags))
    }

    /// The preference the environment states, for when `--lang` is not given: `QBANK_LANG`
    /// (as `--lang`), else the first of `LANGUAGE` (colon-separated), `LC_ALL` and `LANG` that
    /// is set. `variable` looks a variable up, so tests need not change the process's own.
    ///
    /// Only `QBANK_LANG` can be wrong, since the user set it for qbank; a locale entry that
    /// names no language (`C`, or anything that is not a tag) is skipped, since the locale is
    /// set for every program and qbank must not fail over one it cannot use.
    pub(crate) fn from_environment(
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let set = |name: &str| variable(name).filter(|value| !value.trim().is_empty());
        if let Some(list) = set("QBANK_LANG") {
            return Self::parse(&list).map_err(|reason| format!("QBANK_LANG: {reason}"));
        }
        let Some(locales) = LOCALE_VARIABLES.iter().find_map(|name| set(name)) else {
            return Ok(Self::none());
        };
        // Only LANGUAGE holds a list, but a colon never appears in a single locale name, so
        // splitting each of them the same way is harmless.
        let tags = locales
            .split(':')
            .filter_map(language_of_locale)
            .filter(|tag| is_language_tag(tag))
            .collect();
        Ok(Self(tags))
    }

    /// The tags, most preferred first, as the requests' `preferred_languages` take them.
    pub(crate) fn tags(&self) -> &[String] {
        &self.0
    }
}

/// The BCP-47 tag of a POSIX locale name: `en_US.UTF-8` is `en-US`, `zh_CN.UTF-8@x` is
/// `zh-CN`. `None` for `C` and `POSIX` (with any codeset, as in `C.UTF-8`), which name no
/// language, and for an empty name.
fn language_of_locale(locale: &str) -> Option<String> {
    // `language_territory.codeset@modifier`: the codeset and the modifier say how text is
    // encoded or spelt, not which language it is in.
    let name = locale.trim();
    let name = name.split_once('@').map_or(name, |(name, _modifier)| name);
    let name = name.split_once('.').map_or(name, |(name, _codeset)| name);
    match name {
        "" | "C" | "POSIX" => None,
        _ => Some(name.replace('_', "-")),
    }
}

/// Whether `tag` has the shape of a BCP-47 tag: subtags of one to eight ASCII letters or
/// digits, separated by hyphens. The server checks the rest; this catches typos such as
/// `en US` as a usage error before any call is made.
fn is_language_tag(tag: &str) -> bool {
    tag.split('-').all(|subtag| {
        (1..=8).contains(&subtag.len()) && subtag.bytes().all(|byte| byte.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment holding only `variables`.
    fn environment<'a>(variables: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            variables
                .iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    fn preferred(variables: &[(&str, &str)]) -> Vec<String> {
        PreferredLanguages::from_environment(environment(variables))
            .expect("a usable environment")
            .0
    }

    #[test]
    fn a_locale_name_loses_its_codeset_and_modifier_and_takes_hyphens() {
        assert_eq!(language_of_locale("en_US.UTF-8").as_deref(), Some("en-US"));
        assert_eq!(
            language_of_locale("zh_CN.UTF-8@x").as_deref(),
            Some("zh-CN")
        );
        assert_eq!(language_of_locale("de_DE@euro").as_deref(), Some("de-DE"));
        assert_eq!(language_of_locale("fr").as_deref(), Some("fr"));
    }

    #[test]
    fn the_c_and_posix_locales_name_no_language() {
        for locale in ["C", "POSIX", "C.UTF-8", "", "  "] {
            assert_eq!(language_of_locale(locale), None, "{locale:?}");
        }
    }

    #[test]
    fn lang_gives_the_preference_when_nothing_else_is_set() {
        assert_eq!(preferred(&[("LANG", "en_US.UTF-8")]), ["en-US"]);
    }

    #[test]
    fn the_c_locale_means_no_preference() {
        assert!(preferred(&[("LANG", "C")]).is_empty());
        assert!(preferred(&[("LC_ALL", "POSIX"), ("LANG", "en_US.UTF-8")]).is_empty());
    }

    #[test]
    fn language_is_a_list_of_locales_each_converted() {
        assert_eq!(
            preferred(&[("LANGUAGE", "fr_CA:fr:en"), ("LANG", "de_DE.UTF-8")]),
            ["fr-CA", "fr", "en"]
        );
    }

    #[test]
    fn lc_all_comes_before_lang() {
        assert_eq!(
            preferred(&[("LC_ALL", "zh_CN.UTF-8@x"), ("LANG", "en_US.UTF-8")]),
            ["zh-CN"]
        );
    }

    #[test]
    fn qbank_lang_wins_over_the_locale() {
        assert_eq!(
            preferred(&[
                ("QBANK_LANG", "zh-Hans-CN,en"),
                ("LANGUAGE", "fr"),
                ("LC_ALL", "de_DE.UTF-8"),
                ("LANG", "en_US.UTF-8"),
            ]),
            ["zh-Hans-CN", "en"]
        );
    }

    #[test]
    fn empty_variables_count_as_unset() {
        assert_eq!(
            preferred(&[
                ("QBANK_LANG", ""),
                ("LANGUAGE", " "),
                ("LC_ALL", ""),
                ("LANG", "en_US.UTF-8"),
            ]),
            ["en-US"]
        );
        assert!(preferred(&[("LANG", "")]).is_empty());
        assert!(preferred(&[]).is_empty());
    }

    #[test]
    fn locale_entries_that_name_no_language_are_skipped() {
        assert_eq!(
            preferred(&[("LANGUAGE", "C:fr::not a tag:en")]),
            ["fr", "en"]
        );
    }

    #[test]
    fn a_malformed_qbank_lang_is_an_error_naming_the_variable() {
        let error = PreferredLanguages::from_environment(environment(&[("QBANK_LANG", "en US")]))
            .expect_err("a space inside a tag");
        assert!(error.starts_with("QBANK_LANG: "), "{error}");
    }

    #[test]
    fn the_flag_takes_comma_separated_tags_and_locale_names() {
        assert_eq!(
            PreferredLanguages::parse("zh-Hans-CN, en").map(|languages| languages.0),
            Ok(vec!["zh-Hans-CN".to_owned(), "en".to_owned()])
        );
        assert_eq!(
            PreferredLanguages::parse("en_US.UTF-8").map(|languages| languages.0),
            Ok(vec!["en-US".to_owned()])
        );
        assert_eq!(
            PreferredLanguages::parse(""),
            Ok(PreferredLanguages::none())
        );
    }

    #[test]
    fn the_flag_refuses_what_cannot_be_a_language_tag() {
        for list in ["en US", "en,fr-", "toolonglanguage", "en;fr", "中文"] {
            assert!(
                PreferredLanguages::parse(list).is_err(),
                "{list:?} was accepted"
            );
        }
    }
}

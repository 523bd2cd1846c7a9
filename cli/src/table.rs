//! Plain-text tables whose columns line up by display width, so Chinese text (two columns per
//! character) aligns with ASCII, and whose wordy columns are cut to fit the terminal.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns are separated by this many spaces.
const GAP: usize = 2;

/// Marks text that was cut short; it takes one column.
const ELLIPSIS: char = '…';
const ELLIPSIS_WIDTH: usize = 1;

/// A table of text cells with a header row.
#[derive(Debug)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// For each column, how narrow it may be cut to fit; `None` for columns that are never
    /// cut (ids must stay whole to be copied).
    min_widths: Vec<Option<usize>>,
    /// For each column, whether its cells end at its right edge, as numbers line up.
    right_aligned: Vec<bool>,
}

impl Table {
    /// Starts a table with these column names; no column is cut until [`Table::cuttable`].
    pub(crate) fn new<'a>(header: impl IntoIterator<Item = &'a str>) -> Self {
        let header: Vec<String> = header.into_iter().map(str::to_owned).collect();
        Self {
            min_widths: vec![None; header.len()],
            right_aligned: vec![false; header.len()],
            header,
            rows: Vec::new(),
        }
    }

    /// Lets column `index` be cut down to `min_width` to fit the terminal. The rightmost
    /// cuttable column gives way first; a line that would need more wraps instead, which
    /// reads better than cells cut to a couple of characters.
    pub(crate) fn cuttable(mut self, index: usize, min_width: usize) -> Self {
        self.min_widths[index] = Some(min_width);
        self
    }

    /// Lines column `index` up on the right, so that the digits of counts line up.
    pub(crate) fn right_aligned(mut self, index: usize) -> Self {
        self.right_aligned[index] = true;
        self
    }

    /// Adds a row; cells are flattened to one line each.
    pub(crate) fn push_row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len(), "one cell per column");
        self.rows
            .push(cells.iter().map(|cell| one_line(cell)).collect());
    }

    /// Writes the table. With `max_width`, cuttable columns are cut so that lines fit in
    /// that many terminal columns; without it (output is not a terminal) nothing is cut.
    pub(crate) fn write_to(&self, out: &mut dyn Write, max_width: Option<usize>) -> io::Result<()> {
        let widths = match max_width {
            Some(max_width) => self.fitted_widths(max_width),
            None => self.natural_widths(),
        };
        let last = widths.len().saturating_sub(1);
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (index, cell) in row.iter().enumerate() {
                let mut cell = truncate_to_width(cell, widths[index]);
                if self.right_aligned[index] {
                    let padding = widths[index].saturating_sub(display_width(&cell));
                    cell = Cow::Owned(format!("{}{cell}", " ".repeat(padding)));
                }
                if index == last {
                    // The last column is not padded: trailing spaces would only make lines
                    // wrap early on a terminal exactly as wide as the table.
                    line.push_str(&cell);
                } else {
                    line.push_str(&pad_to_width(&cell, widths[index] + GAP));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }

    /// The display width of the widest line when nothing is cut.
    pub(crate) fn natural_width(&self) -> usize {
        line_width(&self.natural_widths())
    }

    /// The display width of the widest cell of each column, header included.
    fn natural_widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.header.iter().map(|name| name.width()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.width());
            }
        }
        widths
    }

    /// Column widths that fit in `max_width`, as far as the cuttable columns allow.
    fn fitted_widths(&self, max_width: usize) -> Vec<usize> {
        let mut widths = self.natural_widths();
        let mut excess = line_width(&widths).saturating_sub(max_width);
        for (width, min_width) in widths.iter_mut().zip(&self.min_widths).rev() {
            let Some(min_width) = *min_width else {
                continue;
            };
            let cut = excess.min(width.saturating_sub(min_width));
            *width -= cut;
            excess -= cut;
        }
        widths
    }
}

/// The width of a line whose columns are `widths` wide, with the gaps between them.
fn line_width(widths: &[usize]) -> usize {
    widths.iter().sum::<usize>() + GAP * widths.len().saturating_sub(1)
}

/// The width to fit tables in: `COLUMNS` when set, else the terminal's. Output that goes to a
/// pipe or file is not cut, so `grep` sees whole stems.
pub(crate) fn output_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.parse().ok())
    {
        return Some(columns);
    }
    let stdout = io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(stdout)
        .map(|(terminal_size::Width(width), _)| usize::from(width))
}

/// Joins the lines of multi-line text with spaces, so one cell stays on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The number of terminal columns `text` takes: two for each CJK character, one for ASCII.
pub(crate) fn display_width(text: &str) -> usize {
    text.width()
}

/// `text` followed by spaces up to `width` display columns (unchanged if already wider).
pub(crate) fn pad_to_width(text: &str, width: usize) -> String {
    let padding = width.saturating_sub(display_width(text));
    format!("{text}{}", " ".repeat(padding))
}

/// `text` cut to at most `width` display columns, ending in `…` when anything was cut.
///
/// Cuts only between characters, never inside one, and never leaves half of a wide character
/// showing: a line that would end in the middle of a CJK character ends one column short.
pub(crate) fn truncate_to_width(text: &str, width: usize) -> Cow<'_, str> {
    if display_width(text) <= width {
        return Cow::Borrowed(text);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let budget = width - ELLIPSIS_WIDTH;
    let mut used = 0;
    let mut end = 0;
    for (index, character) in text.char_indices() {
        let character_width = character.width().unwrap_or(0);
        if used + character_width > budget {
            break;
        }
        used += character_width;
        end = index + character.len_utf8();
    }
    Cow::Owned(format!("{}{ELLIPSIS}", &text[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(table: &Table, max_width: Option<usize>) -> String {
        let mut out = Vec::new();
        table
            .write_to(&mut out, max_width)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("the table is UTF-8")
    }

    #[test]
    fn chinese_characters_are_two_columns_wide() {
        assert_eq!(display_width("提示校准"), 8);
        assert_eq!(display_width("RLHF"), 4);
        assert_eq!(display_width("在RLHF中"), 8);
    }

    #[test]
    fn text_that_fits_is_returned_unchanged() {
        assert_eq!(truncate_to_width("哪种技术", 8), "哪种技术");
        assert!(matches!(truncate_to_width("abc", 3), Cow::Borrowed(_)));
    }

    #[test]
    fn truncation_ends_with_an_ellipsis_within_the_width() {
        assert_eq!(truncate_to_width("abcdefgh", 5), "abcd…");
        assert_eq!(display_width(&truncate_to_width("abcdefgh", 5)), 5);
    }

    #[test]
    fn truncation_never_splits_a_wide_character() {
        // Four columns leave three for text: one Chinese character (two columns) fits, the
        // second would need a fourth, so the result is one column short rather than broken.
        let cut = truncate_to_width("哪种技术有助于", 4);
        assert_eq!(cut, "哪…");
        assert_eq!(display_width(&cut), 3);
    }

    #[test]
    fn truncation_keeps_every_width_limit_for_mixed_text() {
        let stem = "在RLHF中,如何描述“reward hacking”?";
        for width in 0..=display_width(stem) + 1 {
            let cut = truncate_to_width(stem, width);
            assert!(display_width(&cut) <= width, "width {width} gave {cut:?}");
            assert!(stem.starts_with(cut.trim_end_matches(ELLIPSIS)));
        }
    }

    #[test]
    fn padding_counts_display_columns_not_bytes() {
        assert_eq!(pad_to_width("微调", 6), "微调  ");
        assert_eq!(pad_to_width("ab", 6), "ab    ");
        assert_eq!(pad_to_width("toolong", 3), "toolong");
    }

    #[test]
    fn columns_after_chinese_text_line_up() {
        let mut table = Table::new(["TAGS", "STEM"]);
        table.push_row(vec!["提示".to_owned(), "一".to_owned()]);
        table.push_row(vec!["rag".to_owned(), "二".to_owned()]);
        let rendered = render(&table, None);
        // The display column where the second cell starts, on every line.
        let stem_columns: Vec<usize> = ["STEM", "一", "二"]
            .iter()
            .zip(rendered.lines())
            .map(|(stem, line)| {
                let start = line.find(stem).expect("the stem is on its line");
                display_width(&line[..start])
            })
            .collect();
        assert_eq!(stem_columns, vec![6, 6, 6], "table was:\n{rendered}");
    }

    #[test]
    fn the_last_column_is_cut_to_the_maximum_width() {
        let mut table = Table::new(["ID", "STEM"]).cuttable(1, 12);
        table.push_row(vec![
            "llm-001".to_owned(),
            "哪种技术有助于减轻基于提示的学习中的偏见?".to_owned(),
        ]);
        let rendered = render(&table, Some(30));
        for line in rendered.lines() {
            assert!(
                display_width(line) <= 30,
                "{line:?} is wider than 30 columns"
            );
        }
        assert!(rendered.contains('…'));
    }

    #[test]
    fn the_rightmost_cuttable_column_gives_way_first_down_to_its_minimum() {
        let mut table = Table::new(["ID", "TAGS", "STEM"])
            .cuttable(1, 6)
            .cuttable(2, 10);
        table.push_row(vec![
            "llm-001".to_owned(),
            "prompting,bias".to_owned(),
            "哪种技术有助于减轻基于提示的学习中的偏见?".to_owned(),
        ]);
        // 7 + 2 + 14 + 2 = 25 columns before the stem; at 40 the stem gets 15.
        assert_eq!(table.fitted_widths(40), [7, 14, 15]);
        // At 30 the stem is at its minimum of 10, so the tags give up the rest.
        assert_eq!(table.fitted_widths(30), [7, 9, 10]);
        // Narrower still: both at their minimum, the id whole; the line will wrap.
        assert_eq!(table.fitted_widths(10), [7, 6, 10]);
    }

    #[test]
    fn columns_that_are_not_cuttable_stay_whole() {
        let mut table = Table::new(["ID", "STEM"]);
        table.push_row(vec!["llm-001".to_owned(), "a long stem".to_owned()]);
        assert_eq!(
            render(&table, Some(5)),
            "ID       STEM\nllm-001  a long stem\n"
        );
    }

    #[test]
    fn right_aligned_cells_end_at_the_column_edge() {
        let mut table = Table::new(["TAG", "QUESTIONS", "NOTE"]).right_aligned(1);
        table.push_row(vec!["rag".to_owned(), "3".to_owned(), "a".to_owned()]);
        table.push_row(vec!["rlhf".to_owned(), "12".to_owned(), "b".to_owned()]);
        assert_eq!(
            render(&table, None),
            "TAG   QUESTIONS  NOTE\nrag           3  a\nrlhf         12  b\n"
        );
    }

    #[test]
    fn the_natural_width_is_the_widest_line_with_its_gaps() {
        let mut table = Table::new(["ID", "STEM"]);
        table.push_row(vec!["llm-001".to_owned(), "提示".to_owned()]);
        // 7 for the id, 2 for the gap, 4 for the stem (the header's 4 as well).
        assert_eq!(table.natural_width(), 13);
    }

    #[test]
    fn multi_line_cells_are_flattened() {
        let mut table = Table::new(["STEM"]);
        table.push_row(vec!["first line\nsecond  line".to_owned()]);
        assert_eq!(render(&table, None), "STEM\nfirst line second line\n");
    }
}

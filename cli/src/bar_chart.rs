//! Values as a table with a bar per row: counts for `categories` and `tags`, each bar as long
//! as its count compared with the largest; shares of a whole for `stats` and `me` (how often a
//! choice was chosen, a mean score out of 1), each bar measured against that whole. The bars
//! take the columns the terminal leaves beside the cells.

use std::io::{self, Write};

use crate::table::Table;

/// What bars are drawn with: one column wide, like the rest of the table's text.
const BLOCK: char = '█';

/// The longest bar, and the length of the longest one when output is not a terminal: wider
/// would only stretch small differences across the screen.
const MAX_BAR_WIDTH: usize = 40;

/// The longest bar on a narrow terminal: shorter, values close to each other would draw
/// alike, so the detail columns are cut instead.
const MIN_BAR_WIDTH: usize = 10;

/// How narrow a detail column may be cut to fit the terminal.
const MIN_DETAIL_WIDTH: usize = 12;

/// A table of values: a name, its value and its bar, then any detail columns.
#[derive(Debug)]
pub(crate) struct BarChart {
    name_header: String,
    value_header: String,
    detail_headers: Vec<String>,
    /// What a full-length bar stands for: `None` for the largest value in the chart, as
    /// counts compare with each other; a fixed whole for shares of it, so that a score of
    /// 0.5 draws half a bar whatever the other rows score.
    whole: Option<f64>,
    rows: Vec<BarChartRow>,
}

/// One row of a [`BarChart`].
#[derive(Debug)]
struct BarChartRow {
    name: String,
    /// What the bar measures.
    amount: f64,
    /// The value as printed, e.g. `12`, `0.75` or `3 (25%)`.
    value: String,
    details: Vec<String>,
}

impl BarChart {
    /// Starts a chart whose first columns are `name_header` and `value_header` and whose rows
    /// end with one cell under each of `detail_headers`. Bars compare the values with the
    /// largest of them until [`BarChart::out_of`] says otherwise.
    pub(crate) fn new(name_header: &str, value_header: &str, detail_headers: &[&str]) -> Self {
        Self {
            name_header: name_header.to_owned(),
            value_header: value_header.to_owned(),
            detail_headers: detail_headers
                .iter()
                .map(|&header| header.to_owned())
                .collect(),
            whole: None,
            rows: Vec::new(),
        }
    }

    /// Measures every bar against `whole` instead of the largest value: a full bar is a
    /// value of `whole`.
    pub(crate) fn out_of(mut self, whole: f64) -> Self {
        self.whole = Some(whole);
        self
    }

    /// Adds a row whose value is a count, printed as it is; a negative count, which the
    /// contract never sends, draws as zero.
    pub(crate) fn push_count(&mut self, name: &str, count: i64, details: Vec<String>) {
        self.push_row(name, count as f64, count.to_string(), details);
    }

    /// Adds a row whose bar measures `amount` and whose value cell reads `value`.
    pub(crate) fn push_row(
        &mut self,
        name: &str,
        amount: f64,
        value: String,
        details: Vec<String>,
    ) {
        debug_assert_eq!(
            details.len(),
            self.detail_headers.len(),
            "one cell per detail"
        );
        self.rows.push(BarChartRow {
            name: name.to_owned(),
            amount,
            value,
            details,
        });
    }

    /// Writes the chart. With `max_width`, the bars take what the other columns leave of it,
    /// within limits, and detail columns are cut if that is not enough; without it (output
    /// is not a terminal) the longest bar is [`MAX_BAR_WIDTH`] and nothing is cut.
    pub(crate) fn write_to(&self, out: &mut dyn Write, max_width: Option<usize>) -> io::Result<()> {
        let bar_width = match max_width {
            // Measured with empty bars, so that what is left over is exactly theirs.
            Some(max_width) => max_width
                .saturating_sub(self.table(0).natural_width())
                .clamp(MIN_BAR_WIDTH, MAX_BAR_WIDTH),
            None => MAX_BAR_WIDTH,
        };
        self.table(bar_width).write_to(out, max_width)
    }

    /// The chart as a table whose full-length bar is `bar_width` columns.
    fn table(&self, bar_width: usize) -> Table {
        // The bar column has no name: the bars speak for themselves under the value's.
        let header = [self.name_header.as_str(), self.value_header.as_str(), ""]
            .into_iter()
            .chain(self.detail_headers.iter().map(String::as_str));
        let mut table = Table::new(header).right_aligned(1);
        for index in 0..self.detail_headers.len() {
            table = table.cuttable(3 + index, MIN_DETAIL_WIDTH);
        }
        let full = self
            .whole
            .unwrap_or_else(|| self.rows.iter().map(|row| row.amount).fold(0.0, f64::max));
        for row in &self.rows {
            let mut cells = vec![
                row.name.clone(),
                row.value.clone(),
                bar(row.amount, full, bar_width),
            ];
            cells.extend(row.details.iter().cloned());
            table.push_row(cells);
        }
        table
    }
}

/// `amount` out of `full` as a bar of up to `width` blocks, rounded to the nearest block.
/// An amount above zero shows at least one block, so no row looks empty that is not; one
/// that is not a positive number (negative, NaN) shows none.
fn bar(amount: f64, full: f64, width: usize) -> String {
    if !(amount > 0.0 && full > 0.0) {
        return String::new();
    }
    // A float cast saturates, and an amount above `full` is capped, so no bar overflows.
    let blocks = (amount / full * width as f64).round() as usize;
    BLOCK.to_string().repeat(blocks.max(1).min(width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::display_width;

    fn render(chart: &BarChart, max_width: Option<usize>) -> String {
        let mut out = Vec::new();
        chart
            .write_to(&mut out, max_width)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("the chart is UTF-8")
    }

    fn blocks(line: &str) -> usize {
        line.chars().filter(|&character| character == BLOCK).count()
    }

    #[test]
    fn bars_are_proportional_to_the_largest_count() {
        assert_eq!(bar(10.0, 10.0, 20), "█".repeat(20));
        assert_eq!(bar(5.0, 10.0, 20), "█".repeat(10));
        assert_eq!(bar(1.0, 3.0, 10), "█".repeat(3));
        assert_eq!(bar(2.0, 3.0, 10), "█".repeat(7));
    }

    #[test]
    fn a_small_count_shows_one_block_and_zero_none() {
        assert_eq!(bar(1.0, 1000.0, 10), "█");
        assert_eq!(bar(0.0, 10.0, 10), "");
        assert_eq!(bar(0.0, 0.0, 10), "");
    }

    #[test]
    fn no_bar_is_wider_than_its_width() {
        assert_eq!(bar(3.0, 3.0, 0), "");
        for count in 0..=7 {
            assert!(
                bar(f64::from(count), 7.0, 5).chars().count() <= 5,
                "count {count}"
            );
        }
    }

    #[test]
    fn an_amount_that_is_not_a_positive_number_draws_no_bar_and_a_larger_one_a_full_bar() {
        assert_eq!(bar(-1.0, 10.0, 10), "");
        assert_eq!(bar(f64::NAN, 10.0, 10), "");
        assert_eq!(bar(2.0, 1.0, 10), "█".repeat(10));
    }

    #[test]
    fn bars_out_of_a_whole_measure_each_value_against_it_not_the_largest() {
        let mut chart = BarChart::new("TAG", "MEAN SCORE", &[]).out_of(1.0);
        chart.push_row("rag", 0.5, "0.5".to_owned(), Vec::new());
        chart.push_row("rlhf", 0.25, "0.25".to_owned(), Vec::new());
        let rendered = render(&chart, None);
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines[0], "TAG   MEAN SCORE");
        assert_eq!(blocks(lines[1]), MAX_BAR_WIDTH / 2, "{rendered}");
        assert_eq!(blocks(lines[2]), MAX_BAR_WIDTH / 4, "{rendered}");
        assert!(lines[1].starts_with("rag          0.5  █"), "{rendered}");
    }

    #[test]
    fn the_longest_bar_takes_the_terminal_width_the_cells_leave() {
        let mut chart = BarChart::new("TAG", "QUESTIONS", &[]);
        chart.push_count("alignment", 2, Vec::new());
        chart.push_count("rag", 1, Vec::new());
        // "alignment" (9) + gap + "QUESTIONS" (9) + gap leaves 30 of 52 for the bars.
        let rendered = render(&chart, Some(52));
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines[0], "TAG        QUESTIONS");
        assert_eq!(blocks(lines[1]), 30, "{rendered}");
        assert_eq!(blocks(lines[2]), 15, "{rendered}");
        assert!(lines.iter().all(|line| display_width(line) <= 52));
    }

    #[test]
    fn bars_stay_within_their_limits_on_any_terminal() {
        let mut chart = BarChart::new("TAG", "QUESTIONS", &[]);
        chart.push_count("rag", 3, Vec::new());
        let longest = |max_width| blocks(render(&chart, max_width).lines().nth(1).unwrap_or(""));
        assert_eq!(longest(Some(500)), MAX_BAR_WIDTH);
        assert_eq!(longest(Some(20)), MIN_BAR_WIDTH);
        assert_eq!(longest(None), MAX_BAR_WIDTH);
    }

    #[test]
    fn details_after_the_bars_line_up_after_chinese_names() {
        let mut chart = BarChart::new("CATEGORY", "QUESTIONS", &["DIFFICULTY"]);
        chart.push_count("大模型", 4, vec!["easy 4".to_owned()]);
        chart.push_count("llm", 2, vec!["hard 2".to_owned()]);
        let rendered = render(&chart, None);
        let detail_columns: Vec<usize> = ["DIFFICULTY", "easy 4", "hard 2"]
            .iter()
            .zip(rendered.lines())
            .map(|(detail, line)| {
                let start = line.find(detail).expect("the detail is on its line");
                display_width(&line[..start])
            })
            .collect();
        assert_eq!(detail_columns, vec![63, 63, 63], "chart was:\n{rendered}");
    }

    #[test]
    fn on_a_narrow_terminal_the_details_are_cut_not_the_bars() {
        let mut chart = BarChart::new("CATEGORY", "QUESTIONS", &["TYPE"]);
        chart.push_count(
            "llm",
            10,
            vec!["single-choice 9 · multiple-choice 0 · true-false 1".to_owned()],
        );
        let rendered = render(&chart, Some(60));
        let row = rendered.lines().nth(1).expect("a row");
        assert_eq!(blocks(row), MIN_BAR_WIDTH, "{rendered}");
        assert!(row.ends_with('…'), "{row}");
        assert!(display_width(row) <= 60, "{row}");
    }
}

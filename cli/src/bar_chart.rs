//! Counts as a table with a bar per row, for `categories` and `tags`: each bar is as long as
//! its count compared with the largest, in the columns the terminal leaves beside the cells.

use std::io::{self, Write};

use crate::table::Table;

/// What bars are drawn with: one column wide, like the rest of the table's text.
const BLOCK: char = '█';

/// The longest bar, and the length of the longest one when output is not a terminal: wider
/// would only stretch small differences across the screen.
const MAX_BAR_WIDTH: usize = 40;

/// The longest bar on a narrow terminal: shorter, counts close to each other would draw
/// alike, so the detail columns are cut instead.
const MIN_BAR_WIDTH: usize = 10;

/// How narrow a detail column may be cut to fit the terminal.
const MIN_DETAIL_WIDTH: usize = 12;

/// A table of counts: a name, its count and its bar, then any detail columns.
#[derive(Debug)]
pub(crate) struct BarChart {
    name_header: String,
    detail_headers: Vec<String>,
    rows: Vec<BarChartRow>,
}

/// One row of a [`BarChart`].
#[derive(Debug)]
struct BarChartRow {
    name: String,
    count: usize,
    details: Vec<String>,
}

impl BarChart {
    /// Starts a chart whose first column is `name_header` and whose rows end with one cell
    /// under each of `detail_headers`.
    pub(crate) fn new(name_header: &str, detail_headers: &[&str]) -> Self {
        Self {
            name_header: name_header.to_owned(),
            detail_headers: detail_headers
                .iter()
                .map(|&header| header.to_owned())
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; a negative count, which the contract never sends, draws as zero.
    pub(crate) fn push_row(&mut self, name: &str, count: i32, details: Vec<String>) {
        debug_assert_eq!(
            details.len(),
            self.detail_headers.len(),
            "one cell per detail"
        );
        self.rows.push(BarChartRow {
            name: name.to_owned(),
            count: usize::try_from(count).unwrap_or(0),
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

    /// The chart as a table whose longest bar is `bar_width` columns.
    fn table(&self, bar_width: usize) -> Table {
        // The bar column has no name: the bars speak for themselves under QUESTIONS.
        let header = [self.name_header.as_str(), "QUESTIONS", ""]
            .into_iter()
            .chain(self.detail_headers.iter().map(String::as_str));
        let mut table = Table::new(header).right_aligned(1);
        for index in 0..self.detail_headers.len() {
            table = table.cuttable(3 + index, MIN_DETAIL_WIDTH);
        }
        let largest = self.rows.iter().map(|row| row.count).max().unwrap_or(0);
        for row in &self.rows {
            let mut cells = vec![
                row.name.clone(),
                row.count.to_string(),
                bar(row.count, largest, bar_width),
            ];
            cells.extend(row.details.iter().cloned());
            table.push_row(cells);
        }
        table
    }
}

/// `count` out of `largest` as a bar of up to `width` blocks, rounded to the nearest block.
/// A count above zero shows at least one block, so no row looks empty that is not.
fn bar(count: usize, largest: usize, width: usize) -> String {
    if largest == 0 {
        return String::new();
    }
    let blocks = (count * width + largest / 2) / largest;
    let blocks = if count > 0 { blocks.max(1) } else { 0 };
    BLOCK.to_string().repeat(blocks.min(width))
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
        assert_eq!(bar(10, 10, 20), "█".repeat(20));
        assert_eq!(bar(5, 10, 20), "█".repeat(10));
        assert_eq!(bar(1, 3, 10), "█".repeat(3));
        assert_eq!(bar(2, 3, 10), "█".repeat(7));
    }

    #[test]
    fn a_small_count_shows_one_block_and_zero_none() {
        assert_eq!(bar(1, 1000, 10), "█");
        assert_eq!(bar(0, 10, 10), "");
        assert_eq!(bar(0, 0, 10), "");
    }

    #[test]
    fn no_bar_is_wider_than_its_width() {
        assert_eq!(bar(3, 3, 0), "");
        for count in 0..=7 {
            assert!(bar(count, 7, 5).chars().count() <= 5, "count {count}");
        }
    }

    #[test]
    fn the_longest_bar_takes_the_terminal_width_the_cells_leave() {
        let mut chart = BarChart::new("TAG", &[]);
        chart.push_row("alignment", 2, Vec::new());
        chart.push_row("rag", 1, Vec::new());
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
        let mut chart = BarChart::new("TAG", &[]);
        chart.push_row("rag", 3, Vec::new());
        let longest = |max_width| blocks(render(&chart, max_width).lines().nth(1).unwrap_or(""));
        assert_eq!(longest(Some(500)), MAX_BAR_WIDTH);
        assert_eq!(longest(Some(20)), MIN_BAR_WIDTH);
        assert_eq!(longest(None), MAX_BAR_WIDTH);
    }

    #[test]
    fn details_after_the_bars_line_up_after_chinese_names() {
        let mut chart = BarChart::new("CATEGORY", &["DIFFICULTY"]);
        chart.push_row("大模型", 4, vec!["easy 4".to_owned()]);
        chart.push_row("llm", 2, vec!["hard 2".to_owned()]);
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
        let mut chart = BarChart::new("CATEGORY", &["TYPE"]);
        chart.push_row(
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

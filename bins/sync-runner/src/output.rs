//! Output for people (aligned tables, UTC RFC 3339 times) and for machines (`--json`), on stdout.

use std::io::{self, Write};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// An instant for people: UTC RFC 3339 to the second (`2026-03-01T09:00:00Z`), `-` when absent.
pub(crate) fn time(at: Option<Timestamp>) -> String {
    match at {
        Some(at) => at.round(jiff::Unit::Second).unwrap_or(at).to_string(),
        None => "-".to_owned(),
    }
}

/// A duration for people: `850ms`, `12.3s`, `4m05s`.
pub(crate) fn duration(d: SignedDuration) -> String {
    let millis = d.as_millis();
    if millis < 1_000 {
        format!("{millis}ms")
    } else if millis < 60_000 {
        format!("{:.1}s", millis as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", millis / 60_000, (millis % 60_000) / 1000)
    }
}

/// The number of terminal columns `text` takes: CJK characters and most emoji take two, combining
/// marks and variation selectors none.
pub(crate) fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// Shortens `text` to `max` terminal columns, with `…` when cut; newlines become spaces.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if width(&flat) <= max {
        return flat;
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in flat.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > max.saturating_sub(1) {
            break;
        }
        used += w;
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// A link id for a table cell: `lnk_…` and its last 8 hex digits. The end, because a link id
/// is a UUID v7 whose first digits are the instant it was made, shared by links made together;
/// `--json` output carries the whole id.
pub(crate) fn short_link(text: &str) -> String {
    let hex = text.strip_prefix("lnk_").unwrap_or(text);
    match hex.char_indices().rev().nth(7) {
        Some((at, _)) if at > 0 => format!("lnk_…{}", &hex[at..]),
        _ => text.to_owned(),
    }
}

/// A cell for a text value: `(empty)` for an empty one, so a change from or to nothing is visible.
pub(crate) fn or_empty(text: &str) -> String {
    if text.is_empty() {
        "(empty)".to_owned()
    } else {
        text.to_owned()
    }
}

/// An aligned table: a header row and rows, columns separated by two spaces; the last column is
/// not padded. Columns are aligned by terminal width, so wide (CJK, emoji) titles line up.
#[derive(Debug, Default)]
pub(crate) struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: &[&'static str]) -> Self {
        Self {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(width(cell));
            }
        }
        let mut out = String::new();
        let header: Vec<String> = self.header.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate().take(columns) {
                if i + 1 == columns {
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    let pad = widths[i] - width(cell) + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Writes text to stdout. A closed pipe (`sync-runner runs list | head`) is not an error.
pub(crate) fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes a value as pretty JSON and a newline to stdout.
pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_link_id_keeps_its_random_end() {
        assert_eq!(
            short_link("lnk_0193a1b2c3d47e8f9a0b1c2d3e4f5a6b"),
            "lnk_…3e4f5a6b"
        );
        assert_eq!(short_link("lnk_abc"), "lnk_abc");
    }

    #[test]
    fn tables_align_columns_and_do_not_pad_the_last() {
        let mut table = Table::new(&["A", "LONGER", "LAST"]);
        table.row(vec!["x".into(), "y".into(), "z".into()]);
        table.row(vec!["wide cell".into(), "".into(), "".into()]);
        assert_eq!(
            table.render(),
            "A          LONGER  LAST\nx          y       z\nwide cell\n"
        );
    }

    #[test]
    fn times_are_utc_to_the_second() {
        let at: Timestamp = "2026-03-01T09:00:00.600Z".parse().unwrap();
        assert_eq!(time(Some(at)), "2026-03-01T09:00:01Z");
        assert_eq!(time(None), "-");
    }

    #[test]
    fn durations_and_truncation_read_well() {
        assert_eq!(duration(SignedDuration::from_millis(850)), "850ms");
        assert_eq!(duration(SignedDuration::from_millis(12_340)), "12.3s");
        assert_eq!(duration(SignedDuration::from_secs(245)), "4m05s");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("a\nb", 10), "a b");
        assert_eq!(or_empty(""), "(empty)");
        assert_eq!(or_empty("x"), "x");
    }

    #[test]
    fn wide_characters_count_by_terminal_columns() {
        // Each of these takes two columns: a table counting characters misaligns them.
        let mut table = Table::new(&["TITLE", "PHASE"]);
        table.row(vec!["日本語の選挙".into(), "closed".into()]);
        table.row(vec!["Budget".into(), "open".into()]);
        table.row(vec!["Vote 🗳\u{fe0f} now".into(), "open".into()]);
        let rendered = table.render();
        let columns: Vec<usize> = rendered
            .lines()
            .map(|line| width(&line[..line.rfind(' ').unwrap() + 1]))
            .collect();
        assert_eq!(columns, vec![14; 4], "{rendered}");
        // Truncation keeps within the columns asked for, not the characters.
        assert_eq!(truncate("日本語の選挙", 7), "日本語…");
        assert!(width(&truncate("日本語の選挙", 7)) <= 7);
    }
}

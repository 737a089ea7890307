//! Cells for files people open in spreadsheet programs: text that starts like a formula is
//! prefixed so it is shown, never run.

/// Text that a spreadsheet will not read as a formula (full-width ＝＋－＠ too: some programs
/// read them as their ASCII forms).
pub fn neutralize_formula(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// One quoted CSV cell.
pub fn csv_cell(value: &str) -> String {
    format!("\"{}\"", neutralize_formula(value).replace('"', "\"\""))
}

/// A CSV document: UTF-8 with a byte-order mark (so spreadsheet programs read Japanese
/// correctly), CRLF line ends, every cell quoted and neutralized; no header line when `header`
/// is empty (the rows bring their own).
pub fn csv<S: AsRef<str>>(header: &[&str], rows: impl IntoIterator<Item = Vec<S>>) -> String {
    let mut out = String::from("\u{feff}");
    if !header.is_empty() {
        out.push_str(&csv_line(header.iter().copied()));
    }
    for row in rows {
        out.push_str(&csv_line(row.iter().map(AsRef::as_ref)));
    }
    out
}

/// One CSV line with its CRLF.
pub fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    cells.map(csv_cell).collect::<Vec<_>>().join(",") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralized() {
        assert_eq!(csv_cell("plain"), "\"plain\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1+2"), "\"'-1+2\"");
        assert_eq!(csv_cell("＝HYPERLINK(1)"), "\"'＝HYPERLINK(1)\"");
        assert_eq!(csv_cell("＠SUM(A1)"), "\"'＠SUM(A1)\"");
        assert_eq!(csv(&["a"], [vec!["=1"]]), "\u{feff}\"a\"\r\n\"'=1\"\r\n");
    }
}

//! The new holders of reset extensions, as HR sends them: rows copied from Excel, LibreOffice or Google
//! Sheets (tab-separated) or a CSV file, with the columns Extension, First Name, Last Name and Email.
//! The Recycle Users form fills its rows from them and `switchboard users recycle --file` reads them;
//! both then check each row exactly as if it had been typed.

use crate::shared::validate::validate_extension;
use csv_core::{ReadFieldResult, ReaderBuilder};
use std::collections::HashMap;
use std::fmt;

/// The columns, in the order a sheet without a header row has them.
const COLUMNS: [Column; 4] = [Column::Extension, Column::FirstName, Column::LastName, Column::Email];

/// The header of the template and of a file the portal writes.
pub const HEADER: [&str; 4] = ["Extension", "First Name", "Last Name", "Email"];

/// At most this many rows are read: a job holds at most `MAX_JOB_USERS` users, and a header.
pub const MAX_ROWS: usize = super::MAX_JOB_USERS + 1;

/// At most this much text is read (a 10,000-row sheet of long names and addresses fits).
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Extension,
    FirstName,
    LastName,
    Email,
}

impl Column {
    /// The column a header cell names, in the words spreadsheets use for it.
    fn named(cell: &str) -> Option<Column> {
        let name: String = cell.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        match name.as_str() {
            "extension" | "ext" | "extn" => Some(Column::Extension),
            "firstname" | "first" | "givenname" | "forename" => Some(Column::FirstName),
            "lastname" | "last" | "surname" | "familyname" => Some(Column::LastName),
            "email" | "emailaddress" | "mail" => Some(Column::Email),
            _ => None,
        }
    }
}

/// One new hire, as the sheet gives them (cells trimmed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewHire {
    /// The line of the text where the row starts (1 is the first line, a header included).
    pub line: u64,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// A row that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    /// The extension the row is for, when it has a valid one (the row repeats it).
    pub extension: Option<String>,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Line {}: {}", self.line, self.message)
    }
}

/// The rows read from a sheet: those with an extension, and the lines that were refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewHires {
    pub rows: Vec<NewHire>,
    pub problems: Vec<RowProblem>,
}

impl NewHires {
    /// Reads the text of a sheet. A first row naming an Extension column is a header and sets the
    /// order of the columns (others it names are ignored); without one the columns are Extension, First
    /// Name, Last Name and Email (which may be left out). Blank rows are skipped; a row without a valid
    /// extension, with more cells than columns, or for an extension already read is refused.
    pub fn parse(text: &str) -> NewHires {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut records = records(text, delimiter(text)).into_iter().filter(|(_, cells)| !is_blank(cells)).peekable();
        let mut hires = NewHires::default();
        let header = records.peek().and_then(|(_, cells)| header(cells));
        if header.is_some() {
            records.next();
        }
        let columns: Vec<Option<Column>> = header.unwrap_or_else(|| COLUMNS.map(Some).to_vec());
        let mut first_line: HashMap<String, u64> = HashMap::new();
        for (line, cells) in records {
            if hires.rows.len() + hires.problems.len() >= MAX_ROWS {
                let message = format!(
                    "more than {} rows; the rest were not read.",
                    crate::shared::words::number(MAX_ROWS as u64)
                );
                hires.problems.push(RowProblem { line, extension: None, message });
                break;
            }
            match hire(line, &cells, &columns) {
                Err(message) => hires.problems.push(RowProblem { line, extension: None, message }),
                Ok(hire) => match first_line.get(&hire.extension) {
                    Some(first) => hires.problems.push(RowProblem {
                        line,
                        extension: Some(hire.extension.clone()),
                        message: format!(
                            "extension {} is already on line {first}; only that row is used.",
                            hire.extension
                        ),
                    }),
                    None => {
                        first_line.insert(hire.extension.clone(), line);
                        hires.rows.push(hire);
                    }
                },
            }
        }
        hires
    }
}

/// A row of cells as a new hire, after the checks that need no form.
fn hire(line: u64, cells: &[String], columns: &[Option<Column>]) -> Result<NewHire, String> {
    if cells.len() > columns.len() && cells[columns.len()..].iter().any(|cell| !cell.is_empty()) {
        return Err(format!(
            "{} cells, but the columns are {}.",
            cells.len(),
            columns.iter().flatten().map(|column| HEADER[*column as usize]).collect::<Vec<_>>().join(", ")
        ));
    }
    let mut hire = NewHire { line, ..NewHire::default() };
    for (cell, column) in cells.iter().zip(columns) {
        let field = match column {
            Some(Column::Extension) => &mut hire.extension,
            Some(Column::FirstName) => &mut hire.first_name,
            Some(Column::LastName) => &mut hire.last_name,
            Some(Column::Email) => &mut hire.email,
            None => continue,
        };
        field.clone_from(cell);
    }
    if hire.extension.is_empty() {
        return Err("no extension.".into());
    }
    if validate_extension(&hire.extension).is_err() {
        return Err(format!("\u{201c}{}\u{201d} is not an extension (2 to 10 digits).", shortened(&hire.extension)));
    }
    Ok(hire)
}

/// A cell as a message repeats it: at most 20 characters, so that a stray paragraph does not fill the
/// list of problems.
fn shortened(cell: &str) -> String {
    match cell.char_indices().nth(20) {
        Some((end, _)) => format!("{}\u{2026}", &cell[..end]),
        None => cell.to_string(),
    }
}

/// The columns a header row names, if it is one: it names an Extension column.
fn header(cells: &[String]) -> Option<Vec<Option<Column>>> {
    let columns: Vec<Option<Column>> = cells.iter().map(|cell| Column::named(cell)).collect();
    columns.contains(&Some(Column::Extension)).then_some(columns)
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(String::is_empty)
}

/// Tabs when the first line has one (what a spreadsheet puts on the clipboard); otherwise semicolons
/// when the first line has those and no comma (a CSV file from a European Excel); otherwise commas.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().find(|line| !line.trim().is_empty()).unwrap_or("");
    if first.contains('\t') {
        b'\t'
    } else if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    }
}

/// The text's records, each with the line it starts on and its cells trimmed. Quoted cells may hold
/// the delimiter, quotes ("") and line breaks; any line end (\n, \r\n, \r) ends a record.
fn records(text: &str, delimiter: u8) -> Vec<(u64, Vec<String>)> {
    let mut reader = ReaderBuilder::new().delimiter(delimiter).build();
    let (mut input, mut output) = (text.as_bytes(), [0u8; 1024]);
    let (mut records, mut cells, mut cell) = (Vec::new(), Vec::new(), Vec::new());
    // Line ends counted up to `seen` bytes into the text, for the line each record starts on.
    let (mut line, mut seen, mut line_ends) = (1, 0, 0);
    loop {
        if cells.is_empty() && cell.is_empty() {
            // A record starts at the next character that is not a line end (the reader skips those).
            let start = text.len() - input.len();
            let start = start + input.iter().take_while(|&&byte| byte == b'\n' || byte == b'\r').count();
            line_ends += text.as_bytes()[seen..start].iter().filter(|&&byte| byte == b'\n').count() as u64;
            (line, seen) = (1 + line_ends, start);
        }
        let (result, read, written) = reader.read_field(input, &mut output);
        input = &input[read..];
        cell.extend_from_slice(&output[..written]);
        match result {
            ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
            ReadFieldResult::Field { record_end } => {
                cells.push(String::from_utf8_lossy(&cell).trim().to_string());
                cell.clear();
                if record_end {
                    records.push((line, std::mem::take(&mut cells)));
                }
            }
            ReadFieldResult::End => return records,
        }
    }
}

/// A CSV file with the header and one row per extension, for HR to fill in.
pub fn template<'a>(extensions: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = HEADER.join(",");
    text.push_str("\r\n");
    for extension in extensions {
        // Extensions are digits: nothing in them needs quoting.
        text.push_str(extension);
        text.push_str(",,,\r\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hire(line: u64, extension: &str, first: &str, last: &str, email: &str) -> NewHire {
        NewHire {
            line,
            extension: extension.into(),
            first_name: first.into(),
            last_name: last.into(),
            email: email.into(),
        }
    }

    fn problem(line: u64, message: &str) -> RowProblem {
        RowProblem { line, extension: None, message: message.into() }
    }

    #[test]
    fn tab_separated_rows_from_a_spreadsheet_with_a_header() {
        let text = "Extension\tFirst Name\tLast Name\tEmail\n201\tAnn\tLee\tann@acme.example\n202\tBo\tKim\t\n";
        let parsed = NewHires::parse(text);
        assert_eq!(parsed.rows, [hire(2, "201", "Ann", "Lee", "ann@acme.example"), hire(3, "202", "Bo", "Kim", "")]);
        assert!(parsed.problems.is_empty());
    }

    #[test]
    fn the_header_sets_the_order_of_the_columns_and_unknown_columns_are_ignored() {
        let text = "email,Surname,Department,first name,EXT\nann@acme.example,Lee,Sales,Ann,201\n";
        assert_eq!(NewHires::parse(text).rows, [hire(2, "201", "Ann", "Lee", "ann@acme.example")]);
    }

    #[test]
    fn without_a_header_the_columns_are_in_the_usual_order_and_email_may_be_left_out() {
        let parsed = NewHires::parse("201,Ann,Lee,ann@acme.example\n202,Bo,Kim\n");
        assert_eq!(parsed.rows, [hire(1, "201", "Ann", "Lee", "ann@acme.example"), hire(2, "202", "Bo", "Kim", "")]);
    }

    #[test]
    fn quoted_cells_keep_commas_quotes_and_line_breaks() {
        let text = "201,\"Lee, Jr.\",\"O\"\"Neil\",a@acme.example\n202,\"Two\nLines\",Kim,\n203,Cy,Tan,\n";
        let parsed = NewHires::parse(text);
        assert_eq!(
            parsed.rows,
            [
                hire(1, "201", "Lee, Jr.", "O\"Neil", "a@acme.example"),
                hire(2, "202", "Two\nLines", "Kim", ""),
                hire(4, "203", "Cy", "Tan", ""),
            ]
        );
    }

    #[test]
    fn windows_line_ends_a_bom_blank_and_trailing_lines_and_spaces_are_harmless() {
        let text = "\u{feff}Extension,First Name,Last Name,Email\r\n\r\n 201 , Ann ,Lee,\r\n,,,\r\n202,Bo,Kim,\r\n\r\n";
        let parsed = NewHires::parse(text);
        assert_eq!(parsed.rows, [hire(3, "201", "Ann", "Lee", ""), hire(5, "202", "Bo", "Kim", "")]);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    }

    #[test]
    fn semicolons_are_read_when_the_first_line_has_no_comma() {
        assert_eq!(
            NewHires::parse("201;Ann;Lee;ann@acme.example").rows,
            [hire(1, "201", "Ann", "Lee", "ann@acme.example")]
        );
    }

    #[test]
    fn each_bad_row_is_refused_with_its_line_and_why() {
        let text = "201\tAnn\tLee\t\n\tBo\tKim\t\n2x1\tCy\tTan\t\n201\tDee\tRay\t\n203\tEd\tFox\tx@y.example\textra\n204\tFay\t\t\n";
        let parsed = NewHires::parse(text);
        assert_eq!(parsed.rows, [hire(1, "201", "Ann", "Lee", ""), hire(6, "204", "Fay", "", "")]);
        assert_eq!(
            parsed.problems,
            [
                problem(2, "no extension."),
                problem(3, "\u{201c}2x1\u{201d} is not an extension (2 to 10 digits)."),
                RowProblem {
                    extension: Some("201".into()),
                    ..problem(4, "extension 201 is already on line 1; only that row is used.")
                },
                problem(5, "5 cells, but the columns are Extension, First Name, Last Name, Email."),
            ]
        );
        assert_eq!(parsed.problems[0].to_string(), "Line 2: no extension.");
    }

    #[test]
    fn a_long_cell_is_shortened_where_a_message_repeats_it() {
        let parsed = NewHires::parse(&format!("{}\tA\tB\n", "x".repeat(500)));
        assert_eq!(
            parsed.problems[0].message,
            format!("\u{201c}{}\u{2026}\u{201d} is not an extension (2 to 10 digits).", "x".repeat(20))
        );
    }

    #[test]
    fn a_thousand_rows_are_all_read() {
        let text: String =
            (1000..2000).map(|ext| format!("{ext}\tFirst{ext}\tLast{ext}\tp{ext}@acme.example\n")).collect();
        let parsed = NewHires::parse(&text);
        assert_eq!(parsed.rows.len(), 1000);
        assert_eq!(parsed.rows[999], hire(1000, "1999", "First1999", "Last1999", "p1999@acme.example"));
        assert!(parsed.problems.is_empty());
    }

    #[test]
    fn more_rows_than_a_job_holds_are_cut_with_a_message() {
        let text: String = (0..MAX_ROWS + 5).map(|n| format!("{}\tA\tB\n", 100_000 + n)).collect();
        let parsed = NewHires::parse(&text);
        assert_eq!(parsed.rows.len(), MAX_ROWS);
        assert_eq!(parsed.problems.len(), 1);
        assert!(parsed.problems[0].message.starts_with("more than 10,001 rows"), "{:?}", parsed.problems);
    }

    #[test]
    fn the_template_reads_back_as_its_extensions() {
        let template = template(["201", "202"]);
        assert_eq!(template, "Extension,First Name,Last Name,Email\r\n201,,,\r\n202,,,\r\n");
        let extensions: Vec<String> = NewHires::parse(&template).rows.into_iter().map(|row| row.extension).collect();
        assert_eq!(extensions, ["201", "202"]);
    }
}

//! The CSV files the portal writes, made safe to open in a spreadsheet: a cell that starts like a
//! formula (`=`, `+`, `-`, `@`, or a tab or carriage return that some programs skip before one) gets a
//! leading `'`, so that Excel, LibreOffice and Google Sheets show it as text instead of running it. A
//! name is typed by an admin, so it could otherwise be `=HYPERLINK(…)` in the next admin's sheet.

use crate::shared::error::AppError;
use std::borrow::Cow;

/// A CSV file being written, every cell neutralised.
pub struct Csv {
    writer: csv::Writer<Vec<u8>>,
}

impl Csv {
    pub fn new<const N: usize>(header: [&str; N]) -> Result<Self, AppError> {
        let mut csv = Csv { writer: csv::Writer::from_writer(Vec::new()) };
        csv.row(header)?;
        Ok(csv)
    }

    pub fn row<const N: usize>(&mut self, cells: [&str; N]) -> Result<(), AppError> {
        self.writer.write_record(cells.map(|text| cell(text).into_owned())).map_err(AppError::internal)
    }

    /// The file's text.
    pub fn finish(self) -> Result<String, AppError> {
        let bytes = self.writer.into_inner().map_err(AppError::internal)?;
        String::from_utf8(bytes).map_err(AppError::internal)
    }
}

/// `text` as a cell no spreadsheet reads as a formula.
pub fn cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_the_rest_left_alone() {
        for (typed, written) in [
            ("=HYPERLINK(\"http://evil.example\",\"Click\")", "'=HYPERLINK(\"http://evil.example\",\"Click\")"),
            ("+1-555-0100", "'+1-555-0100"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("Ann Lee", "Ann Lee"),
            ("201", "201"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(cell(typed), written, "{typed:?}");
        }
    }

    #[test]
    fn a_file_quotes_as_csv_does_after_neutralising() {
        let mut csv = Csv::new(["name", "note"]).unwrap();
        csv.row(["=1+1", "plain, with a comma"]).unwrap();
        assert_eq!(csv.finish().unwrap(), "name,note\n'=1+1,\"plain, with a comma\"\n");
    }
}

//! "Paste from a spreadsheet" in the Recycle Users form: rows copied from Excel, LibreOffice or Google
//! Sheets (or CSV text) fill the form's rows of their extensions as the admin pastes them, each row
//! then checked as if typed; the lines that fill nothing are listed with why. Nothing is saved here.

use super::recycle_row::Row;
use crate::shared::bulk::new_hires::{self, NewHires, RowProblem};
use crate::shared::bulk::RecycleField;
use crate::shared::error::FieldError;
use leptos::prelude::*;
use std::collections::HashMap;

#[component]
pub fn PasteFromSpreadsheet(rows: StoredValue<Vec<Row>>) -> impl IntoView {
    let unused = RwSignal::new(Vec::<RowProblem>::new());
    let paste = move |text: String| {
        let NewHires { rows: hires, problems } = NewHires::parse(&text);
        let mut left = Vec::new();
        rows.with_value(|rows| {
            let by_extension: HashMap<&str, &Row> = rows.iter().map(|row| (row.extension.as_str(), row)).collect();
            for hire in hires {
                match by_extension.get(hire.extension.as_str()) {
                    Some(row) if !row.saved.get_untracked() => row.fill(hire),
                    Some(_) => left.push(problem(hire.line, &hire.extension, "already saved above.")),
                    None => left.push(problem(hire.line, &hire.extension, "not among the users being recycled.")),
                }
            }
            for problem in problems {
                // A repeated extension is told at that extension's row, like a bad value at its field.
                match problem.extension.as_deref().and_then(|extension| by_extension.get(extension)) {
                    Some(row) => row
                        .problems
                        .update(|at_row| at_row.push(FieldError::new(RecycleField::Row.name(), problem.to_string()))),
                    None => left.push(problem),
                }
            }
        });
        unused.set(left);
    };
    let template =
        rows.with_value(|rows| data_url(&new_hires::template(rows.iter().map(|row| row.extension.as_str()))));
    view! {
        <div class="paste">
            <label for="recycle-paste">"Paste from a spreadsheet"</label>
            <textarea id="recycle-paste" rows="3" spellcheck="false" maxlength=new_hires::MAX_TEXT_BYTES
                aria-describedby="recycle-paste-hint" on:input=move |ev| paste(event_target_value(&ev))></textarea>
            <span class="hint" id="recycle-paste-hint">
                "Rows from Excel, LibreOffice or Google Sheets, or CSV: Extension, First Name, Last Name, Email. "
                <a href=template download="new-hires.csv">"Download template"</a>
            </span>
            {move || {
                let unused = unused.get();
                (!unused.is_empty()).then(|| view! {
                    <div role="alert">
                        <ul class="paste-problems" aria-label="Rows not used">
                            {unused.into_iter().map(|problem| view! { <li>{problem.to_string()}</li> }).collect_view()}
                        </ul>
                    </div>
                })
            }}
        </div>
    }
}

fn problem(line: u64, extension: &str, why: &str) -> RowProblem {
    RowProblem { line, extension: Some(extension.to_string()), message: format!("extension {extension} is {why}") }
}

/// A link's address that downloads `csv` as a file, made in the browser: no request, nothing stored.
fn data_url(csv: &str) -> String {
    let mut url = String::from("data:text/csv;charset=utf-8,");
    for byte in csv.bytes() {
        if byte.is_ascii_alphanumeric() {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

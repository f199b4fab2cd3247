//! A SCIM filter (RFC 7644 §3.4.2.2), parsed by the `scim_v2` crate's grammar, as a condition on the
//! people of a domain (`scim_users`, joined with the extension each holds or last held). The attributes
//! that can be filtered on are the ones Switchboard keeps; any other is an `invalidFilter`.
//!
//! Before parsing, two forms identity providers send that the RFC's grammar does not allow are
//! rewritten into ones it does: Entra's `emails[type eq "work"].value eq "x"` (a sub-attribute after
//! a value path) becomes `emails[type eq "work" and value eq "x"]`.

use super::error::{ScimError, ScimType};
use crate::server::entities::{scim_user, user};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};
use sea_orm::sea_query::{Expr, Func, LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

/// The longest filter read: a lookup by a few names is far shorter.
pub const MAX_FILTER_LEN: usize = 1000;

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, detail)
}

/// Parses `text` (bounded in length; the grammar bounds its depth and terms).
pub fn parse(text: &str) -> Result<Filter, ScimError> {
    if text.chars().count() > MAX_FILTER_LEN {
        return Err(invalid(format!("A filter has at most {MAX_FILTER_LEN} characters.")));
    }
    fold_sub_attributes(text)
        .parse::<Filter>()
        .map_err(|err| invalid(format!("The filter could not be read: {}.", shorten(&err.to_string()))))
}

/// A parser's message, kept short: it may quote the whole input.
fn shorten(message: &str) -> String {
    message.chars().take(200).collect()
}

/// `a[f].sub op value` → `a[f and sub op value]` (Entra's lookup by work email), outside quoted strings.
fn fold_sub_attributes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let (mut i, mut in_string, mut bracket_start) = (0, false, None::<usize>);
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if c == '\\' && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 1;
            } else if c == '"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' => bracket_start = Some(out.len()),
            ']' if chars.get(i + 1) == Some(&'.') => {
                if let Some((comparison, next)) = trailing_comparison(&chars, i + 2) {
                    if bracket_start.is_some() {
                        out.push_str(" and ");
                        out.push_str(&comparison);
                        out.push(']');
                        i = next;
                        bracket_start = None;
                        continue;
                    }
                }
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// At `start`: `sub op value` (a value in quotes, or one word); the comparison and where it ends.
fn trailing_comparison(chars: &[char], start: usize) -> Option<(String, usize)> {
    let word = |from: usize| {
        let end = (from..chars.len()).find(|&j| chars[j].is_whitespace() || chars[j] == ')').unwrap_or(chars.len());
        (chars[from..end].iter().collect::<String>(), end)
    };
    let skip = |from: usize| (from..chars.len()).find(|&j| !chars[j].is_whitespace()).unwrap_or(chars.len());
    let (sub, after_sub) = word(start);
    if sub.is_empty() || !sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return None;
    }
    let (op, after_op) = word(skip(after_sub));
    if !["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr"].contains(&op.to_ascii_lowercase().as_str()) {
        return None;
    }
    if op.eq_ignore_ascii_case("pr") {
        return Some((format!("{sub} pr"), after_op));
    }
    let value_start = skip(after_op);
    if chars.get(value_start) == Some(&'"') {
        let mut j = value_start + 1;
        while j < chars.len() && chars[j] != '"' {
            j += if chars[j] == '\\' { 2 } else { 1 };
        }
        let end = (j + 1).min(chars.len());
        return Some((format!("{sub} {op} {}", chars[value_start..end].iter().collect::<String>()), end));
    }
    let (value, end) = word(value_start);
    (!value.is_empty()).then(|| (format!("{sub} {op} {value}"), end))
}

/// The condition `filter` sets on `scim_users` (left-joined with `users`).
pub fn condition(filter: &Filter) -> Result<Condition, ScimError> {
    Ok(match filter {
        Filter::Attr(expression) => Condition::all().add(attribute(expression)?),
        Filter::ValuePath(path) if is_emails(&path.attr) => {
            Condition::all().add(scim_user::Column::Email.is_not_null()).add(email_condition(&path.filter)?)
        }
        Filter::ValuePath(path) => return Err(not_filterable(&path.attr)),
        Filter::Not(inner) => condition(inner)?.not(),
        Filter::And(items) => joined(Condition::all(), items.as_slice(), condition)?,
        Filter::Or(items) => joined(Condition::any(), items.as_slice(), condition)?,
    })
}

/// The operands of an `and` (`Condition::all`) or an `or` (`Condition::any`), each as `one` reads it.
fn joined<T>(
    join: Condition,
    operands: &[T],
    one: fn(&T) -> Result<Condition, ScimError>,
) -> Result<Condition, ScimError> {
    operands.iter().try_fold(join, |joined, operand| Ok(joined.add(one(operand)?)))
}

fn is_emails(path: &AttrPath) -> bool {
    path.name.eq_ignore_ascii_case("emails") && path.sub_attr.is_none()
}

fn not_filterable(path: &AttrPath) -> ScimError {
    invalid(format!(
        "Filtering on {path} is not supported: filter on userName, externalId, id, emails, name.givenName, \
         name.familyName, displayName or active."
    ))
}

/// A condition that always holds, or never does.
fn always(holds: bool) -> SimpleExpr {
    Expr::cust(if holds { "1 = 1" } else { "1 = 0" })
}

/// The inner filter of `emails[…]`, over the one (work) address kept.
fn email_condition(filter: &ValFilter) -> Result<Condition, ScimError> {
    Ok(match filter {
        ValFilter::Attr(AttrExp::Present(path)) => {
            Condition::all().add(match path.name.to_ascii_lowercase().as_str() {
                "value" | "type" | "primary" => always(true),
                _ => always(false),
            })
        }
        ValFilter::Attr(AttrExp::Comparison(path, op, value)) => {
            Condition::all().add(match path.name.to_ascii_lowercase().as_str() {
                "value" => {
                    text(Expr::col((scim_user::Entity, scim_user::Column::Email)).into(), op, value, Case::StoredLower)?
                }
                // Only a work address is kept, and it is the primary one.
                "type" => always(compare_fixed("work", op, value)?),
                "primary" => {
                    always(matches!((op, value), (CompareOp::Eq, CompValue::True) | (CompareOp::Ne, CompValue::False)))
                }
                _ => always(false),
            })
        }
        ValFilter::Not(inner) => email_condition(inner)?.not(),
        ValFilter::And(items) => joined(Condition::all(), items.as_slice(), email_condition)?,
        ValFilter::Or(items) => joined(Condition::any(), items.as_slice(), email_condition)?,
    })
}

fn compare_fixed(fixed: &str, op: &CompareOp, value: &CompValue) -> Result<bool, ScimError> {
    let CompValue::Str(value) = value else { return Err(invalid("type is compared with a string.")) };
    let (fixed, value) = (fixed.to_lowercase(), value.to_lowercase());
    Ok(match op {
        CompareOp::Eq => fixed == value,
        CompareOp::Ne => fixed != value,
        CompareOp::Co => fixed.contains(&value),
        CompareOp::Sw => fixed.starts_with(&value),
        CompareOp::Ew => fixed.ends_with(&value),
        _ => return Err(invalid("type is compared with eq, ne, co, sw or ew.")),
    })
}

/// One attribute expression.
fn attribute(expression: &AttrExp) -> Result<SimpleExpr, ScimError> {
    let path = match expression {
        AttrExp::Present(path) | AttrExp::Comparison(path, _, _) => path,
    };
    let column = |column: scim_user::Column| SimpleExpr::from(Expr::col((scim_user::Entity, column)));
    let name = path.name.to_ascii_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
    // The column of a text attribute, and how it compares.
    let text_column = match (name.as_str(), sub.as_deref()) {
        ("username", None) => Some((column(scim_user::Column::UserNameKey), Case::StoredLower)),
        ("externalid", None) => Some((column(scim_user::Column::ExternalId), Case::Exact)),
        ("displayname", None) => Some((column(scim_user::Column::DisplayName), Case::Ignored)),
        ("name", Some("givenname")) => Some((column(scim_user::Column::GivenName), Case::Ignored)),
        ("name", Some("familyname")) => Some((column(scim_user::Column::FamilyName), Case::Ignored)),
        ("emails", None | Some("value")) => Some((column(scim_user::Column::Email), Case::StoredLower)),
        _ => None,
    };
    match (expression, text_column) {
        (AttrExp::Present(_), Some((column, _))) => Ok(Expr::expr(column).is_not_null()),
        (AttrExp::Comparison(_, op, value), Some((column, case))) => text(column, op, value, case),
        _ => match (name.as_str(), sub.as_deref(), expression) {
            ("id", None, AttrExp::Present(_)) | ("active", None, AttrExp::Present(_)) => Ok(always(true)),
            ("id", None, AttrExp::Comparison(_, op, CompValue::Str(id))) => {
                let id = id.parse::<i32>().ok();
                match op {
                    CompareOp::Eq => Ok(id.map_or(always(false), |id| scim_user::Column::Id.eq(id))),
                    CompareOp::Ne => Ok(id.map_or(always(true), |id| scim_user::Column::Id.ne(id))),
                    _ => Err(invalid("id is compared with eq or ne.")),
                }
            }
            ("active", None, AttrExp::Comparison(_, op, value)) => {
                let wanted = match value {
                    CompValue::True => true,
                    CompValue::False => false,
                    CompValue::Str(text) if text.eq_ignore_ascii_case("true") => true,
                    CompValue::Str(text) if text.eq_ignore_ascii_case("false") => false,
                    _ => return Err(invalid("active is compared with true or false.")),
                };
                let wanted = match op {
                    CompareOp::Eq => wanted,
                    CompareOp::Ne => !wanted,
                    _ => return Err(invalid("active is compared with eq or ne.")),
                };
                Ok(if wanted { active() } else { Expr::expr(active()).not() })
            }
            _ => Err(not_filterable(path)),
        },
    }
}

/// Whether the person holds their extension now: its current holding is theirs.
pub fn active() -> SimpleExpr {
    Expr::expr(Func::coalesce([
        Expr::col((user::Entity, user::Column::Holding)).equals((scim_user::Entity, scim_user::Column::Holding)),
        always(false),
    ]))
    .into()
}

/// How a text attribute compares.
#[derive(Clone, Copy)]
enum Case {
    /// As it is (`externalId`: the identity provider's own key).
    Exact,
    /// Without case, and kept in lower case (user names, addresses): the value is lowered, and the
    /// column's index serves the lookup.
    StoredLower,
    /// Without case (names).
    Ignored,
}

/// `column op value` over text.
fn text(column: SimpleExpr, op: &CompareOp, value: &CompValue, case: Case) -> Result<SimpleExpr, ScimError> {
    let CompValue::Str(value) = value else {
        return Err(invalid("This attribute is compared with a string in double quotes."));
    };
    let (column, value) = match case {
        Case::Exact => (column, value.clone()),
        Case::StoredLower => (column, value.to_lowercase()),
        Case::Ignored => (SimpleExpr::from(Func::lower(column)), value.to_lowercase()),
    };
    let like = |pattern: String| Expr::expr(column.clone()).like(LikeExpr::new(pattern).escape('\\'));
    let escaped = value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Ok(match op {
        CompareOp::Eq => Expr::expr(column.clone()).eq(value),
        CompareOp::Ne => Expr::expr(column.clone()).ne(value),
        CompareOp::Co => like(format!("%{escaped}%")),
        CompareOp::Sw => like(format!("{escaped}%")),
        CompareOp::Ew => like(format!("%{escaped}")),
        _ => return Err(invalid("Text attributes are compared with eq, ne, co, sw or ew.")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entras_sub_attribute_after_a_value_path_is_folded_into_it() {
        assert_eq!(
            fold_sub_attributes(r#"emails[type eq "work"].value eq "a]. b@x.example""#),
            r#"emails[type eq "work" and value eq "a]. b@x.example"]"#
        );
        assert!(parse(r#"emails[type eq "work"].value eq "ann@acme.example""#).is_ok());
        assert_eq!(fold_sub_attributes(r#"userName eq "x[y].z""#), r#"userName eq "x[y].z""#);
    }

    #[test]
    fn lookups_identity_providers_send_parse_and_others_are_refused() {
        for text in [
            r#"userName eq "ann@acme.example""#,
            r#"externalId eq "00u1" and userName eq "ann@acme.example""#,
            r#"emails[type eq "work" and value eq "ann@acme.example"]"#,
            "active eq false",
            r#"id eq "12""#,
        ] {
            assert!(condition(&parse(text).unwrap()).is_ok(), "{text}");
        }
        for text in [r#"userName eq "x" garbage"#, r#"title eq "Boss""#, r#"userName gt "a""#] {
            let error = parse(text).and_then(|filter| condition(&filter)).unwrap_err();
            assert_eq!(error.scim_type, Some(ScimType::InvalidFilter), "{text}");
        }
        assert_eq!(parse(&"a".repeat(MAX_FILTER_LEN + 1)).unwrap_err().scim_type, Some(ScimType::InvalidFilter));
    }
}

//! The text of the emails: plain text and HTML, each with the portal's address, the user's login and
//! their set-password link.

use crate::server::accounts::links;
use crate::shared::mail::MessageKind;
use crate::shared::model::full_name;
use crate::shared::routes;
use html_escape::encode_text as html;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;

/// What a message says, and to whom.
pub struct Letter<'a> {
    pub kind: MessageKind,
    pub from: &'a Mailbox,
    pub to: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub login: &'a str,
    pub extension: &'a str,
    pub domain: &'a str,
    /// The portal's address as its users reach it, without a trailing slash.
    pub portal_url: &'a str,
    /// The set-password link's token.
    pub token: &'a str,
}

impl Letter<'_> {
    /// The email, or why it cannot be written (an address lettre cannot parse).
    pub fn build(&self) -> Result<Message, String> {
        let to: Mailbox = self.to.parse().map_err(|err| format!("The address {} cannot be used: {err}", self.to))?;
        let link = format!("{}{}", self.portal_url, routes::set_password(self.token));
        let hours = links::LIFETIME.num_hours();
        let name = full_name(self.first_name, self.last_name);
        let greeting = if name.is_empty() { "Hello,".to_string() } else { format!("Hello {name},") };
        let (lead, action) = match self.kind {
            MessageKind::Welcome => (
                format!("Extension {} at {} is now yours.", self.extension, self.domain),
                "Choose your password and voicemail PIN here",
            ),
            MessageKind::PasswordReset => (
                format!("Your administrator asked you to choose a new password for extension {}.", self.extension),
                "Choose your new password here",
            ),
        };
        let text = format!(
            "{greeting}\n\n{lead}\n\n{action}:\n{link}\n\nThe link works once, for {hours} hours.\n\n\
             Portal: {portal}\nLogin: {login}\n\nIf you did not expect this email, you can ignore it.\n",
            portal = self.portal_url,
            login = self.login,
        );
        let html_body = format!(
            "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n\
             <p>{greeting}</p>\n<p>{lead}</p>\n\
             <p><a href=\"{link}\">{action}</a></p>\n\
             <p>The link works once, for {hours} hours.</p>\n\
             <p>Portal: <a href=\"{portal}\">{portal}</a><br>\nLogin: {login}</p>\n\
             <p>If you did not expect this email, you can ignore it.</p>\n</body></html>\n",
            greeting = html(&greeting),
            lead = html(&lead),
            link = html_escape::encode_double_quoted_attribute(&link),
            portal = html(self.portal_url),
            login = html(self.login),
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(self.kind.subject())
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html_body)),
            )
            .map_err(|err| format!("The message cannot be written: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter<'a>(from: &'a Mailbox, kind: MessageKind) -> Letter<'a> {
        Letter {
            kind,
            from,
            to: "ann.lee@acme.example",
            first_name: "Ann",
            last_name: "<Lee>",
            login: "201@acme.example",
            extension: "201",
            domain: "acme.example",
            portal_url: "https://pbx.example",
            token: "abc_DEF-123",
        }
    }

    #[test]
    fn a_welcome_has_the_link_the_login_and_the_portal_in_text_and_html() {
        let from: Mailbox = "Switchboard <switchboard@pbx.example>".parse().unwrap();
        let raw = letter(&from, MessageKind::Welcome).build().unwrap().formatted();
        // Read back as a mail client would (long lines arrive quoted-printable).
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(message.subject(), Some("Welcome to Switchboard: set your password"));
        assert_eq!(message.to().and_then(|to| to.first()).and_then(|to| to.address()), Some("ann.lee@acme.example"));
        let text = message.body_text(0).unwrap();
        let html = message.body_html(0).unwrap();
        for part in [&text, &html] {
            assert!(part.contains("https://pbx.example/set-password?token=abc_DEF-123"), "{part}");
            assert!(part.contains("201@acme.example"), "{part}");
        }
        assert!(text.contains("Login: 201@acme.example"), "{text}");
        // Names are text in the HTML part, never markup.
        assert!(html.contains("Hello Ann &lt;Lee&gt;,"), "{html}");
    }

    #[test]
    fn an_unusable_address_is_a_reason_not_a_panic() {
        let from: Mailbox = "switchboard@pbx.example".parse().unwrap();
        let bad = Letter { to: "not an address", ..letter(&from, MessageKind::PasswordReset) };
        assert!(bad.build().unwrap_err().starts_with("The address not an address cannot be used"));
    }
}

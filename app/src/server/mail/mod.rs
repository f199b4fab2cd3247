//! Email: the outbox the actions queue into, the dispatcher that sends it (SMTP or files), and the
//! letters' text.

pub mod dispatcher;
pub mod letters;
pub mod outbox;

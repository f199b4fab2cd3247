//! Email over a real SMTP conversation (the test's server in `smtp.rs`) or to files.

mod delivery;

use crate::common::TestApp;
use crate::smtp::Received;
use app::server::entities::outbox_message;
use app::server::mail::dispatcher::{Config, Dispatcher, Transport};
use sea_orm::{prelude::*, QueryOrder};
use std::time::Duration;

/// A dispatcher sending to `smtp_url`; a failed attempt waits `retry` before the next.
pub(crate) fn dispatcher(app: &TestApp, smtp_url: &str, retry: Duration) -> Dispatcher {
    let transport = Transport::new(Some(smtp_url), std::path::Path::new("unused")).expect("an SMTP transport");
    let mut config =
        Config::new(transport, "Switchboard <switchboard@pbx.example>".parse().unwrap(), "http://pbx.example");
    config.first_retry = retry;
    Dispatcher::new(app.db.clone(), config)
}

pub(crate) async fn messages(app: &TestApp) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find().order_by_asc(outbox_message::Column::Id).all(&app.db).await.unwrap()
}

pub(crate) fn one_for(received: &[Received], address: &str) -> Received {
    let mine: Vec<&Received> = received.iter().filter(|message| message.to == [address]).collect();
    assert_eq!(mine.len(), 1, "messages to {address}: {received:?}");
    mine[0].clone()
}

//! The browser's clock and time zone, for choosing when a scheduled job runs. Only the browser knows
//! them; the server turns its local time into UTC with the zone's rules (`server::bulk::schedule`).
//! The steps that use them are only shown in the browser; rendered elsewhere, they read UTC and no time.

/// The browser's time zone, an IANA name like "Europe/Berlin" ("UTC" where it cannot tell).
pub fn time_zone() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|zone| zone.as_string())
            .unwrap_or_else(|| "UTC".to_string())
    }
    #[cfg(not(target_arch = "wasm32"))]
    "UTC".to_string()
}

/// The start of the hour after the next one, in local time as a date-time field takes it:
/// "2026-12-04T18:00" (at 16:20). A time far enough ahead to schedule, easy to change.
pub fn next_hour() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let later = js_sys::Date::new(&(js_sys::Date::now() + 2.0 * 3_600_000.0).into());
        format!(
            "{:04}-{:02}-{:02}T{:02}:00",
            later.get_full_year(),
            later.get_month() + 1,
            later.get_date(),
            later.get_hours()
        )
    }
    #[cfg(not(target_arch = "wasm32"))]
    String::new()
}

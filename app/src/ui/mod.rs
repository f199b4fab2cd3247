//! What people see: the router and its pages, and the components the pages share. Rendered on the
//! server, hydrated in the browser; each server function sits beside the component that calls it.

pub mod app;
pub mod before_hydration;
pub mod components;
pub mod pages;
pub mod signed_in;

//! Who may do what: signing in and out, sessions, the throttle on failed sign-ins, every scope rule, and
//! the matrix of every server function and route against every kind of caller.

mod authz_matrix;
mod scopes;
mod sessions;
mod signin;
mod throttle;

//! The dashboard (`sporfri tui`): live third-party contacts a tester can act on.
//!
//! The Elm architecture, as ratatui recommends: a [`Model`] holds all state, [`update`] applies
//! a [`Msg`] and answers [`Effect`]s, and [`view`] draws the model (pure, snapshot-tested).
//! Events come from a [`feed::Feed`] on its own thread (a replayed capture, a stored session,
//! or a running `sporfri live` over its control socket); `term` is the only part that touches
//! the terminal.

pub mod feed;
pub mod model;
pub mod term;
pub mod timeline;
pub mod update;
pub mod view;

pub use model::{Model, Row, Screen, SourceInfo};
pub use update::{Effect, Msg, update};
pub use view::view;

//! sporfri: a passive analyzer that proves, packet by packet, which parties a device contacts.
//!
//! Data flows `capture` → `wire` → `flow` → [`observation::Observation`] → `contact`;
//! see `ARCHITECTURE.md`. [`pipeline::Pipeline`] runs that chain for every command (replay,
//! extract, the dashboard's replay, live), with the I/O around it injected. `main.rs` is a thin
//! CLI over this library.
//!
//! Everything here reads bytes from the network: no indexing that can panic, anywhere.
#![deny(clippy::indexing_slicing)]

pub mod attribute;
pub mod capture;
pub mod contact;
pub mod control;
pub mod decrypt;
pub mod flow;
#[doc(hidden)]
pub mod fuzzing;
pub mod live;
pub mod observation;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod session;
pub mod stats;
pub mod store;
pub mod text;
pub mod time;
pub mod tui;
pub mod weird;
pub mod wire;

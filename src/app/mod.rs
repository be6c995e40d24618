//! The interactive application: state and its reducer, keys, and the run loop.

pub mod compose;
pub mod keymap;
pub mod picker;
pub mod run;
pub mod shards;
pub mod state;
pub mod text_input;
pub mod view;

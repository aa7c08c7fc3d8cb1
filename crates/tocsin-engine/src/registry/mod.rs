//! The region registry: importing Vietnam's administrative units with their history, recording
//! later changes, and locating the commune that contains a point.

pub mod changes;
pub mod import;
pub mod locate;
pub mod names;
mod regions;
mod stations;

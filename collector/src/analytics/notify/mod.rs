//! Notifications: channels and subscriptions as the org file declares them (`config`),
//! which alert notices are due (`plan`, pure), when a subscription is due (`schedule`),
//! what each channel is sent (`payload`), and the delivery itself (`send`, native).

pub mod config;
pub mod payload;
pub mod plan;
pub mod schedule;
#[cfg(feature = "native")]
pub mod send;

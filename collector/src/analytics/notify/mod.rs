//! Notifications: channels and subscriptions as the org file declares them (`config`),
//! which alert notices are due (`plan`, pure), when a subscription is due (`schedule`),
//! what each channel is sent (`payload`), a subscription's report (`report`), its charts
//! drawn as PNG (`chart`, native) and the delivery itself (`send`, native).

#[cfg(feature = "native")]
pub mod chart;
pub mod config;
pub mod payload;
pub mod plan;
pub mod report;
pub mod schedule;
#[cfg(feature = "native")]
pub mod send;

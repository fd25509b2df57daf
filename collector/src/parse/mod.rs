//! Text in, typed records out: `lmutil lmstat -a` and `lmstat -i` outputs, FlexLM debug
//! logs (with their time stamps' dates and zones inferred), the collector's config, the org
//! file, durations, and Slurm's host lists, `sacct` accounting,
//! `scontrol show licenses` and `squeue`'s pending jobs. Pure: no I/O, no clock.

pub mod config;
pub mod debuglog;
pub mod duration;
pub mod hostlist;
pub mod lines;
pub mod lmstat;
pub mod lmstat_i;
pub mod org;
pub mod sacct;
pub mod scontrol;
pub mod squeue;
pub mod timeinfer;
pub mod zone;

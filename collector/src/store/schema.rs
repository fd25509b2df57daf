//! The published data contract: table names, their DDL and the schema version.
//!
//! The collector creates these tables; the site and any DuckDB client read them. Bump
//! [`SCHEMA_VERSION`] on any change a reader could notice.

/// Version of the published schema, written to `manifest.json`; the site refuses others.
/// Version 4 split the published data into monthly partitions and a current file; version 7
/// added integer ids for users, features and hosts to the usage rollups; version 8 Slurm's
/// jobs, the nodes they ran on, its license counts and pending jobs ([`COMPUTE_TABLES`]).
pub const SCHEMA_VERSION: u32 = 8;

/// Version of the store's own tables, recorded in the store; a store of another version is
/// refused. Equal to the published version until 3; version 4 of the published layout kept
/// store version 3. Store version 4 adds the checked-out counts to `usage_hourly`; a store
/// of version 3 is upgraded in place when opened ([`STORE_UPGRADES`]).
pub const STORE_VERSION: u32 = 4;

/// The statements that bring a store of the version before [`STORE_VERSION`] to it. Hours
/// stored before the split carry lmstat's in-use count as checked out: reserved seats
/// were not told apart then.
pub const STORE_UPGRADES: &[(&str, &str)] = &[(
    "3",
    "ALTER TABLE usage_hourly ADD COLUMN IF NOT EXISTS peak_checked_out INTEGER;
     ALTER TABLE usage_hourly ADD COLUMN IF NOT EXISTS sum_checked_out BIGINT;
     UPDATE usage_hourly SET peak_checked_out = peak_in_use, sum_checked_out = sum_in_use
     WHERE peak_checked_out IS NULL;",
)];

/// The columns of `slurm_pending`, the same in the store and the published files.
macro_rules! slurm_pending_columns {
    () => {
        "(
            ts TIMESTAMP NOT NULL,
            cluster VARCHAR NOT NULL,
            job_id VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            account VARCHAR,
            partition VARCHAR,
            reason VARCHAR NOT NULL,
            licenses VARCHAR NOT NULL,
            submitted_at TIMESTAMP
        )"
    };
}

/// All timestamps in the store and the published files are UTC, `TIMESTAMP` (no zone).
pub const TABLES: &[(&str, &str)] = &[
    (
        "polls",
        "CREATE TABLE IF NOT EXISTS polls (
            poll_id BIGINT PRIMARY KEY,
            server VARCHAR NOT NULL,
            ts TIMESTAMP NOT NULL,
            source VARCHAR NOT NULL,
            ok BOOLEAN NOT NULL,
            error VARCHAR,
            error_code VARCHAR,
            until TIMESTAMP NOT NULL,
            count INTEGER NOT NULL
        )",
    ),
    (
        "server_status",
        "CREATE TABLE IF NOT EXISTS server_status (
            poll_id BIGINT NOT NULL,
            ts TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            host VARCHAR NOT NULL,
            up BOOLEAN NOT NULL,
            master BOOLEAN NOT NULL,
            version VARCHAR,
            error VARCHAR,
            error_code VARCHAR
        )",
    ),
    (
        "vendor_status",
        "CREATE TABLE IF NOT EXISTS vendor_status (
            poll_id BIGINT NOT NULL,
            ts TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            vendor VARCHAR NOT NULL,
            up BOOLEAN NOT NULL,
            version VARCHAR,
            error VARCHAR,
            error_code VARCHAR
        )",
    ),
    (
        "feature_usage",
        "CREATE TABLE IF NOT EXISTS feature_usage (
            poll_id BIGINT NOT NULL,
            ts TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            vendor VARCHAR,
            feature VARCHAR NOT NULL,
            counting VARCHAR NOT NULL,
            issued INTEGER,
            in_use INTEGER,
            version VARCHAR,
            expiry VARCHAR,
            error VARCHAR
        )",
    ),
    (
        "sessions",
        "CREATE TABLE IF NOT EXISTS sessions (
            server VARCHAR NOT NULL,
            vendor VARCHAR,
            feature VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            host VARCHAR NOT NULL,
            display VARCHAR NOT NULL,
            version VARCHAR NOT NULL,
            server_host VARCHAR NOT NULL,
            handle BIGINT,
            licenses INTEGER NOT NULL,
            started_at TIMESTAMP,
            first_seen TIMESTAMP NOT NULL,
            last_seen TIMESTAMP NOT NULL,
            ended_at TIMESTAMP,
            source VARCHAR NOT NULL
        )",
    ),
    (
        "queued",
        "CREATE TABLE IF NOT EXISTS queued (
            poll_id BIGINT NOT NULL,
            ts TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            feature VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            host VARCHAR NOT NULL,
            display VARCHAR NOT NULL,
            version VARCHAR NOT NULL,
            handle BIGINT,
            licenses INTEGER NOT NULL
        )",
    ),
    (
        "reservations",
        "CREATE TABLE IF NOT EXISTS reservations (
            poll_id BIGINT NOT NULL,
            ts TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            feature VARCHAR NOT NULL,
            count INTEGER NOT NULL,
            kind VARCHAR NOT NULL,
            target VARCHAR NOT NULL
        )",
    ),
    (
        "events",
        "CREATE TABLE IF NOT EXISTS events (
            server VARCHAR NOT NULL,
            daemon VARCHAR NOT NULL,
            ts TIMESTAMP NOT NULL,
            kind VARCHAR NOT NULL,
            feature VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            host VARCHAR NOT NULL,
            licenses INTEGER NOT NULL,
            reason VARCHAR,
            code VARCHAR,
            seq INTEGER NOT NULL,
            source VARCHAR NOT NULL,
            line BIGINT NOT NULL
        )",
    ),
    (
        "entitlements",
        "CREATE TABLE IF NOT EXISTS entitlements (
            server VARCHAR NOT NULL,
            imported_at TIMESTAMP NOT NULL,
            feature VARCHAR NOT NULL,
            version VARCHAR NOT NULL,
            vendor VARCHAR NOT NULL,
            count INTEGER NOT NULL,
            expires DATE,
            expires_text VARCHAR NOT NULL,
            source VARCHAR NOT NULL
        )",
    ),
    (
        "usage_hourly",
        "CREATE TABLE IF NOT EXISTS usage_hourly (
            hour TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            vendor VARCHAR,
            feature VARCHAR NOT NULL,
            issued INTEGER NOT NULL,
            peak_in_use INTEGER NOT NULL,
            sum_in_use BIGINT NOT NULL,
            polls INTEGER NOT NULL,
            polls_full INTEGER NOT NULL,
            peak_checked_out INTEGER,
            sum_checked_out BIGINT
        )",
    ),
];

/// Tables only the collector's store has. `poll_runs` is kept current at ingest and
/// published as `polls`; the store's `polls` keeps every poll (re-imports are checked
/// against it).
pub const STORE_TABLES: &[(&str, &str)] = &[
    (
        "poll_runs",
        "CREATE TABLE IF NOT EXISTS poll_runs (
            poll_id BIGINT NOT NULL,
            server VARCHAR NOT NULL,
            ts TIMESTAMP NOT NULL,
            source VARCHAR NOT NULL,
            ok BOOLEAN NOT NULL,
            error VARCHAR,
            error_code VARCHAR,
            until TIMESTAMP NOT NULL,
            count INTEGER NOT NULL
        )",
    ),
    (
        // The integer id of every user, feature and host name ever published (`kind`:
        // `user`, `feature`, `host`), given once and never changed, so the immutable monthly
        // partitions of different publishes agree. Never published itself.
        "name_ids",
        "CREATE TABLE IF NOT EXISTS name_ids (
            kind VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            id INTEGER NOT NULL,
            PRIMARY KEY (kind, name)
        )",
    ),
    (
        // Slurm jobs from `sacct` (`import sacct`), one row per job, replaced as the job
        // moves on (pending, running, ended). `hosts`: the expanded node list, comma-separated;
        // `licenses`: what the job requested, `NAME:COUNT` comma-separated. Published as
        // `jobs` and `job_hosts` ([`COMPUTE_TABLES`]).
        "jobs",
        "CREATE TABLE IF NOT EXISTS jobs (
            cluster VARCHAR NOT NULL,
            job_id VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            account VARCHAR,
            partition VARCHAR,
            hosts VARCHAR NOT NULL,
            cpus INTEGER NOT NULL,
            gpus INTEGER NOT NULL,
            started_at TIMESTAMP,
            ended_at TIMESTAMP,
            state VARCHAR NOT NULL,
            licenses VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            PRIMARY KEY (cluster, job_id)
        )",
    ),
    (
        // `scontrol show licenses` as each poll or import saw it: what Slurm believes of
        // each license it schedules. The newest snapshot per cluster is published.
        "slurm_licenses",
        "CREATE TABLE IF NOT EXISTS slurm_licenses (
            ts TIMESTAMP NOT NULL,
            cluster VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            total INTEGER NOT NULL,
            used INTEGER NOT NULL,
            free INTEGER NOT NULL,
            reserved INTEGER NOT NULL,
            remote BOOLEAN NOT NULL,
            last_consumed INTEGER
        )",
    ),
    (
        // `squeue`'s pending jobs as each poll or import saw them, with why they wait.
        "slurm_pending",
        concat!(
            "CREATE TABLE IF NOT EXISTS slurm_pending ",
            slurm_pending_columns!()
        ),
    ),
    (
        // Per cluster: the end of the last `sacct` run stored (the next poll asks for what
        // changed from a little before it), and the times of the newest license and pending
        // job snapshots (an empty queue is a snapshot too).
        "slurm_marks",
        "CREATE TABLE IF NOT EXISTS slurm_marks (
            cluster VARCHAR PRIMARY KEY,
            sacct_until TIMESTAMP,
            licenses_at TIMESTAMP,
            pending_at TIMESTAMP
        )",
    ),
];

/// Rollups computed at publish time from the tables above, so long ranges stay small for
/// the browser: `usage_daily` from `usage_hourly`, `user_daily` from the published sessions,
/// and the latest state of every feature, host and vendor daemon (`*_now`) so the first
/// view reads a few hundred rows, not a year of changes.
pub const ROLLUP_TABLES: &[(&str, &str)] = &[
    (
        "feature_now",
        "CREATE TABLE feature_now (
            ts TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            vendor VARCHAR,
            feature VARCHAR NOT NULL,
            counting VARCHAR NOT NULL,
            issued INTEGER,
            in_use INTEGER,
            version VARCHAR,
            expiry VARCHAR,
            error VARCHAR,
            reserved INTEGER NOT NULL,
            checked_out INTEGER
        )",
    ),
    (
        "host_now",
        "CREATE TABLE host_now (
            ts TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            host VARCHAR NOT NULL,
            up BOOLEAN NOT NULL,
            master BOOLEAN NOT NULL,
            version VARCHAR,
            error VARCHAR
        )",
    ),
    (
        "vendor_now",
        "CREATE TABLE vendor_now (
            ts TIMESTAMP NOT NULL,
            server VARCHAR NOT NULL,
            vendor VARCHAR NOT NULL,
            up BOOLEAN NOT NULL,
            version VARCHAR,
            error VARCHAR
        )",
    ),
    (
        "usage_daily",
        "CREATE TABLE usage_daily (
            day DATE NOT NULL,
            server VARCHAR NOT NULL,
            vendor VARCHAR,
            feature VARCHAR NOT NULL,
            issued INTEGER NOT NULL,
            peak_in_use INTEGER NOT NULL,
            sum_in_use BIGINT NOT NULL,
            polls INTEGER NOT NULL,
            polls_full INTEGER NOT NULL,
            peak_checked_out INTEGER,
            sum_checked_out BIGINT
        )",
    ),
    (
        // Sessions by the day and hour (UTC) they started, with their license-hours (to
        // their end, or the last poll that saw them while open), from the file's own
        // sessions: the peak checkout hours without a filter read these, not every session.
        // Placed as the sessions are, by the month they ended in (NULL while open).
        "checkout_hourly",
        "CREATE TABLE checkout_hourly (
            ended_month DATE,
            day DATE NOT NULL,
            hour INTEGER NOT NULL,
            sessions INTEGER NOT NULL,
            license_hours DOUBLE NOT NULL
        )",
    ),
    (
        // The names of the ids in the usage rollups (every id ever given, aliased as the
        // rollups' names are when pseudonymized): the grouped views sum by id and then name
        // the groups from these.
        "user_names",
        "CREATE TABLE user_names (user_id INTEGER NOT NULL, user_name VARCHAR NOT NULL)",
    ),
    (
        "feature_names",
        "CREATE TABLE feature_names (feature_id INTEGER NOT NULL, feature VARCHAR NOT NULL)",
    ),
    (
        "host_names",
        "CREATE TABLE host_names (host_id INTEGER NOT NULL, host VARCHAR NOT NULL)",
    ),
    (
        "user_daily",
        "CREATE TABLE user_daily (
            day DATE NOT NULL,
            server VARCHAR NOT NULL,
            vendor VARCHAR,
            feature VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            host VARCHAR NOT NULL,
            license_hours DOUBLE NOT NULL,
            hours DOUBLE NOT NULL,
            sessions INTEGER NOT NULL,
            peak_licenses INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            feature_id INTEGER NOT NULL,
            host_id INTEGER NOT NULL
        )",
    ),
    (
        "person_monthly",
        "CREATE TABLE person_monthly (
            month DATE NOT NULL,
            user_name VARCHAR NOT NULL,
            license_hours DOUBLE NOT NULL,
            hours DOUBLE NOT NULL,
            sessions INTEGER NOT NULL,
            peak_licenses INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            feature_ids INTEGER[] NOT NULL
        )",
    ),
    (
        // `user_daily` summed per person and day: the views by day or weekday that need
        // nothing but the person read a third of the rows.
        "person_daily",
        "CREATE TABLE person_daily (
            day DATE NOT NULL,
            user_name VARCHAR NOT NULL,
            license_hours DOUBLE NOT NULL,
            hours DOUBLE NOT NULL,
            sessions INTEGER NOT NULL,
            peak_licenses INTEGER NOT NULL,
            user_id INTEGER NOT NULL
        )",
    ),
    (
        // `user_monthly` summed per person and feature (servers, vendors and hosts merged):
        // who uses which feature over whole months.
        "person_feature_monthly",
        "CREATE TABLE person_feature_monthly (
            month DATE NOT NULL,
            feature VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            license_hours DOUBLE NOT NULL,
            hours DOUBLE NOT NULL,
            sessions INTEGER NOT NULL,
            peak_licenses INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            feature_id INTEGER NOT NULL
        )",
    ),
    (
        // `user_daily` summed per day, with the ids of the day's users: each day's (or
        // weekday's, month's) users.
        "daily_users",
        "CREATE TABLE daily_users (
            day DATE NOT NULL,
            license_hours DOUBLE NOT NULL,
            hours DOUBLE NOT NULL,
            sessions INTEGER NOT NULL,
            peak_licenses INTEGER NOT NULL,
            user_ids INTEGER[] NOT NULL
        )",
    ),
    (
        // `user_monthly` summed per feature, with the ids of the month's users: each
        // feature's users over whole months.
        "feature_monthly",
        "CREATE TABLE feature_monthly (
            month DATE NOT NULL,
            feature VARCHAR NOT NULL,
            feature_id INTEGER NOT NULL,
            license_hours DOUBLE NOT NULL,
            hours DOUBLE NOT NULL,
            sessions INTEGER NOT NULL,
            peak_licenses INTEGER NOT NULL,
            user_ids INTEGER[] NOT NULL
        )",
    ),
    (
        "user_monthly",
        "CREATE TABLE user_monthly (
            month DATE NOT NULL,
            server VARCHAR NOT NULL,
            vendor VARCHAR,
            feature VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            host VARCHAR NOT NULL,
            license_hours DOUBLE NOT NULL,
            hours DOUBLE NOT NULL,
            sessions INTEGER NOT NULL,
            peak_licenses INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            feature_id INTEGER NOT NULL,
            host_id INTEGER NOT NULL
        )",
    ),
];

/// Slurm's side, from the store's `jobs`, `slurm_licenses` and `slurm_pending`: licenses
/// set against compute. `jobs` one row per job (`cluster` as Slurm names it, `host` its first
/// node: the org's cluster of that node, when the org file places it, is the job's cluster), `job_hosts` one row per node a job ran on (the site
/// matches checkouts to running jobs by user and host on it), and the newest snapshot per
/// cluster of Slurm's license counts and of its pending jobs. Added in schema 8.
pub const COMPUTE_TABLES: &[(&str, &str)] = &[
    (
        "jobs",
        "CREATE TABLE jobs (
            cluster VARCHAR NOT NULL,
            job_id VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            account VARCHAR,
            partition VARCHAR,
            host VARCHAR,
            nodes INTEGER NOT NULL,
            cpus INTEGER NOT NULL,
            gpus INTEGER NOT NULL,
            started_at TIMESTAMP,
            ended_at TIMESTAMP,
            state VARCHAR NOT NULL,
            licenses VARCHAR NOT NULL
        )",
    ),
    (
        "job_hosts",
        "CREATE TABLE job_hosts (
            cluster VARCHAR NOT NULL,
            job_id VARCHAR NOT NULL,
            user_name VARCHAR NOT NULL,
            host VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            ended_at TIMESTAMP
        )",
    ),
    (
        "slurm_licenses",
        "CREATE TABLE slurm_licenses (
            ts TIMESTAMP NOT NULL,
            cluster VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            feature VARCHAR NOT NULL,
            total INTEGER NOT NULL,
            used INTEGER NOT NULL,
            free INTEGER NOT NULL,
            reserved INTEGER NOT NULL,
            remote BOOLEAN NOT NULL,
            last_consumed INTEGER
        )",
    ),
    (
        "slurm_pending",
        concat!("CREATE TABLE slurm_pending ", slurm_pending_columns!()),
    ),
];

/// Dimension tables from the org file, written by `publish --org`. Users and hosts seen in
/// the data but unknown to the org file appear with team, department, cost center and
/// cluster `unassigned`, so joins never drop usage.
pub const ORG_TABLES: &[(&str, &str)] = &[
    (
        "org_people",
        "CREATE TABLE org_people (
            user_name VARCHAR PRIMARY KEY,
            display_name VARCHAR NOT NULL,
            team VARCHAR NOT NULL,
            department VARCHAR NOT NULL,
            cost_center VARCHAR NOT NULL
        )",
    ),
    (
        "org_departments",
        "CREATE TABLE org_departments (
            department VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            cost_center VARCHAR,
            budget DOUBLE
        )",
    ),
    (
        "org_teams",
        "CREATE TABLE org_teams (
            team VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            department VARCHAR NOT NULL,
            cost_center VARCHAR
        )",
    ),
    (
        "org_hosts",
        "CREATE TABLE org_hosts (host VARCHAR PRIMARY KEY, cluster VARCHAR NOT NULL)",
    ),
    (
        "org_cluster_patterns",
        "CREATE TABLE org_cluster_patterns (cluster VARCHAR NOT NULL, pattern VARCHAR NOT NULL)",
    ),
    (
        "org_prices",
        "CREATE TABLE org_prices (
            feature VARCHAR NOT NULL,
            vendor VARCHAR,
            per_seat_year DOUBLE NOT NULL,
            currency VARCHAR NOT NULL
        )",
    ),
    (
        "org_pools",
        "CREATE TABLE org_pools (
            team VARCHAR NOT NULL,
            feature VARCHAR NOT NULL,
            reserved INTEGER NOT NULL,
            priority INTEGER NOT NULL
        )",
    ),
    (
        "org_projects",
        "CREATE TABLE org_projects (
            project VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            budget DOUBLE,
            currency VARCHAR NOT NULL,
            start_date DATE,
            end_date DATE
        )",
    ),
    (
        "org_project_members",
        "CREATE TABLE org_project_members (project VARCHAR NOT NULL, user_name VARCHAR NOT NULL)",
    ),
    (
        // Project phases (`[[project.phase]]`). Added after version 2 was published; readers
        // treat a missing table as no phases.
        "org_project_phases",
        "CREATE TABLE org_project_phases (project VARCHAR NOT NULL, phase VARCHAR NOT NULL, start_date DATE NOT NULL, end_date DATE NOT NULL)",
    ),
    (
        // Alert rules (`[[alert]]`), each as the JSON of `alerts::Rule`, in file order.
        // Added after version 2 was published; readers treat a missing table as no rules.
        "org_alerts",
        "CREATE TABLE org_alerts (position INTEGER NOT NULL, name VARCHAR NOT NULL, definition VARCHAR NOT NULL)",
    ),
];

/// Names of all published tables: facts, rollups, Slurm's, then org dimensions.
pub fn table_names() -> impl Iterator<Item = &'static str> {
    TABLES
        .iter()
        .chain(ROLLUP_TABLES)
        .chain(COMPUTE_TABLES)
        .chain(ORG_TABLES)
        .map(|(name, _)| *name)
}

/// Tables published in monthly partitions (`publish`: one immutable file per closed month),
/// each with the column whose month places a row. A session belongs to the month it ended
/// in; open sessions, and every table not listed here, are in the current file only.
pub const PARTITIONED: &[(&str, &str)] = &[
    ("server_status", "ts"),
    ("vendor_status", "ts"),
    ("feature_usage", "ts"),
    ("queued", "ts"),
    ("reservations", "ts"),
    ("events", "ts"),
    ("usage_hourly", "hour"),
    ("usage_daily", "day"),
    ("user_daily", "day"),
    ("user_monthly", "month"),
    ("person_monthly", "month"),
    ("person_daily", "day"),
    ("person_feature_monthly", "month"),
    ("feature_monthly", "month"),
    ("daily_users", "day"),
    ("checkout_hourly", "ended_month"),
    ("sessions", "ended_at"),
    ("jobs", "ended_at"),
    ("job_hosts", "ended_at"),
];

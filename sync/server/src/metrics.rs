//! Counters for `/metrics`, in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use super::store::StoreStats;

/// The endpoints counted separately.
pub const ENDPOINTS: [&str; 13] = [
    "health",
    "metrics",
    "login",
    "push",
    "pull",
    "telemetry_batch",
    "telemetry_live",
    "training_sessions",
    "training_push",
    "training_pull",
    "training_telemetry_batch",
    "training_telemetry_live",
    "other",
];

/// The upper bounds (seconds) of the request-duration histogram's buckets.
pub const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One endpoint's request durations: a count per bucket (the last is +Inf), and the sum.
#[derive(Debug, Default)]
struct Durations {
    buckets: [AtomicU64; DURATION_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

/// The endpoint a route belongs to, by its path pattern (as the router matched it).
pub fn endpoint_of(route: &str) -> &'static str {
    match route {
        "/health" => "health",
        "/metrics" => "metrics",
        "/api/v1/login" | "/api/v1/logout" => "login",
        "/api/v1/push" => "push",
        "/api/v1/pull" => "pull",
        "/api/v1/telemetry/batch" => "telemetry_batch",
        "/api/v1/telemetry/live" => "telemetry_live",
        "/api/v1/training/sessions/{id}/push" => "training_push",
        "/api/v1/training/sessions/{id}/pull" => "training_pull",
        "/api/v1/training/sessions/{id}/telemetry/batch" => "training_telemetry_batch",
        "/api/v1/training/sessions/{id}/telemetry/live" => "training_telemetry_live",
        route if route.starts_with("/api/v1/training/sessions") => "training_sessions",
        _ => "other",
    }
}

/// Live counters, shared by every request.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [AtomicU64; ENDPOINTS.len()],
    durations: [Durations; ENDPOINTS.len()],
    ops_accepted: AtomicU64,
    ops_rejected: AtomicU64,
    logins_failed: AtomicU64,
    telemetry_points: AtomicU64,
    live_subscribers: AtomicU64,
    backups_taken: AtomicU64,
    backups_failed: AtomicU64,
    last_backup_unix: AtomicU64,
}

impl Metrics {
    /// Counts one request to `endpoint` (one of [`ENDPOINTS`]).
    pub fn request(&self, endpoint: &str) {
        let index = ENDPOINTS
            .iter()
            .position(|e| *e == endpoint)
            .unwrap_or(ENDPOINTS.len() - 1);
        self.requests[index].fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long a request to `endpoint` took (to its response's head; a WebSocket's
    /// to its upgrade).
    pub fn duration(&self, endpoint: &str, took: std::time::Duration) {
        let index = ENDPOINTS
            .iter()
            .position(|e| *e == endpoint)
            .unwrap_or(ENDPOINTS.len() - 1);
        let seconds = took.as_secs_f64();
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(DURATION_BUCKETS.len());
        let durations = &self.durations[index];
        durations.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        durations.sum_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Counts verdicts.
    pub fn ops(&self, accepted: u64, rejected: u64) {
        self.ops_accepted.fetch_add(accepted, Ordering::Relaxed);
        self.ops_rejected.fetch_add(rejected, Ordering::Relaxed);
    }

    /// Counts a refused login.
    pub fn login_failed(&self) {
        self.logins_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts telemetry points taken in.
    pub fn telemetry_points(&self, count: u64) {
        self.telemetry_points.fetch_add(count, Ordering::Relaxed);
    }

    /// A console started (`true`) or stopped following the live relay.
    pub fn live_subscriber(&self, joined: bool) {
        if joined {
            self.live_subscribers.fetch_add(1, Ordering::Relaxed);
        } else {
            self.live_subscribers.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Counts a scheduled backup; `taken_at` (Unix seconds) when it succeeded.
    pub fn backup(&self, taken_at: Option<u64>) {
        match taken_at {
            Some(at) => {
                self.backups_taken.fetch_add(1, Ordering::Relaxed);
                self.last_backup_unix.store(at, Ordering::Relaxed);
            }
            None => {
                self.backups_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The request-duration histogram, one series per endpoint.
    fn render_durations(&self, out: &mut String) {
        let name = "galaxium_http_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} How long requests took, by endpoint.\n# TYPE {name} histogram"
        );
        for (endpoint, durations) in ENDPOINTS.iter().zip(&self.durations) {
            let mut cumulative = 0;
            for (bound, count) in DURATION_BUCKETS.iter().zip(&durations.buckets) {
                cumulative += count.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{name}_bucket{{endpoint=\"{endpoint}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            cumulative += durations.buckets[DURATION_BUCKETS.len()].load(Ordering::Relaxed);
            #[allow(
                clippy::cast_precision_loss,
                reason = "a sum of microseconds, shown in seconds"
            )]
            let sum = durations.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "{name}_bucket{{endpoint=\"{endpoint}\",le=\"+Inf\"}} {cumulative}\n{name}_sum{{endpoint=\"{endpoint}\"}} {sum}\n{name}_count{{endpoint=\"{endpoint}\"}} {cumulative}"
            );
        }
    }

    /// The exposition text.
    pub fn render(&self, stats: StoreStats) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP galaxium_http_requests_total HTTP requests by endpoint."
        );
        let _ = writeln!(out, "# TYPE galaxium_http_requests_total counter");
        for (endpoint, count) in ENDPOINTS.iter().zip(&self.requests) {
            let _ = writeln!(
                out,
                "galaxium_http_requests_total{{endpoint=\"{endpoint}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        self.render_durations(&mut out);
        let counters = [
            (
                "galaxium_ops_accepted_total",
                "Ops accepted by the server.",
                &self.ops_accepted,
            ),
            (
                "galaxium_ops_rejected_total",
                "Ops rejected by the server.",
                &self.ops_rejected,
            ),
            (
                "galaxium_logins_failed_total",
                "Refused sign-ins.",
                &self.logins_failed,
            ),
            (
                "galaxium_telemetry_points_total",
                "Telemetry points taken in from producers.",
                &self.telemetry_points,
            ),
            (
                "galaxium_backups_taken_total",
                "Scheduled copies of the database taken.",
                &self.backups_taken,
            ),
            (
                "galaxium_backups_failed_total",
                "Scheduled copies of the database that failed.",
                &self.backups_failed,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let gauges = [
            (
                "galaxium_connected_devices",
                "Devices seen in the last five minutes.",
                stats.connected_devices,
            ),
            (
                "galaxium_pull_lag_ops",
                "Ops the furthest-behind connected device has not pulled.",
                stats.pull_lag,
            ),
            (
                "galaxium_head_cursor",
                "The newest op's cursor.",
                stats.head_cursor,
            ),
            (
                "galaxium_live_subscribers",
                "Consoles following the live telemetry relay.",
                self.live_subscribers.load(Ordering::Relaxed),
            ),
            (
                "galaxium_last_backup_timestamp_seconds",
                "When the last scheduled copy was taken (Unix seconds; 0: none yet).",
                self.last_backup_unix.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

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

/// Live counters, shared by every request.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [AtomicU64; ENDPOINTS.len()],
    ops_accepted: AtomicU64,
    ops_rejected: AtomicU64,
    logins_failed: AtomicU64,
    telemetry_points: AtomicU64,
    live_subscribers: AtomicU64,
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

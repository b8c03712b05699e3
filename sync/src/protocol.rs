//! Wire types shared by the sync client and the server, versioned.
//!
//! Every API request carries the [`PROTOCOL_HEADER`]; the server accepts [`PROTOCOL_VERSION`]
//! and the one before it, and answers anything else with 400 and the versions it speaks.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// The oldest version the server still accepts.
pub const OLDEST_ACCEPTED_VERSION: u32 = if PROTOCOL_VERSION > 1 {
    PROTOCOL_VERSION - 1
} else {
    // There was never a version 0.
    1
};

/// The earliest time (Unix seconds) a telemetry point or a mission clock may name: 2000-01-01.
pub const EARLIEST_TIME: f64 = 946_684_800.0;
/// The latest: 2100-01-01 (a training clock may run far ahead, never this far).
pub const LATEST_TIME: f64 = 4_102_444_800.0;

/// Whether `t` can anchor a mission clock: finite and within the century on either side of
/// 1970 (the wall clock's own anchors are 0).
fn anchor_ok(t: f64) -> bool {
    t.is_finite() && t.abs() <= LATEST_TIME
}

/// Whether `t` (Unix seconds) is a time this system can have met.
pub fn is_plausible_time(t: f64) -> bool {
    (EARLIEST_TIME..=LATEST_TIME).contains(&t)
}
/// The request header that carries the protocol version.
pub const PROTOCOL_HEADER: &str = "galaxium-protocol";
/// The request header that names the pulling device (for the pull-lag metric).
pub const DEVICE_HEADER: &str = "galaxium-device";
/// How often the telemetry relay pings a quiet console, so a dead connection is noticed.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(15);
/// The close code the relay sends when the sign-in behind a connection expires.
pub const CLOSE_SIGN_IN_EXPIRED: u16 = 4001;

/// The device id under which the server records the ops it makes itself (repairs); no
/// console may push under it.
pub const SERVER_DEVICE: &str = "galaxium-server";
/// At most this many ops in one push.
pub const MAX_PUSH_OPS: usize = 5_000;
/// At most this many ops in one page of a pull.
pub const MAX_PULL_OPS: usize = 5_000;
/// The most bytes of ops one pull page carries (it always carries at least one op): large ops
/// (an incident's attachments) come a few to a page, so a pull never holds the server's
/// memory at the size of everything asked for.
pub const MAX_PULL_BYTES: usize = 8 * 1024 * 1024;

/// What kind of change an op is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    /// A new row; the payload is the whole row.
    Insert,
    /// Named columns changed; the payload holds just those.
    Update,
    /// The row is gone (a tombstone); the payload is empty.
    Delete,
}

impl OpKind {
    /// The word stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Insert => "insert",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    /// Reads the stored word.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "insert" => Some(Self::Insert),
            "update" => Some(Self::Update),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// One change to one row, as a console made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// UUIDv7 of the op.
    pub op_id: String,
    /// The device that made it.
    pub device_id: String,
    /// Its per-device sequence number (1, 2, 3, …).
    pub seq: u64,
    /// Hybrid-logical-clock time of the change.
    pub hlc: String,
    /// The table.
    pub table: String,
    /// The row's id.
    pub row_id: String,
    /// What kind of change.
    pub kind: OpKind,
    /// Column values.
    pub payload: Map<String, Value>,
}

/// `POST /api/v1/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    /// User name.
    pub user: String,
    /// Password; never stored by the client.
    pub password: String,
    /// The console signing in: the server binds the token to this device, and a push or
    /// pull with the token is that device's, whatever the request says. Left out by a
    /// telemetry producer (and by consoles older than device keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceClaim>,
}

/// A console's claim to its device id: the id and a secret key that only its replica holds.
/// The first sign-in with a key registers the device; later ones must bring the same key.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeviceClaim {
    /// The device id the replica's ops carry.
    pub id: String,
    /// The replica's device key (random, 256 bits as hex); the server keeps only its hash.
    pub key: String,
    /// Whether the replica is a training sandbox: a sandbox's sign-in can never push to
    /// operational tables.
    #[serde(default)]
    pub training: bool,
}

impl std::fmt::Debug for DeviceClaim {
    // The key is a secret: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceClaim")
            .field("id", &self.id)
            .field("training", &self.training)
            .finish_non_exhaustive()
    }
}

/// Whether `id` is a device id a console may have: 1 to 64 letters, digits and dashes
/// (a UUID is), and not the server's own.
pub fn is_device_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && id != SERVER_DEVICE
}

/// The answer to a good login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for the other endpoints.
    pub token: String,
    /// When it stops working (RFC 3339 UTC).
    pub expires_at: String,
    /// The user's role.
    pub role: String,
}

/// `POST /api/v1/push`: a batch of one device's ops, in sequence order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    /// The pushing device.
    pub device_id: String,
    /// The ops.
    pub ops: Vec<Op>,
    /// Whether they come from a training sandbox. The operational endpoint refuses such a
    /// push whole (older consoles leave it out; the server also remembers sandbox devices).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub training: bool,
    /// The server epoch the pushing console last pulled in. When the server is in another
    /// (it was restored from a copy since), the push is refused whole with 412, before any
    /// op is judged: the console pulls first, learns the epoch, and sends again what the copy
    /// lacks (older consoles leave it out, and are not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
}

/// The server's verdict on one pushed op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum OpResult {
    /// Stored and ordered; it will come back in pulls.
    Accepted {
        /// The op.
        op_id: String,
    },
    /// Refused; the console puts it in its conflicts inbox.
    Rejected {
        /// The op.
        op_id: String,
        /// Why, in words a person understands.
        reason: String,
        /// The server's current version of the row (what won), if it has one.
        winner: Option<Map<String, Value>>,
        /// Which rule refused it, so a console offers the right way out without reading the
        /// words. Older servers leave it out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<RefusalRule>,
    },
}

/// The rule that refused an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalRule {
    /// The op names another device than the push.
    Device,
    /// No such replicated table.
    Table,
    /// The signed-in role may not write the table.
    Role,
    /// A column the table does not have, or a new row without every column.
    Column,
    /// A value outside its column's rule.
    Value,
    /// The op's clock time cannot be read.
    Clock,
    /// The table's rows are only ever added.
    AppendOnly,
    /// A different row with the same id exists.
    RowExists,
    /// The row does not exist on the server.
    RowMissing,
    /// The row was deleted on the server.
    RowDeleted,
    /// A reference to a row that does not exist.
    Reference,
    /// A status move the table's state machine forbids.
    Transition,
    /// A resource another row holds (one active booking per seat).
    Exclusive,
    /// A name or code another row holds.
    UniqueKey,
    /// A row other rows still refer to.
    StillUsed,
    /// A commanding rule: the command dictionary's roles, arguments and hazards, or
    /// two-person approval.
    Command,
    /// A launch-day rule: who answers for a go/no-go position, who waives a criterion and
    /// calls the poll, when GO may be called, who overrides a NO-GO at check-in.
    LaunchDay,
}

impl RefusalRule {
    /// The word stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Device => "device",
            Self::Table => "table",
            Self::Role => "role",
            Self::Column => "column",
            Self::Value => "value",
            Self::Clock => "clock",
            Self::AppendOnly => "append_only",
            Self::RowExists => "row_exists",
            Self::RowMissing => "row_missing",
            Self::RowDeleted => "row_deleted",
            Self::Reference => "reference",
            Self::Transition => "transition",
            Self::Exclusive => "exclusive",
            Self::UniqueKey => "unique_key",
            Self::StillUsed => "still_used",
            Self::Command => "command",
            Self::LaunchDay => "launch_day",
        }
    }

    /// Reads the stored word.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(Value::String(text.to_owned())).ok()
    }
}

/// The answer to a push: one result per op, in the same order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    /// Per-op results.
    pub results: Vec<OpResult>,
    /// The server's clock when it answered (RFC 3339 UTC), so a console can tell the
    /// operator that its own clock is wrong. Older servers leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<String>,
}

/// How far ahead of the server's clock an op's clock time may be. An op stamped later is
/// taken at the server's time instead: a console with a wrong clock must not win every
/// later edit of the columns it touched.
pub const MAX_CLOCK_AHEAD: std::time::Duration = std::time::Duration::from_mins(5);

/// A refusal the server reached after it had accepted an op: when it repaired rows that an
/// older version had let break a rule, it removed them with an op of its own that carries
/// this notice, so that the console that wrote the row finds the refusal in its inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusalNotice {
    /// The console whose op is refused.
    pub device_id: String,
    /// The refused op.
    pub op_id: String,
    /// What kind of change it was.
    pub kind: OpKind,
    /// Why, in words.
    pub reason: String,
    /// Which rule refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RefusalRule>,
    /// The row as that console wrote it.
    pub attempted: Map<String, Value>,
}

/// An op as the server ordered it. For updates the payload holds only the columns that won.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerOp {
    /// The server's position of this op; pull after it to continue.
    pub cursor: u64,
    /// The op.
    #[serde(flatten)]
    pub op: Op,
    /// For an op the server made to repair its data: the refusal it tells the author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<RefusalNotice>,
    /// Who made it: the user the server authenticated when it took the op (never what the
    /// console said); `None` from servers older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// Which history of the server's op log cursors count in. A server keeps its epoch for life;
/// putting it back to a copy (a restore) starts a new one, `since` the copy's newest cursor:
/// a console that pulled further than that in the old epoch pulls again from there, and sends
/// again what it had sent since (see [`crate::Replica::follow_server_epoch`]). Another
/// database altogether is another server: a console pulls it from the start and sends
/// nothing again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerEpoch {
    /// The server database's id: the same for its copies, another for another server's.
    pub database: String,
    /// The epoch's id.
    pub id: String,
    /// The newest cursor the server held when the epoch began.
    pub since: u64,
}

/// `GET /api/v1/pull?after=CURSOR&limit=N`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    /// Ops after the cursor, in order.
    pub ops: Vec<ServerOp>,
    /// Pull after this next time.
    pub next_cursor: u64,
    /// Whether more ops are waiting beyond this page.
    pub more: bool,
    /// The server's epoch (`None` from servers older than epochs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<ServerEpoch>,
}

/// Every error the server answers has this body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong and what to do.
    pub error: String,
}

/// A command sent to the vehicle through the server, as the ground segment receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UplinkCommand {
    /// The command's id.
    pub id: String,
    /// Its name in the command dictionary.
    pub name: String,
    /// Its arguments.
    pub arguments: Map<String, Value>,
    /// Who queued it.
    pub queued_by: String,
}

/// The commands sent to the vehicle since a cursor, for the ground segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UplinkCommands {
    /// In the order they were sent.
    pub commands: Vec<UplinkCommand>,
    /// Ask after this next time.
    pub next_after: u64,
}

/// At most this many points in one telemetry batch.
pub const MAX_TELEMETRY_POINTS: usize = 20_000;
/// The longest channel id the server takes.
pub const MAX_CHANNEL_ID: usize = 64;

/// One measured value of one telemetry channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelemetryPoint {
    /// When it was measured, Unix seconds (UTC).
    pub t: f64,
    /// The channel's id in the telemetry dictionary, such as `cabin_pressure`.
    pub channel: String,
    /// The value, in the channel's unit.
    pub value: f64,
}

/// `POST /api/v1/telemetry/batch`: what a ground-segment producer sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TelemetryBatch {
    /// The points, in any order.
    pub points: Vec<TelemetryPoint>,
}

impl TelemetryBatch {
    /// Why the batch cannot be taken, naming the first bad point, or `None` when it is good.
    pub fn problem(&self) -> Option<String> {
        if self.points.is_empty() {
            return Some("the batch has no points".to_owned());
        }
        if self.points.len() > MAX_TELEMETRY_POINTS {
            return Some(format!(
                "{} points in one batch; send at most {MAX_TELEMETRY_POINTS}",
                self.points.len()
            ));
        }
        self.points.iter().enumerate().find_map(|(i, p)| {
            let channel_ok = !p.channel.is_empty()
                && p.channel.len() <= MAX_CHANNEL_ID
                && p
                    .channel
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
            if !channel_ok {
                Some(format!(
                    "point {i}: channel {:?} is not a channel id (1 to {MAX_CHANNEL_ID} letters, digits, '_' or '.')",
                    p.channel
                ))
            } else if !is_plausible_time(p.t) {
                Some(format!(
                    "point {i} ({}): time {} is not Unix seconds",
                    p.channel, p.t
                ))
            } else if !p.value.is_finite() {
                Some(format!(
                    "point {i} ({}): value {} is not a finite number",
                    p.channel, p.value
                ))
            } else {
                None
            }
        })
    }
}

/// The answer to a telemetry batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelemetryAccepted {
    /// Points stored.
    pub accepted: usize,
    /// The relay sequence number of the last of them.
    pub last_seq: u64,
}

/// One message on the live relay (`GET /api/v1/telemetry/live`, a WebSocket): points stored
/// with consecutive sequence numbers `first_seq..=last_seq`. A console that reconnects asks for
/// what came after the last sequence number it saw (`?after=SEQ`) and misses nothing the
/// server still holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelemetryFrame {
    /// The sequence number of the first point.
    pub first_seq: u64,
    /// The sequence number of the last point.
    pub last_seq: u64,
    /// The points.
    pub points: Vec<TelemetryPoint>,
}

/// The fastest a trainer may run a training session's mission clock.
pub const MAX_CLOCK_RATE: f64 = 60.0;

/// A mission clock: wall time (Unix seconds) mapped to mission time, running `rate` times as
/// fast. Operations run at rate 1 on the wall clock; a trainer may run a session's clock up to
/// [`MAX_CLOCK_RATE`] times as fast, and every console joined to the session follows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MissionClock {
    /// Mission seconds per wall second, 1 to [`MAX_CLOCK_RATE`].
    pub rate: f64,
    /// A wall time (Unix seconds)…
    pub anchor_wall: f64,
    /// …and the mission time (Unix seconds) it mapped to.
    pub anchor_mission: f64,
    /// When the mission started (mission time, Unix seconds), if it has: the zero of its
    /// elapsed time (MET) on every console that follows the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mission_start: Option<f64>,
}

impl Default for MissionClock {
    fn default() -> Self {
        Self::WALL
    }
}

impl MissionClock {
    /// The wall clock itself.
    pub const WALL: Self = Self {
        rate: 1.0,
        anchor_wall: 0.0,
        anchor_mission: 0.0,
        mission_start: None,
    };

    /// Mission time (Unix seconds) at wall time `wall`.
    pub fn mission(&self, wall: f64) -> f64 {
        self.anchor_mission + (wall - self.anchor_wall) * self.rate
    }

    /// The same mission time at `wall`, running at `rate` from then on.
    #[must_use]
    pub fn with_rate(&self, rate: f64, wall: f64) -> Self {
        Self {
            rate,
            anchor_wall: wall,
            anchor_mission: self.mission(wall),
            mission_start: self.mission_start,
        }
    }

    /// Why the clock cannot be used, or `None` when it can.
    pub fn problem(&self) -> Option<String> {
        if !(1.0..=MAX_CLOCK_RATE).contains(&self.rate) {
            Some(format!(
                "clock rate {} is outside x1 to x{MAX_CLOCK_RATE}",
                self.rate
            ))
        } else if !anchor_ok(self.anchor_wall)
            || !anchor_ok(self.anchor_mission)
            || self.mission_start.is_some_and(|t| !is_plausible_time(t))
        {
            Some("the clock's anchors are not Unix seconds before 2100".to_owned())
        } else {
            None
        }
    }
}

/// `POST /api/v1/training/sessions`: a trainer opens a session for a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewTrainingSession {
    /// The scenario's id (as in `assets/scenarios`).
    pub scenario: String,
    /// The users who take part besides the trainer opening it: only members read or write a
    /// session.
    #[serde(default)]
    pub members: Vec<String>,
}

/// A training session: its own namespace of replicated rows and telemetry on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSession {
    /// Its id (a UUID).
    pub id: String,
    /// The scenario it plays.
    pub scenario: String,
    /// The trainer who opened it.
    pub created_by: String,
    /// When (RFC 3339 UTC).
    pub created_at: String,
    /// The clock the trainer runs it on.
    pub clock: MissionClock,
}

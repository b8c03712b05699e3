//! Boarding passes: a PDF per passenger with a QR code the gate checks offline.
//!
//! The QR holds `GXBP1.<booking>.<launch>.<seat>.<key>.<tag>`, where the tag is an
//! HMAC-SHA256 (its first 16 bytes, base64url) of everything before it, under a key kept in
//! the replicated `pass_keys` table. The key reaches only the roles that may read personal
//! data (the server blanks it for the others), so every check-in desk and gate of the
//! operation can issue and check passes offline, and nobody without a key can make one: an
//! edited seat, booking or launch no longer matches its tag. The first desk that needs a key
//! and holds none makes one; two desks offline at once may each make one, and both are kept
//! (a pass names its key). What the QR says is then checked against the replica: the booking
//! must be on the gate's launch, checked in, in that seat and not boarded yet.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use galaxium_sync::Replica;
use galaxium_sync::replica;
use galaxium_sync::time::stored;
use hmac::{Hmac, Mac as _};
use pdf_writer::{Content, Name};
use rusqlite::{Connection, OptionalExtension as _};
use serde_json::json;
use sha2::Sha256;

use super::actions::{BookingError, object};
use super::manifest::{one_page_pdf, pdf_text};
use super::model::{Booking, BookingStatus, LaunchStatus};

/// What every pass's content starts with.
pub const PASS_PREFIX: &str = "GXBP1";
const TAG_BYTES: usize = 16;
const KEY_BYTES: usize = 32;

/// A key boarding passes are signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassKey {
    /// Its id, named in every pass it signs.
    pub id: String,
    secret: Vec<u8>,
}

fn b64url() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// The keys this console holds (none where its role may not read them).
fn keys(conn: &Connection) -> rusqlite::Result<Vec<PassKey>> {
    let rows: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT id, secret FROM pass_keys WHERE secret IS NOT NULL ORDER BY created_at DESC",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, secret)| {
            let secret = base64::engine::general_purpose::STANDARD
                .decode(secret)
                .ok()?;
            (secret.len() == KEY_BYTES).then_some(PassKey { id, secret })
        })
        .collect())
}

/// The newest key this console holds, making one when it holds none.
pub fn signing_key(
    replica: &mut Replica,
    user: &str,
    now: DateTime<Utc>,
) -> Result<PassKey, BookingError> {
    if let Some(key) = replica
        .read("reading the boarding pass keys", keys)?
        .into_iter()
        .next()
    {
        return Ok(key);
    }
    let mut secret = vec![0_u8; KEY_BYTES];
    getrandom::fill(&mut secret).map_err(|err| {
        BookingError::Refused(format!(
            "this computer gave no random bytes for a boarding pass key: {err}"
        ))
    })?;
    let key = PassKey {
        id: replica::new_id(),
        secret,
    };
    replica.write(|w| {
        w.insert(
            "pass_keys",
            &key.id,
            object(json!({
                "secret": base64::engine::general_purpose::STANDARD.encode(&key.secret),
                "created_at": stored(now),
                "created_by": user,
            })),
        )?;
        Ok::<(), BookingError>(())
    })?;
    Ok(key)
}

fn tag(key: &PassKey, signed: &str) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mac = Hmac::<Sha256>::new_from_slice(&key.secret)
        .map(|mac| mac.chain_update(signed.as_bytes()).finalize().into_bytes());
    match mac {
        Ok(bytes) => b64url().encode(&bytes[..TAG_BYTES]),
        Err(_) => String::new(),
    }
}

/// The QR's content for a booking, signed with `key`.
pub fn pass_content(key: &PassKey, booking: &Booking) -> String {
    let signed = format!(
        "{PASS_PREFIX}.{}.{}.{}.{}",
        booking.id,
        booking.launch_id,
        booking.seat_id.as_deref().unwrap_or("-"),
        key.id
    );
    let tag = tag(key, &signed);
    format!("{signed}.{tag}")
}

/// Why a scanned pass does not board its passenger, in the words the gate shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassRefusal {
    /// Not a Galaxium boarding pass at all.
    #[error("this is not a Galaxium boarding pass")]
    NotAPass,
    /// Signed with a key this console does not hold.
    #[error(
        "the pass is signed with a key this desk does not hold: sync this console, or the pass is forged"
    )]
    UnknownKey,
    /// The content was changed after it was signed, or made without a key.
    #[error("the pass is forged or altered: its signature does not match what it says")]
    Forged,
    /// For another launch.
    #[error("the pass is for {mission}, not the launch boarding at this gate")]
    WrongLaunch {
        /// The pass's launch.
        mission: String,
    },
    /// Its booking is gone from the replica.
    #[error("the pass's booking does not exist on this console")]
    NoBooking,
    /// The booking is not checked in (cancelled, no-show, confirmed only).
    #[error("{name}'s booking is {status}: the pass is cancelled")]
    Cancelled {
        /// The passenger.
        name: String,
        /// The booking's status.
        status: String,
    },
    /// Confirmed but not checked in.
    #[error("{name} is not checked in: send them to the desk")]
    NotCheckedIn {
        /// The passenger.
        name: String,
    },
    /// Boarded already.
    #[error("{name} already boarded: this pass was used")]
    AlreadyBoarded {
        /// The passenger.
        name: String,
    },
    /// The seat changed since the pass was issued.
    #[error("the pass says seat {on_pass} but {name} now sits in {now}: issue a new pass")]
    SeatChanged {
        /// The passenger.
        name: String,
        /// The pass's seat.
        on_pass: String,
        /// The booking's seat.
        now: String,
    },
    /// The gate's launch is not boarding.
    #[error("{mission} is {status}, not boarding")]
    NotBoarding {
        /// The launch.
        mission: String,
        /// Its status.
        status: String,
    },
}

/// A pass's content, read and its signature checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPass {
    /// The booking it boards.
    pub booking_id: String,
    /// The launch it is for.
    pub launch_id: String,
    /// The seat printed on it.
    pub seat: String,
}

/// Reads a pass's content and checks its signature against the keys this console holds.
pub fn read_pass(conn: &Connection, content: &str) -> Result<ReadPass, PassRefusal> {
    let content = content.trim();
    let parts: Vec<&str> = content.split('.').collect();
    let [prefix, booking, launch, seat, key_id, given] = parts[..] else {
        return Err(PassRefusal::NotAPass);
    };
    if prefix != PASS_PREFIX {
        return Err(PassRefusal::NotAPass);
    }
    let keys = keys(conn).map_err(|_| PassRefusal::UnknownKey)?;
    let Some(key) = keys.iter().find(|k| k.id == key_id) else {
        return Err(PassRefusal::UnknownKey);
    };
    let signed = &content[..content.len() - given.len() - 1];
    let expected = tag(key, signed);
    // Compared in constant time: the tag is a secret's output.
    let same = expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0_u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(PassRefusal::Forged);
    }
    Ok(ReadPass {
        booking_id: booking.to_owned(),
        launch_id: launch.to_owned(),
        seat: seat.to_owned(),
    })
}

/// A passenger the gate boarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boarded {
    /// Their name.
    pub name: String,
    /// Their seat.
    pub seat: String,
}

/// Boards the passenger a scanned pass names, at the gate of `gate_launch_id`; refused with
/// the reason for a pass that is not one, forged, altered, for another launch, cancelled,
/// not checked in, used already, or for a seat the passenger no longer holds.
pub fn board_by_pass(
    replica: &mut Replica,
    gate_launch_id: &str,
    content: &str,
    now: DateTime<Utc>,
) -> Result<Result<Boarded, PassRefusal>, BookingError> {
    replica.write(|w| {
        let conn = w.reader();
        let pass = match read_pass(conn, content) {
            Ok(pass) => pass,
            Err(refusal) => return Ok(Err(refusal)),
        };
        // Only the launch's status and the one booking: a gate scans every few seconds,
        // whatever the launch's history holds.
        let gate: Option<(String, LaunchStatus)> = conn
            .query_row(
                "SELECT mission, status FROM launches WHERE id = ?1",
                [gate_launch_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((gate_mission, gate_status)) = gate else {
            return Err(BookingError::Refused(format!(
                "there is no launch with id {gate_launch_id}"
            )));
        };
        if pass.launch_id != gate_launch_id {
            let mission: Option<String> = conn
                .query_row(
                    "SELECT mission FROM launches WHERE id = ?1",
                    [&pass.launch_id],
                    |r| r.get(0),
                )
                .optional()?;
            return Ok(Err(PassRefusal::WrongLaunch {
                mission: mission.unwrap_or_else(|| "another launch".to_owned()),
            }));
        }
        if gate_status != LaunchStatus::Boarding {
            return Ok(Err(PassRefusal::NotBoarding {
                mission: gate_mission,
                status: gate_status.to_string(),
            }));
        }
        let Some(booking) =
            Booking::load(conn, &pass.booking_id)?.filter(|b| b.launch_id == gate_launch_id)
        else {
            return Ok(Err(PassRefusal::NoBooking));
        };
        let name = booking.passenger_name.clone();
        match booking.status {
            BookingStatus::CheckedIn => {}
            BookingStatus::Boarded => return Ok(Err(PassRefusal::AlreadyBoarded { name })),
            BookingStatus::Confirmed => return Ok(Err(PassRefusal::NotCheckedIn { name })),
            other => {
                return Ok(Err(PassRefusal::Cancelled {
                    name,
                    status: other.label().to_lowercase(),
                }));
            }
        }
        let seat = booking.seat_id.clone().unwrap_or_else(|| "-".to_owned());
        if seat != pass.seat {
            return Ok(Err(PassRefusal::SeatChanged {
                name,
                on_pass: pass.seat,
                now: seat,
            }));
        }
        super::actions::set_status_of(w, &booking.id, BookingStatus::Boarded, now)?;
        Ok(Ok(Boarded { name, seat }))
    })
}

/// The QR's modules as a grey image, a quiet zone of four modules around: 0 dark, 255 light.
pub fn qr_image(content: &str) -> Option<(usize, Vec<u8>)> {
    let code =
        qrcode::QrCode::with_error_correction_level(content.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let quiet = 4;
    let side = width + 2 * quiet;
    let mut pixels = vec![255_u8; side * side];
    for (index, colour) in code.to_colors().into_iter().enumerate() {
        if colour == qrcode::Color::Dark {
            let (x, y) = (index % width, index / width);
            pixels[(y + quiet) * side + x + quiet] = 0;
        }
    }
    Some((side, pixels))
}

/// What a pass says of its launch.
#[derive(Debug, Clone, PartialEq)]
pub struct PassLaunch {
    /// The mission.
    pub mission: String,
    /// When it launches.
    pub scheduled_at: DateTime<Utc>,
    /// When boarding closes: when check-in closes.
    pub boarding_at: DateTime<Utc>,
    /// The spaceport's code.
    pub spaceport: String,
    /// The pad.
    pub pad: String,
    /// The vehicle's name.
    pub vehicle: String,
}

impl PassLaunch {
    /// Reads only what a pass prints (not the launch's bookings, which may be many).
    pub fn load(conn: &Connection, launch_id: &str) -> rusqlite::Result<Option<Self>> {
        conn.query_row(
            "SELECT l.mission, l.scheduled_at, l.checkin_closes_hours, s.code, l.pad, v.name
             FROM launches l
             JOIN vehicles v ON v.id = l.vehicle_id
             JOIN spaceports s ON s.id = l.spaceport_id
             WHERE l.id = ?1",
            [launch_id],
            |r| {
                let at: String = r.get(1)?;
                let scheduled_at = super::model::parse_time(Some(&at)).unwrap_or_default();
                Ok(Self {
                    mission: r.get(0)?,
                    scheduled_at,
                    boarding_at: scheduled_at - super::model::hours_duration(r.get(2)?),
                    spaceport: r.get(3)?,
                    pad: r.get(4)?,
                    vehicle: r.get(5)?,
                })
            },
        )
        .optional()
    }
}

/// A boarding pass as a one-page PDF (A6 landscape, as a desk printer prints it): the
/// passenger, mission, launch and boarding times, seat, pad, locator, and the QR.
pub fn pass_pdf(detail: &PassLaunch, booking: &Booking, content: &str) -> Vec<u8> {
    let (width, height) = (420.0_f32, 298.0_f32);
    let qr = qr_image(content);
    let mut c = Content::new();
    pass_text(&mut c, detail, booking, height);
    if qr.is_some() {
        let size = 150.0;
        c.save_state();
        c.transform([size, 0.0, 0.0, size, width - size - 20.0, 60.0]);
        c.x_object(Name(b"QR"));
        c.restore_state();
        pdf_text(
            &mut c,
            width - size - 10.0,
            46.0,
            7.0,
            false,
            "Scan at the gate",
        );
    }
    one_page_pdf(
        (width, height),
        c,
        qr.as_ref().map(|(side, pixels)| (*side, pixels.as_slice())),
    )
}

fn pass_text(c: &mut Content, detail: &PassLaunch, booking: &Booking, height: f32) {
    let utc = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let boarding_at = detail.boarding_at;
    pdf_text(c, 20.0, height - 34.0, 16.0, true, "GALAXIUM BOARDING PASS");
    pdf_text(c, 20.0, height - 64.0, 8.0, false, "PASSENGER");
    pdf_text(c, 20.0, height - 80.0, 14.0, true, &booking.passenger_name);
    let fields = [
        ("MISSION", detail.mission.clone()),
        ("LAUNCH", utc(detail.scheduled_at)),
        ("BOARD BY", utc(boarding_at)),
        (
            "SEAT",
            booking.seat_id.clone().unwrap_or_else(|| "-".to_owned()),
        ),
        (
            "SPACEPORT / PAD",
            format!("{} - {}", detail.spaceport, detail.pad),
        ),
        ("LOCATOR", booking.locator.clone()),
        ("VEHICLE", detail.vehicle.clone()),
    ];
    let mut y = height - 104.0;
    for (label, value) in fields {
        pdf_text(c, 20.0, y, 7.0, false, label);
        pdf_text(c, 90.0, y, 10.0, true, &value);
        y -= 19.0;
    }
    pdf_text(
        c,
        20.0,
        16.0,
        6.5,
        false,
        &format!(
            "Boarding closes at {}. Keep this pass with your passport or ID.",
            utc(boarding_at)
        ),
    );
}

/// Issues a boarding pass for a checked-in booking: its QR's content and the PDF.
pub fn issue(
    replica: &mut Replica,
    booking_id: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(String, Vec<u8>, String), BookingError> {
    let found = replica.read("reading a booking", |conn| Booking::load(conn, booking_id))?;
    let Some(booking) = found else {
        return Err(BookingError::Refused(format!(
            "there is no booking {booking_id}"
        )));
    };
    if !matches!(
        booking.status,
        BookingStatus::CheckedIn | BookingStatus::Boarded
    ) {
        return Err(BookingError::Refused(format!(
            "{} is not checked in ({}): a boarding pass is issued at check-in",
            booking.passenger_name,
            booking.status.label().to_lowercase()
        )));
    }
    let detail = replica
        .read("reading a launch", |conn| {
            PassLaunch::load(conn, &booking.launch_id)
        })?
        .ok_or_else(|| BookingError::Refused("the booking's launch is missing".to_owned()))?;
    let key = signing_key(replica, user, now)?;
    let content = pass_content(&key, &booking);
    let pdf = pass_pdf(&detail, &booking, &content);
    let file_name = format!(
        "boarding-pass-{}-{}.pdf",
        detail
            .mission
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
        booking
            .passenger_name
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    Ok((content, pdf, file_name))
}

//! The desk and the gate on launch day, on a real replica seeded with the demo dataset:
//! documents in readiness, partial check-in, the supervisor's override, boarding passes read
//! back from their PDF and QR code, the desk's search, the authority's manifest fields.

use chrono::Duration;

use super::actions::{self, BookingError, BookingRules};
use super::boarding_pass::{self, PassRefusal};
use super::data::{BookingsData, BookingsRequest};
use super::documents::{self, DocumentKind, NewDocument};
use super::model::{BookingStatus, NoGoKind};

use crate::test_support::{Seeded as Fixture, seeded};

const DAWN: &str = "GX-13 Dawn Patrol";
const TWILIGHT: &str = "GX-12 Twilight Hop";
/// The smallest file a PDF reader takes for a scan.
const SCAN: &[u8] = b"%PDF-1.4\n% a scanned certificate\n%%EOF\n";

impl Fixture {
    fn passenger_id(&self, name: &str) -> String {
        self.replica
            .read("test", |c| {
                c.query_row(
                    "SELECT id FROM passengers WHERE full_name = ?1",
                    [name],
                    |r| r.get(0),
                )
            })
            .unwrap()
    }

    fn booking_id(&self, mission: &str, name: &str) -> String {
        self.launch(mission)
            .bookings
            .iter()
            .find(|b| b.passenger_name == name)
            .unwrap()
            .id
            .clone()
    }

    /// Removes the demo dataset's documents, for a test that sets its own.
    fn without_demo_documents(&mut self) {
        let ids: Vec<String> = self
            .replica
            .read("test", |c| {
                c.prepare("SELECT id FROM passenger_documents")?
                    .query_map([], |r| r.get(0))?
                    .collect()
            })
            .unwrap();
        for id in ids {
            documents::remove(&mut self.replica, &id).unwrap();
        }
    }

    fn attach(&mut self, name: &str, kind: DocumentKind, number: &str, expires: &str) {
        let document = NewDocument {
            passenger_id: self.passenger_id(name),
            kind,
            number: number.into(),
            expires_on: expires.into(),
            file_name: format!("{number}.pdf"),
        };
        documents::attach(&mut self.replica, &document, SCAN, "desk", self.now).unwrap();
    }
}

fn refusal(err: BookingError) -> String {
    match err {
        BookingError::Refused(reason) => reason,
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn a_medical_certificate_that_expires_before_the_launch_is_no_go_naming_it() {
    let mut f = seeded();
    f.without_demo_documents();
    let ada = |f: &Fixture| {
        let dawn = f.launch(DAWN);
        let booking = dawn
            .bookings
            .iter()
            .find(|b| b.passenger_name == "Ada Quist")
            .unwrap()
            .clone();
        dawn.readiness_of(&booking, super::MassLimits::default())
    };
    assert!(ada(&f).is_go());
    // GX-13 launches on 2026-11-23.
    f.attach(
        "Ada Quist",
        DocumentKind::MedicalCertificate,
        "MC-7781",
        "2026-11-22",
    );
    let readiness = ada(&f);
    assert_eq!(readiness.reasons.len(), 1, "{readiness:?}");
    assert_eq!(readiness.reasons[0].kind, NoGoKind::Medical);
    assert_eq!(
        readiness.reasons[0].text,
        "medical certificate MC-7781 expires on 2026-11-22, before the launch on 2026-11-23"
    );
    assert!(!readiness.overridable());
    // A renewed certificate replaces it.
    f.attach(
        "Ada Quist",
        DocumentKind::MedicalCertificate,
        "MC-9902",
        "2027-05-01",
    );
    assert!(ada(&f).is_go());
    // A passport that runs out first is a documents NO-GO, which a supervisor may waive.
    f.attach(
        "Ada Quist",
        DocumentKind::Passport,
        "NX4411827",
        "2026-11-01",
    );
    let readiness = ada(&f);
    assert_eq!(readiness.reasons[0].kind, NoGoKind::Documents);
    assert!(
        readiness.reasons[0]
            .text
            .contains("passport NX4411827 expires on 2026-11-01")
    );
    assert!(readiness.overridable());
}

#[test]
fn a_document_is_refused_naming_what_is_wrong_and_nothing_is_written() {
    let mut f = seeded();
    let before = f.replica.pending_count().unwrap();
    let document = |number: &str, expires: &str| NewDocument {
        passenger_id: f.passenger_id("Ada Quist"),
        kind: DocumentKind::Passport,
        number: number.into(),
        expires_on: expires.into(),
        file_name: "passport.png".into(),
    };
    let cases = [
        (document("", "2030-01-01"), SCAN.to_vec(), "Number:"),
        (
            document("P1", "01/01/2030"),
            SCAN.to_vec(),
            "Expires on: \"01/01/2030\" is not a date",
        ),
        (
            document("P1", "2030-01-01"),
            b"GIF89a".to_vec(),
            "is not a PDF, PNG or JPEG",
        ),
        (
            document("P1", "2030-01-01"),
            [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0_u8; 600 * 1024]].concat(),
            "is 601 KiB; a document scan is at most 512 KiB",
        ),
    ];
    for (doc, scan, expected) in cases {
        let err = documents::attach(&mut f.replica, &doc, &scan, "desk", f.now).unwrap_err();
        let said = refusal(err);
        assert!(said.contains(expected), "{said:?} lacks {expected:?}");
    }
    assert_eq!(f.replica.pending_count().unwrap(), before);
}

#[test]
fn passengers_under_one_locator_are_checked_in_one_by_one() {
    let mut f = seeded();
    let rules = BookingRules::default();
    let ada = f.booking_id(DAWN, "Ada Quist");
    let outcome = actions::check_in(
        &mut f.replica,
        "QX7T2M",
        std::slice::from_ref(&ada),
        &rules,
        f.now,
    )
    .unwrap();
    assert_eq!(outcome.checked_in, ["Ada Quist"]);
    assert!(outcome.refused.is_empty(), "Bruno was not asked for");
    let dawn = f.launch(DAWN);
    let status = |name: &str| {
        dawn.bookings
            .iter()
            .find(|b| b.passenger_name == name)
            .unwrap()
            .status
    };
    assert_eq!(status("Ada Quist"), BookingStatus::CheckedIn);
    assert_eq!(status("Bruno Castell"), BookingStatus::Confirmed);
}

#[test]
fn a_supervisor_overrides_a_waiver_no_go_but_never_a_medical_one() {
    let mut f = seeded();
    f.without_demo_documents();
    let rules = BookingRules::default();
    let bruno = f.booking_id(DAWN, "Bruno Castell");
    let err = actions::override_check_in(&mut f.replica, &bruno, "  ", "lead", &rules, f.now)
        .unwrap_err();
    assert!(refusal(err).starts_with("Reason:"));
    let name = actions::override_check_in(
        &mut f.replica,
        &bruno,
        "waiver signed on paper at the desk",
        "lead",
        &rules,
        f.now,
    )
    .unwrap();
    assert_eq!(name, "Bruno Castell");
    let (waived, reason, by): (String, String, String) = f
        .replica
        .read("test", |c| {
            c.query_row(
                "SELECT waived, reason, by_user FROM checkin_overrides WHERE booking_id = ?1",
                [&bruno],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .unwrap();
    assert_eq!(
        waived,
        r#"[{"kind":"waiver","text":"the waiver is not signed"}]"#
    );
    assert_eq!(
        (reason.as_str(), by.as_str()),
        ("waiver signed on paper at the desk", "lead")
    );
    // Ada's certificate runs out before launch: medical, never overridden.
    f.attach(
        "Ada Quist",
        DocumentKind::MedicalCertificate,
        "MC-1",
        "2026-11-01",
    );
    let ada = f.booking_id(DAWN, "Ada Quist");
    let err = actions::override_check_in(&mut f.replica, &ada, "urgent", "lead", &rules, f.now)
        .unwrap_err();
    let said = refusal(err);
    assert!(
        said.contains("medical certificate MC-1 expires") && said.contains("never overridden"),
        "{said}"
    );
}

/// The QR code of a boarding pass PDF, decoded as a phone or a gate scanner would.
fn decode_qr(pdf: &[u8]) -> String {
    let document = lopdf::Document::load_mem(pdf).unwrap();
    let image = document
        .objects
        .values()
        .find_map(|object| {
            let stream = object.as_stream().ok()?;
            let subtype = stream.dict.get(b"Subtype").ok()?.as_name().ok()?;
            (subtype == b"Image").then_some(stream)
        })
        .expect("the pass holds its QR as an image");
    let side = usize::try_from(image.dict.get(b"Width").unwrap().as_i64().unwrap()).unwrap();
    let pixels = &image.content;
    assert_eq!(pixels.len(), side * side);
    let scale = 6;
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(side * scale, side * scale, |x, y| {
            pixels[(y / scale) * side + x / scale]
        });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

#[test]
fn a_boarding_pass_reads_back_and_its_qr_boards_the_passenger_once() {
    let mut f = seeded();
    let farah = f.booking_id(TWILIGHT, "Farah Haddad");
    let (content, pdf, file_name) =
        boarding_pass::issue(&mut f.replica, &farah, "desk", f.now).unwrap();
    assert_eq!(
        file_name,
        "boarding-pass-GX-12-Twilight-Hop-Farah-Haddad.pdf"
    );
    let document = lopdf::Document::load_mem(&pdf).unwrap();
    let text = document.extract_text(&[1]).unwrap();
    for expected in [
        "BOARDING PASS",
        "Farah Haddad",
        "GX-12 Twilight Hop",
        "1B",
        "TW9GXA",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    let scanned = decode_qr(&pdf);
    assert_eq!(scanned, content);

    let twilight = f.launch(TWILIGHT).id;
    // Altered: the seat edited on the pass no longer matches its signature.
    let altered = scanned.replace(".1B.", ".1A.");
    let refused = boarding_pass::board_by_pass(&mut f.replica, &twilight, &altered, f.now)
        .unwrap()
        .unwrap_err();
    assert_eq!(refused, PassRefusal::Forged);
    let garbage = boarding_pass::board_by_pass(&mut f.replica, &twilight, "QX7T2M", f.now)
        .unwrap()
        .unwrap_err();
    assert_eq!(garbage, PassRefusal::NotAPass);
    // At another launch's gate.
    let dawn = f.launch(DAWN).id;
    let wrong = boarding_pass::board_by_pass(&mut f.replica, &dawn, &scanned, f.now)
        .unwrap()
        .unwrap_err();
    assert_eq!(
        wrong,
        PassRefusal::WrongLaunch {
            mission: TWILIGHT.into()
        }
    );

    let boarded = boarding_pass::board_by_pass(&mut f.replica, &twilight, &scanned, f.now)
        .unwrap()
        .unwrap();
    assert_eq!(
        (boarded.name.as_str(), boarded.seat.as_str()),
        ("Farah Haddad", "1B")
    );
    let again = boarding_pass::board_by_pass(&mut f.replica, &twilight, &scanned, f.now)
        .unwrap()
        .unwrap_err();
    assert_eq!(
        again.to_string(),
        "Farah Haddad already boarded: this pass was used"
    );
}

#[test]
fn a_pass_made_with_another_key_or_for_a_cancelled_booking_is_refused() {
    let mut f = seeded();
    let farah = f.booking_id(TWILIGHT, "Farah Haddad");
    let (content, _, _) = boarding_pass::issue(&mut f.replica, &farah, "desk", f.now).unwrap();
    // Another operation's desk signs the same booking with a key this one does not hold.
    let mut other = seeded();
    let foreign_key = boarding_pass::signing_key(&mut other.replica, "desk", f.now).unwrap();
    let booking = f
        .replica
        .read("test", |c| super::model::Booking::load(c, &farah))
        .unwrap()
        .unwrap();
    let foreign = boarding_pass::pass_content(&foreign_key, &booking);
    let twilight = f.launch(TWILIGHT).id;
    let refused = boarding_pass::board_by_pass(&mut f.replica, &twilight, &foreign, f.now)
        .unwrap()
        .unwrap_err();
    assert_eq!(refused, PassRefusal::UnknownKey);
    // Cancelled after the pass was issued.
    actions::cancel(
        &mut f.replica,
        "TW9GXA",
        std::slice::from_ref(&farah),
        &BookingRules::default(),
        f.now,
    )
    .unwrap();
    let refused = boarding_pass::board_by_pass(&mut f.replica, &twilight, &content, f.now)
        .unwrap()
        .unwrap_err();
    assert!(
        refused.to_string().contains("booking is cancelled"),
        "{refused}"
    );
}

#[test]
fn the_desk_finds_a_booking_by_surname_or_document_number() {
    let mut f = seeded();
    f.attach(
        "Bruno Castell",
        DocumentKind::IdCard,
        "ESP-ID-55120",
        "2030-01-01",
    );
    let search = |f: &Fixture, query: &str| {
        BookingsData::load(
            &f.replica,
            BookingsRequest {
                search: Some(query),
                ..BookingsRequest::default()
            },
            f.now,
        )
        .unwrap()
        .desk_found
        .unwrap()
        .1
    };
    let by_surname = search(&f, "castell");
    assert_eq!(by_surname.len(), 1);
    assert_eq!(
        (
            by_surname[0].locator.as_str(),
            by_surname[0].mission.as_str()
        ),
        ("QX7T2M", DAWN)
    );
    // The number on the passenger's record, and a document's.
    assert_eq!(search(&f, "PAB902117")[0].passenger_name, "Bruno Castell");
    assert_eq!(search(&f, "esp-id-55")[0].passenger_name, "Bruno Castell");
    assert!(search(&f, "nobody-like-this").is_empty());
}

#[test]
fn documents_expiring_before_the_next_launch_are_listed() {
    let mut f = seeded();
    // The demo's own: Kofi Mensah's passport runs out before GX-15.
    let data = BookingsData::load(&f.replica, BookingsRequest::default(), f.now).unwrap();
    let listed: Vec<(&str, &str)> = data
        .expiring
        .iter()
        .map(|e| (e.passenger_name.as_str(), e.mission.as_str()))
        .collect();
    assert_eq!(listed, [("Kofi Mensah", "GX-15 Edge of Space")]);
    f.without_demo_documents();
    f.attach(
        "Ada Quist",
        DocumentKind::Passport,
        "NX4411827",
        "2026-11-20",
    );
    f.attach(
        "Bruno Castell",
        DocumentKind::Passport,
        "PAB902117",
        "2031-01-01",
    );
    let data = BookingsData::load(&f.replica, BookingsRequest::default(), f.now).unwrap();
    let listed: Vec<(&str, &str)> = data
        .expiring
        .iter()
        .map(|e| (e.passenger_name.as_str(), e.mission.as_str()))
        .collect();
    assert_eq!(listed, [("Ada Quist", DAWN)]);
}

#[test]
fn the_manifest_carries_what_an_authority_asks_for_only_when_asked() {
    let mut f = seeded();
    f.attach(
        "Farah Haddad",
        DocumentKind::Passport,
        "R118273",
        "2031-06-30",
    );
    let twilight = f.launch(TWILIGHT);
    let plain = super::export::LaunchExport::ManifestCsv
        .bytes(&f.replica, &twilight, f.now, false)
        .unwrap();
    let plain = String::from_utf8(plain).unwrap();
    assert!(!plain.contains("nationality") && !plain.contains("R118273"));
    let full = super::export::LaunchExport::ManifestCsv
        .bytes(&f.replica, &twilight, f.now, true)
        .unwrap();
    let full = String::from_utf8(full).unwrap();
    assert!(
        full.lines().next().unwrap().ends_with(
            "nationality,date_of_birth,document_type,document_number,document_expires_on"
        )
    );
    let farah = full.lines().find(|l| l.contains("Farah Haddad")).unwrap();
    assert!(
        farah.ends_with("JOR,1988-12-05,passport,R118273,2031-06-30"),
        "{farah}"
    );
    // The stored manifest (sent to every role) never holds them.
    let doc = actions::close_manifest(
        &mut f.replica,
        &twilight.id,
        "staff",
        f.now + Duration::minutes(1),
    )
    .unwrap();
    let stored = serde_json::to_string(&doc).unwrap();
    assert!(!stored.contains("JOR") && !stored.contains("R118273"));
}

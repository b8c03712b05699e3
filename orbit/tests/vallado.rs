//! The published SGP4 verification cases (Vallado et al., AIAA 2006-6753): every case in
//! `SGP4-VER.TLE` propagated over its own start, stop and step, compared with the reference
//! implementation's `tcppver.out`, including the cases where it reports an error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use galaxium_orbit::{Satellite, elements};

/// TEME position tolerance (km) and velocity tolerance (km/s) against the reference output,
/// which prints 8 and 9 decimals. The worst seen is 4.2 mm and 1.8 µm/s (case 23333, deep
/// space, where the Rust port's floating-point order differs from the C++).
const POSITION_KM: f64 = 1e-5;
const VELOCITY_KM_S: f64 = 1e-8;

/// Cases whose line 1 or line 2 carries a wrong checksum on purpose; the parser must say so.
const BAD_CHECKSUMS: [u32; 3] = [33333, 33334, 33335];

/// Where the reference implementation stops with an error, and what it said (its code and a
/// word our message must contain).
const EXPECTED_ERRORS: [(u32, &str); 7] = [
    (22312, "eccentricity"), // code 1: mean eccentricity out of range
    (28350, "eccentricity"), // code 1
    (28872, "decayed"),      // code 6: below the surface
    (29141, "decayed"),      // code 6
    (33333, "semi-latus"),   // code 4: semi-latus rectum below zero
    (33334, "eccentricity"), // code 3: perturbed eccentricity out of range, at epoch
    (20413, "decayed"),      // code 6, after 1,844,345 minutes
];

/// The expected lines of one case: `(minutes, position, velocity)`.
type Block = Vec<(f64, [f64; 3], [f64; 3])>;

fn expected_blocks() -> Vec<(u32, Block)> {
    let mut blocks: Vec<(u32, Block)> = Vec::new();
    for line in include_str!("fixtures/vallado/tcppver.out").lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) == Some(&"xx") {
            blocks.push((fields[0].parse().unwrap(), Vec::new()));
            continue;
        }
        let numbers: Vec<f64> = fields[..7].iter().map(|f| f.parse().unwrap()).collect();
        blocks.last_mut().unwrap().1.push((
            numbers[0],
            [numbers[1], numbers[2], numbers[3]],
            [numbers[4], numbers[5], numbers[6]],
        ));
    }
    blocks
}

/// The case's times, as the reference driver steps them: start, each step to stop, and stop
/// itself when the steps miss it.
fn times(start: f64, stop: f64, increment: f64) -> Vec<f64> {
    let mut times = vec![0.0];
    let mut t = start;
    while t <= stop {
        if !(t == 0.0 && start == 0.0) {
            times.push(t);
        }
        t += increment;
    }
    if t - stop < increment - 1e-6 {
        times.push(stop);
    }
    times
}

/// Replaces a line's checksum with the right one, so a case with a deliberately bad checksum
/// can still be propagated after the parser has refused it.
fn with_good_checksum(line: &str) -> String {
    format!("{}{}", &line[..68], elements::checksum(line.as_bytes()))
}

#[test]
fn the_verification_cases_match_the_reference_output() {
    let blocks = expected_blocks();
    let text = include_str!("fixtures/vallado/SGP4-VER.TLE");
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with("1 ") || l.starts_with("2 "))
        .collect();
    assert_eq!(
        lines.len() / 2,
        blocks.len(),
        "one reference block per case"
    );

    let mut checksum_errors = Vec::new();
    let mut errors = Vec::new();
    let mut compared = 0;
    let mut worst = (0.0_f64, 0.0_f64);
    for (pair, (satnum, block)) in lines.chunks(2).zip(&blocks) {
        let (first, second) = (&pair[0][..69], &pair[1][..69]);
        let window: Vec<f64> = pair[1][69..]
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();

        let strict = elements::parse_tle(&format!("{first}\n{second}\n"));
        let set = match strict {
            Ok(mut sets) => sets.remove(0),
            Err(error) => {
                assert!(error.to_string().contains("checksum"), "{satnum}: {error}");
                checksum_errors.push(*satnum);
                let repaired = format!(
                    "{}\n{}\n",
                    with_good_checksum(first),
                    with_good_checksum(second)
                );
                elements::parse_tle(&repaired)
                    .unwrap_or_else(|e| panic!("{satnum}: {e}"))
                    .remove(0)
            }
        };
        assert_eq!(set.elements.norad_id, u64::from(*satnum));

        let satellite = match Satellite::new(set) {
            Ok(satellite) => satellite,
            Err(error) => {
                errors.push((*satnum, error.to_string()));
                continue;
            }
        };
        let times = times(window[0], window[1], window[2]);
        for (index, minutes) in times.iter().enumerate() {
            match satellite.teme_since_epoch(*minutes) {
                Ok((r, v)) => {
                    let (t, er, ev) = block.get(index).unwrap_or_else(|| {
                        panic!("{satnum}: the reference stops before {minutes} min")
                    });
                    assert!((t - minutes).abs() < 1e-6, "{satnum}: {t} vs {minutes}");
                    for axis in 0..3 {
                        assert!(
                            (r[axis] - er[axis]).abs() < POSITION_KM,
                            "{satnum} at {minutes} min, r[{axis}] {} vs {}",
                            r[axis],
                            er[axis]
                        );
                        assert!(
                            (v[axis] - ev[axis]).abs() < VELOCITY_KM_S,
                            "{satnum} at {minutes} min, v[{axis}] {} vs {}",
                            v[axis],
                            ev[axis]
                        );
                    }
                    compared += 1;
                    for axis in 0..3 {
                        worst.0 = worst.0.max((r[axis] - er[axis]).abs());
                        worst.1 = worst.1.max((v[axis] - ev[axis]).abs());
                    }
                }
                Err(reason) => {
                    // The reference prints the epoch line even when it then fails, so the
                    // error must fall exactly where its output ends.
                    let stops_here = block.len() == index || (index == 0 && block.len() == 1);
                    assert!(
                        stops_here,
                        "{satnum}: error at {minutes} min, the reference goes on: {reason}"
                    );
                    errors.push((*satnum, reason));
                    break;
                }
            }
        }
    }

    println!(
        "{compared} states; worst position {:.1e} km, velocity {:.1e} km/s",
        worst.0, worst.1
    );
    checksum_errors.sort_unstable();
    assert_eq!(checksum_errors, BAD_CHECKSUMS);
    assert_eq!(errors.len(), EXPECTED_ERRORS.len(), "{errors:#?}");
    for ((satnum, reason), (expected_satnum, word)) in errors.iter().zip(EXPECTED_ERRORS) {
        assert_eq!(*satnum, expected_satnum, "{reason}");
        assert!(reason.contains(word), "{satnum}: {reason:?} lacks {word:?}");
    }
    assert!(compared > 500, "only {compared} states compared");
}

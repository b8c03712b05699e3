//! Orbit benchmarks: 30,000 element sets propagated one step each, beside python-sgp4's
//! `SatrecArray` (its C++ core) in the same run; and seven days of passes for one satellite
//! over one station.
//!
//! Targets (orbit issue): propagation ≤ 1.5 × python-sgp4; seven days of passes ≤ 20 ms.
//! The peer needs `pip install sgp4`; without it the ratio is reported as not measured.
//!
//! Run: `cargo bench -p galaxium-orbit --bench propagate`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark prints its figures and stops loudly when its setup fails"
)]

use std::time::{Duration, Instant};

use galaxium_orbit::{Geodetic, Satellite, elements, passes};

const SETS: usize = 30_000;
const RUNS: usize = 21;

const ISS: &str = "ISS (ZARYA)
1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927
2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537
";

const PEER: &str = r"
import sys, time
import numpy as np
from sgp4.api import Satrec, SatrecArray, WGS72
n = int(sys.argv[1]); runs = int(sys.argv[2])
base = Satrec.twoline2rv(
    '1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927',
    '2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537', WGS72)
sats = []
for i in range(n):
    s = Satrec()
    s.sgp4init(WGS72, 'i', 25544, base.jdsatepoch + base.jdsatepochF - 2433281.5, base.bstar,
               base.ndot, base.nddot, base.ecco, base.argpo, base.inclo,
               (base.mo + i * 0.001) % 6.283185307179586, base.no_kozai,
               (base.nodeo + i * 0.0003) % 6.283185307179586)
    sats.append(s)
a = SatrecArray(sats)
jd = np.array([base.jdsatepoch]); fr = np.array([base.jdsatepochF + 0.25])
times = []
for _ in range(runs):
    t = time.perf_counter(); e, r, v = a.sgp4(jd, fr); times.append(time.perf_counter() - t)
    assert (e == 0).all()
times.sort()
print(times[len(times) // 2] * 1000)
";

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    let base = elements::parse_tle(ISS).unwrap().remove(0);
    let satellites: Vec<Satellite> = (0..SETS)
        .map(|i| {
            let mut set = base.clone();
            #[allow(clippy::cast_precision_loss, reason = "an index below 30,000")]
            let k = i as f64;
            set.elements.mean_anomaly =
                (set.elements.mean_anomaly + k * 0.001_f64.to_degrees()) % 360.0;
            set.elements.right_ascension =
                (set.elements.right_ascension + k * 0.0003_f64.to_degrees()) % 360.0;
            Satellite::new(set).unwrap()
        })
        .collect();
    let when = base.epoch() + chrono::Duration::hours(6);
    let ours = median(
        (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                for s in &satellites {
                    std::hint::black_box(s.teme(when).unwrap());
                }
                started.elapsed()
            })
            .collect(),
    );
    println!("propagate {SETS} element sets one step: median {ours:.2} ms ({RUNS} runs)");
    let peer = std::process::Command::new("python3")
        .args(["-c", PEER, &SETS.to_string(), &RUNS.to_string()])
        .output();
    let peer_ms = match peer {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<f64>()
            .ok(),
        _ => None,
    };
    match peer_ms {
        Some(peer_ms) => println!(
            "python-sgp4 SatrecArray, the same {SETS} sets one step: median {peer_ms:.2} ms; ratio ours / peer {:.2} (goal ≤ 1.5)",
            ours / peer_ms
        ),
        None => {
            println!("python-sgp4 is not installed here (pip install sgp4): ratio not measured");
        }
    }

    let iss = Satellite::new(base).unwrap();
    let wallops = Geodetic {
        lat_deg: 37.94,
        lon_deg: -75.47,
        alt_km: 0.012,
    };
    let start = iss.set.epoch();
    let mut count = 0;
    let week = median(
        (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                count = passes(
                    &iss,
                    wallops,
                    start,
                    start + chrono::Duration::days(7),
                    10.0,
                )
                .unwrap()
                .len();
                started.elapsed()
            })
            .collect(),
    );
    println!(
        "seven days of passes, one satellite, one station ({count} passes): median {week:.2} ms (target ≤ 20 ms)"
    );
    assert!(week <= 20.0, "seven days of passes took {week:.2} ms");
}

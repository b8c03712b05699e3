//! The built-in simulator: physically plausible values for every channel of the dictionary,
//! one sample a second. Thermal and power follow orbital day and night (from the crewed
//! vehicle's orbit), consumables deplete, comms read the noise floor out of contact, and every
//! sensor has noise. The same seed and start give the same values, sample for sample.

use chrono::{DateTime, Utc};

use super::dictionary::{Dictionary, SimModel};
use super::{Sample, SourceKind, TelemetrySource, unix_seconds};

/// What the orbit says about the vehicle over time: sunlit intervals and ground contacts.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// Intervals in sunlight, `[start, end)` in Unix seconds.
    pub sunlit: Vec<(f64, f64)>,
    /// Ground-station contacts, `[aos, los)` in Unix seconds.
    pub contacts: Vec<(f64, f64)>,
    /// When neither is known (no element set): always in sunlight and in contact.
    pub known: bool,
}

impl Environment {
    /// Whether the vehicle is in sunlight at `t`.
    pub fn is_sunlit(&self, t: f64) -> bool {
        !self.known || self.sunlit.iter().any(|(a, b)| *a <= t && t < *b)
    }

    /// Whether a ground station has contact at `t`.
    pub fn in_contact(&self, t: f64) -> bool {
        !self.known || self.contacts.iter().any(|(a, b)| *a <= t && t < *b)
    }
}

/// `SplitMix64`: a tiny generator whose sequence for a seed never changes between builds,
/// which a library generator does not promise across versions.
#[derive(Debug, Clone)]
struct Noise(u64);

impl Noise {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss, reason = "53 random bits")]
        let bits = (self.next_u64() >> 11) as f64;
        (bits + 1.0) / 9_007_199_254_740_992.0
    }

    /// Standard normal (Box-Muller).
    fn gaussian(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A sensor fault the simulator can play (a drill, or a training scenario's event).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Held at a value.
    Step(f64),
    /// The value changes by `per_s` a second from `from_t` (Unix seconds) on top of what it
    /// would be.
    Drift {
        /// When the drift starts.
        from_t: f64,
        /// Change a second.
        per_s: f64,
    },
    /// Extra noise of this standard deviation.
    Noise(f64),
    /// Reports the value it had when it stuck.
    Stuck(Option<f64>),
    /// Reports nothing.
    Dropout,
    /// Moves from where it is toward `to` at `per_s` a second, then holds there with the
    /// sensor's noise (a leak, a failing scrubber: a drill's fault, which never jumps).
    Ramp {
        /// Where it settles.
        to: f64,
        /// How fast it gets there, a second (positive).
        per_s: f64,
        /// Where it is now, once started.
        at: Option<f64>,
    },
}

/// What a command does to one channel of the simulated vehicle (see the command
/// dictionary's effects).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Actuation {
    /// The channel settles at `value`, with this time constant (or its own).
    Set {
        /// Where it settles.
        value: f64,
        /// How fast, seconds.
        time_constant_s: Option<f64>,
        /// A set point the hardware holds: sunlight no longer moves the value.
        held: bool,
        /// A fault on the channel ends (the failed hardware it measured was switched out).
        clears_fault: bool,
    },
    /// The channel moves toward `to` at `per_s` a second (a flow), until set or held.
    Ramp {
        /// Where it stops.
        to: f64,
        /// How fast (positive).
        per_s: f64,
    },
    /// A ramp stops where it is.
    Hold,
}

/// The simulator.
#[derive(Debug, Clone)]
pub struct Simulator {
    models: Vec<SimModel>,
    /// Each channel's commanded flow: where it moves to and how fast.
    ramps: Vec<Option<(f64, f64)>>,
    /// Each channel's sunlight-following level, and its wave's phase.
    levels: Vec<f64>,
    phases: Vec<f64>,
    faults: Vec<Option<Fault>>,
    /// Each channel's last value (what a stuck sensor keeps reporting).
    last: Vec<f64>,
    /// Until when (Unix seconds) no ground station hears the vehicle, if a loss is played.
    comms_lost_until: Option<f64>,
    noise: Noise,
    start: f64,
    /// The next whole second to sample.
    next: f64,
    environment: Environment,
}

/// At most this much time is caught up in one poll (a console asleep for a day does not
/// produce a day of samples in one frame).
const MAX_CATCH_UP_S: f64 = 600.0;

impl Simulator {
    /// A simulator of `dictionary`'s channels from `start`, seeded.
    pub fn new(dictionary: &Dictionary, start: DateTime<Utc>, seed: u64) -> Self {
        let mut noise = Noise(seed);
        let models: Vec<SimModel> = dictionary.channels.iter().map(|c| c.sim).collect();
        let phases = models
            .iter()
            .map(|_| noise.uniform() * std::f64::consts::TAU)
            .collect();
        let start = unix_seconds(start).floor();
        Self {
            levels: models.iter().map(|m| m.nominal).collect(),
            faults: vec![None; models.len()],
            ramps: vec![None; models.len()],
            last: models.iter().map(|m| m.nominal).collect(),
            comms_lost_until: None,
            models,
            phases,
            noise,
            start,
            next: start,
            environment: Environment::default(),
        }
    }

    /// Plays a fault on channel `index` from now on, or ends it with `None`.
    pub fn set_fault(&mut self, index: usize, fault: Option<Fault>) -> bool {
        self.faults
            .get_mut(index)
            .map(|slot| *slot = fault)
            .is_some()
    }

    /// Carries out what a command does to channel `index`; false when there is no such
    /// channel.
    pub fn actuate(&mut self, index: usize, actuation: Actuation) -> bool {
        let (Some(model), Some(ramp)) = (self.models.get_mut(index), self.ramps.get_mut(index))
        else {
            return false;
        };
        match actuation {
            Actuation::Set {
                value,
                time_constant_s,
                held,
                clears_fault,
            } => {
                model.nominal = value;
                if held {
                    model.sunlit = 0.0;
                }
                if let Some(tc) = time_constant_s {
                    model.time_constant_s = tc;
                }
                *ramp = None;
                if clears_fault {
                    self.faults[index] = None;
                }
            }
            Actuation::Ramp { to, per_s } => *ramp = Some((to, per_s.abs())),
            Actuation::Hold => *ramp = None,
        }
        true
    }

    /// Starts each channel at a value of its own rather than its nominal one.
    pub fn set_initial(&mut self, index: usize, value: f64) {
        if let (Some(level), Some(model)) = (self.levels.get_mut(index), self.models.get_mut(index))
        {
            // The level settles where it starts: the model's nominal moves with it.
            *level = value;
            model.nominal = value;
        }
    }

    /// Takes the next sample at `now` (Unix seconds), producing none for the time before (a
    /// paused training run).
    pub fn skip_to(&mut self, now: f64) {
        self.next = self.next.max(now.ceil());
    }

    /// No ground station hears the vehicle until `until` (Unix seconds).
    pub fn lose_comms_until(&mut self, until: f64) {
        self.comms_lost_until = Some(until);
    }

    fn sample_all(&mut self, t: f64, dt: f64, out: &mut Vec<Sample>) {
        let sunlit = self.environment.is_sunlit(t);
        let contact =
            self.environment.in_contact(t) && self.comms_lost_until.is_none_or(|until| t >= until);
        let hours = (t - self.start) / 3600.0;
        // The first sample starts settled for the light the vehicle is in.
        let first = self.next <= self.start;
        for (index, model) in self.models.iter_mut().enumerate() {
            // A commanded flow moves the level itself (a valve open fills the cabin now, not
            // after the channel's time constant).
            if let Some((to, per_s)) = self.ramps[index] {
                let step = per_s * dt;
                let moved = (to - model.nominal).clamp(-step, step);
                model.nominal += moved;
                self.levels[index] += moved;
                if (to - model.nominal).abs() < f64::EPSILON {
                    self.ramps[index] = None;
                }
            }
            let target = model.nominal + if sunlit { model.sunlit } else { 0.0 };
            let follow = if first {
                1.0
            } else {
                1.0 - (-dt / model.time_constant_s.max(1.0)).exp()
            };
            self.levels[index] += (target - self.levels[index]) * follow;
            let fault = self.faults[index];
            let mut value = match (fault, model.no_contact) {
                (Some(Fault::Dropout), _) => continue,
                (Some(Fault::Step(v)), _) => v,
                (Some(Fault::Stuck(held)), _) => {
                    let held = held.unwrap_or(self.last[index]);
                    self.faults[index] = Some(Fault::Stuck(Some(held)));
                    held
                }
                (Some(Fault::Ramp { to, per_s, at }), _) => {
                    let from = at.unwrap_or(self.last[index]);
                    let step = per_s.abs() * dt;
                    let now_at = from + (to - from).clamp(-step, step);
                    self.faults[index] = Some(Fault::Ramp {
                        to,
                        per_s,
                        at: Some(now_at),
                    });
                    now_at + model.noise * self.noise.gaussian()
                }
                (_, Some(floor)) if !contact => floor + model.noise * self.noise.gaussian(),
                _ => {
                    let wave = model.wave
                        * (std::f64::consts::TAU * t / model.wave_period_s.max(1.0)
                            + self.phases[index])
                            .sin();
                    let mut value = self.levels[index]
                        + model.per_hour * hours
                        + wave
                        + model.noise * self.noise.gaussian();
                    match fault {
                        Some(Fault::Drift { from_t, per_s }) => {
                            value += per_s * (t - from_t).max(0.0);
                        }
                        Some(Fault::Noise(sigma)) => value += sigma * self.noise.gaussian(),
                        _ => {}
                    }
                    value
                }
            };
            if let Some([low, high]) = model.clamp {
                value = value.clamp(low, high);
            }
            self.last[index] = value;
            out.push(Sample {
                channel: index,
                t,
                value,
            });
        }
    }
}

impl TelemetrySource for Simulator {
    fn kind(&self) -> SourceKind {
        SourceKind::Simulated
    }

    fn set_environment(&mut self, environment: &Environment) {
        self.environment = environment.clone();
    }

    /// Holds channel `index` at `value` until cleared with `None`.
    fn inject(&mut self, index: usize, value: Option<f64>) -> bool {
        self.set_fault(index, value.map(Fault::Step))
    }

    fn play_fault(&mut self, index: usize, fault: Option<Fault>) -> bool {
        self.set_fault(index, fault)
    }

    fn uplink_refusal(&self) -> Option<String> {
        None
    }

    fn in_contact(&self, t: f64) -> Option<bool> {
        Some(self.environment.in_contact(t) && self.comms_lost_until.is_none_or(|until| t >= until))
    }

    fn actuate(&mut self, index: usize, actuation: Actuation) -> bool {
        Simulator::actuate(self, index, actuation)
    }

    fn mission_start(&self) -> Option<f64> {
        Some(self.start)
    }

    fn poll(&mut self, now: DateTime<Utc>, out: &mut Vec<Sample>) {
        let now = unix_seconds(now);
        if now - self.next > MAX_CATCH_UP_S {
            self.next = (now - MAX_CATCH_UP_S).floor();
        }
        while self.next <= now {
            self.sample_all(self.next, 1.0, out);
            self.next += 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn dictionary() -> Dictionary {
        Dictionary::shipped(&["1A".to_owned()]).unwrap()
    }

    fn run(seed: u64, seconds: i64, environment: &Environment) -> Vec<Sample> {
        let d = dictionary();
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut sim = Simulator::new(&d, start, seed);
        sim.set_environment(environment);
        // Polled every minute, as a running console does.
        let mut out = Vec::new();
        for s in (60..seconds).step_by(60).chain([seconds]) {
            sim.poll(start + Duration::seconds(s), &mut out);
        }
        out
    }

    fn values(samples: &[Sample], channel: usize) -> Vec<f64> {
        samples
            .iter()
            .filter(|s| s.channel == channel)
            .map(|s| s.value)
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_values_and_another_seed_does_not() {
        let a = run(7, 120, &Environment::default());
        let b = run(7, 120, &Environment::default());
        let c = run(8, 120, &Environment::default());
        assert_eq!(a.len(), 121 * dictionary().channels.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.value.to_bits() == y.value.to_bits())
        );
        assert!(
            a.iter()
                .zip(&c)
                .any(|(x, y)| x.value.to_bits() != y.value.to_bits())
        );
    }

    #[test]
    fn nominal_values_stay_inside_their_watch_limits() {
        let d = dictionary();
        let samples = run(1, 3600, &Environment::default());
        for (index, channel) in d.channels.iter().enumerate() {
            for value in values(&samples, index) {
                let watch = channel.limits.watch;
                assert!(
                    watch.low.is_none_or(|l| value >= l) && watch.high.is_none_or(|h| value <= h),
                    "{} = {value} outside its watch band",
                    channel.id
                );
            }
        }
    }

    #[test]
    fn orbital_night_cools_the_hull_and_drains_the_battery() {
        let d = dictionary();
        let start = unix_seconds("2026-11-22T12:00:00Z".parse().unwrap());
        // Sunlit for the first 50 minutes, then eclipse.
        let environment = Environment {
            sunlit: vec![(start, start + 3000.0)],
            contacts: vec![(start, start + 7200.0)],
            known: true,
        };
        let samples = run(3, 5400, &environment);
        let hull = values(
            &samples,
            d.channels
                .iter()
                .position(|c| c.id == "thm.hull_temp")
                .unwrap(),
        );
        let soc = values(
            &samples,
            d.channels
                .iter()
                .position(|c| c.id == "pwr.battery_soc")
                .unwrap(),
        );
        let solar = values(
            &samples,
            d.channels
                .iter()
                .position(|c| c.id == "pwr.solar_array_current")
                .unwrap(),
        );
        // It starts settled for sunlight: -45 °C in eclipse, 85 °C warmer in sunlight.
        assert!((hull[0] - 40.0).abs() < 2.0, "{}", hull[0]);
        assert!((hull[2999] - 40.0).abs() < 2.0, "{}", hull[2999]);
        assert!(hull[5399] < hull[2999] - 40.0, "cools in eclipse");
        assert!(soc[5399] < soc[2999], "the battery drains in eclipse");
        assert!(
            solar[2999] > 35.0 && solar[5399] < 2.0,
            "{} {}",
            solar[2999],
            solar[5399]
        );
    }

    #[test]
    fn consumables_deplete() {
        let d = dictionary();
        let o2 = d
            .channels
            .iter()
            .position(|c| c.id == "ls.o2_tank_pressure")
            .unwrap();
        let o2 = values(&run(4, 3 * 3600, &Environment::default()), o2);
        // 0.06 MPa an hour, under 0.01 MPa of noise.
        let drop = o2[0] - o2[3 * 3600];
        assert!((drop - 0.18).abs() < 0.05, "{drop}");
    }

    #[test]
    fn a_long_sleep_is_caught_up_ten_minutes_at_most() {
        let d = dictionary();
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut sim = Simulator::new(&d, start, 1);
        let mut out = Vec::new();
        sim.poll(start + Duration::hours(5), &mut out);
        assert_eq!(out.len(), 601 * d.channels.len());
    }

    #[test]
    fn comms_read_the_noise_floor_out_of_contact() {
        let d = dictionary();
        let signal = d
            .channels
            .iter()
            .position(|c| c.id == "com.signal_strength")
            .unwrap();
        let start = unix_seconds("2026-11-22T12:00:00Z".parse().unwrap());
        let environment = Environment {
            sunlit: Vec::new(),
            contacts: vec![(start, start + 60.0)],
            known: true,
        };
        let samples = values(&run(5, 120, &environment), signal);
        assert!(
            samples[30] > -100.0 && samples[90] < -120.0,
            "{} {}",
            samples[30],
            samples[90]
        );
    }

    #[test]
    fn an_injected_value_holds_until_cleared() {
        let d = dictionary();
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut sim = Simulator::new(&d, start, 1);
        sim.inject(2, Some(1.5));
        let mut out = Vec::new();
        sim.poll(start + Duration::seconds(2), &mut out);
        assert!(values(&out, 2).iter().all(|v| (*v - 1.5).abs() < 1e-12));
        sim.inject(2, None);
        out.clear();
        sim.poll(start + Duration::seconds(4), &mut out);
        assert!(values(&out, 2).iter().all(|v| (*v - 1.5).abs() > 0.1));
    }
}

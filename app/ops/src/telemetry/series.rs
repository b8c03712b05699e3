//! Per-channel sample history: a bounded ring of (time, value) kept in time order, with
//! min/max decimation so a plot of a long range draws a few thousand points whatever the
//! range holds, and never hides a spike.

use std::collections::VecDeque;

/// One channel's samples, oldest first; the oldest fall off once `capacity` is reached.
#[derive(Debug, Clone)]
pub struct Series {
    times: VecDeque<f64>,
    values: VecDeque<f32>,
    capacity: usize,
}

impl Series {
    /// An empty series holding at most `capacity` samples.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            times: VecDeque::new(),
            values: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds a sample; one older than the newest is dropped (time never runs backwards in a
    /// series, so ranges can be found by bisection).
    pub fn push(&mut self, t: f64, value: f64) -> bool {
        if self.times.back().is_some_and(|last| t < *last) {
            return false;
        }
        if self.times.len() == self.capacity {
            self.times.pop_front();
            self.values.pop_front();
        } else if self.times.len() == self.times.capacity() {
            // Grow by doubling, but never past the capacity asked for: a full day of one
            // channel is then 86,400 slots, not the next power of two (131,072).
            let extra = self
                .times
                .len()
                .max(1024)
                .min(self.capacity - self.times.len());
            self.times.reserve_exact(extra);
            self.values.reserve_exact(extra);
        }
        self.times.push_back(t);
        #[allow(
            clippy::cast_possible_truncation,
            reason = "sensor values fit f32's 7 digits"
        )]
        self.values.push_back(value as f32);
        true
    }

    /// The most samples it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many samples it holds.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The time of the oldest sample held.
    pub fn first_time(&self) -> Option<f64> {
        self.times.front().copied()
    }

    /// The newest sample.
    pub fn last(&self) -> Option<(f64, f64)> {
        Some((*self.times.back()?, f64::from(*self.values.back()?)))
    }

    /// The samples from `t0` on, oldest first.
    pub fn recent(&self, t0: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
        let start = self.times.partition_point(|t| *t < t0);
        self.times
            .range(start..)
            .zip(self.values.range(start..))
            .map(|(t, v)| (*t, f64::from(*v)))
    }

    /// The samples between `t0` and `t1`, reduced to at most `2 × buckets` points: each
    /// bucket of time gives its lowest and highest sample, in time order.
    pub fn decimated(&self, t0: f64, t1: f64, buckets: usize) -> Vec<[f64; 2]> {
        let start = self.times.partition_point(|t| *t < t0);
        let end = self.times.partition_point(|t| *t <= t1);
        if end <= start {
            return Vec::new();
        }
        if end - start <= 2 * buckets.max(1) {
            return (start..end)
                .map(|i| [self.times[i], f64::from(self.values[i])])
                .collect();
        }
        #[allow(clippy::cast_precision_loss, reason = "a bucket count")]
        let width = (t1 - t0) / buckets.max(1) as f64;
        let mut out = Vec::with_capacity(2 * buckets);
        let mut i = start;
        while i < end {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "the bucket index of a time inside the range"
            )]
            let bucket = ((self.times[i] - t0) / width).floor() as i64;
            let (mut lo, mut hi) = (i, i);
            let mut j = i + 1;
            #[allow(clippy::cast_precision_loss, reason = "a bucket index")]
            let bucket_end = t0 + (bucket + 1) as f64 * width;
            while j < end && self.times[j] < bucket_end {
                if self.values[j] < self.values[lo] {
                    lo = j;
                }
                if self.values[j] > self.values[hi] {
                    hi = j;
                }
                j += 1;
            }
            let (first, second) = if lo <= hi { (lo, hi) } else { (hi, lo) };
            out.push([self.times[first], f64::from(self.values[first])]);
            if second != first {
                out.push([self.times[second], f64::from(self.values[second])]);
            }
            i = j;
        }
        out
    }

    /// Bytes held, for the memory budget.
    pub fn heap_bytes(&self) -> usize {
        self.times.capacity() * std::mem::size_of::<f64>()
            + self.values.capacity() * std::mem::size_of::<f32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_samples_fall_off_and_time_never_runs_back() {
        let mut s = Series::with_capacity(3);
        for t in 0..5 {
            assert!(s.push(f64::from(t), f64::from(t) * 10.0));
        }
        assert_eq!(s.len(), 3);
        assert!(!s.push(1.0, 0.0), "older than the newest");
        assert_eq!(
            s.recent(0.0).collect::<Vec<_>>(),
            [(2.0, 20.0), (3.0, 30.0), (4.0, 40.0)]
        );
        assert_eq!(s.last(), Some((4.0, 40.0)));
    }

    #[test]
    fn a_full_series_holds_no_more_room_than_asked_for() {
        let mut s = Series::with_capacity(86_400);
        for t in 0..100_000 {
            s.push(f64::from(t), 1.0);
        }
        assert_eq!(s.len(), 86_400);
        assert!(s.heap_bytes() <= 86_400 * 12 + 64, "{}", s.heap_bytes());
    }

    #[test]
    fn decimation_keeps_every_spike_and_bounds_the_points() {
        let mut s = Series::with_capacity(1_000_000);
        for i in 0..1_000_000_u32 {
            let value = if i == 777_777 {
                99.0
            } else if i == 123_456 {
                -99.0
            } else {
                1.0
            };
            s.push(f64::from(i), value);
        }
        let points = s.decimated(0.0, 999_999.0, 1000);
        assert!(points.len() <= 2000, "{}", points.len());
        let has = |t: f64, v: f64| {
            points
                .iter()
                .any(|p| (p[0] - t).abs() < 1e-9 && (p[1] - v).abs() < 1e-9)
        };
        assert!(has(777_777.0, 99.0));
        assert!(has(123_456.0, -99.0));
        assert!(
            points.windows(2).all(|w| w[0][0] <= w[1][0]),
            "in time order"
        );
        // A short range is returned whole.
        assert_eq!(s.decimated(10.0, 14.0, 1000).len(), 5);
        assert!(s.decimated(2e6, 3e6, 10).is_empty());
    }
}

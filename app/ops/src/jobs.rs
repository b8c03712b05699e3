//! Background jobs (a bookings import, an incident report, …): one home for work that runs on
//! a thread of its own while the screen shows its progress and, at the end, its result.
//!
//! A job that panics ends with an error that says so, rather than leaving the screen waiting
//! for a result that never comes.

use std::sync::{Arc, Mutex, PoisonError};

/// How far a job has come: `done` of `total` (rows, steps, thousandths).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Units done.
    pub done: u64,
    /// Units in all (0 until the job knows).
    pub total: u64,
}

impl Progress {
    /// The share done, 0 to 1 (0 while the total is unknown).
    pub fn share(self) -> f32 {
        if self.total == 0 {
            0.0
        } else {
            #[allow(clippy::cast_precision_loss, reason = "a share for a progress bar")]
            let share = self.done.min(self.total) as f32 / self.total as f32;
            share
        }
    }
}

/// What a job's work reports its progress through.
#[derive(Debug, Clone)]
pub struct ProgressReporter(Arc<Mutex<Progress>>);

impl ProgressReporter {
    /// `done` of `total` units.
    pub fn counts(&self, done: u64, total: u64) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Progress { done, total };
    }

    /// A share from 0 to 1, kept in thousandths.
    pub fn share(&self, share: f32) {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to 0..=1000 first"
        )]
        let done = (share.clamp(0.0, 1.0) * 1000.0).round() as u64;
        self.counts(done, 1000);
    }
}

type Outcome<T> = Arc<Mutex<Option<Result<T, String>>>>;

/// Work running on a thread of its own, with its progress and, once done, its result.
#[derive(Debug)]
pub struct Job<T> {
    label: String,
    progress: Arc<Mutex<Progress>>,
    outcome: Outcome<T>,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread named after `label`; its error is a sentence for the screen.
    pub fn start(
        label: &str,
        work: impl FnOnce(&ProgressReporter) -> Result<T, String> + Send + 'static,
    ) -> std::io::Result<Self> {
        let progress = Arc::new(Mutex::new(Progress::default()));
        let outcome: Outcome<T> = Arc::new(Mutex::new(None));
        let reporter = ProgressReporter(Arc::clone(&progress));
        let slot = Arc::clone(&outcome);
        let name = label.to_owned();
        std::thread::Builder::new()
            .name(format!("galaxium-job {label}"))
            .spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    work(&reporter)
                }))
                .unwrap_or_else(|_| {
                    Err(format!(
                        "{name} stopped unexpectedly; nothing of it was kept that was not already saved"
                    ))
                });
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
            })?;
        Ok(Self {
            label: label.to_owned(),
            progress,
            outcome,
        })
    }
}

impl<T> Job<T> {
    /// What the job is, for the screen.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How far it has come.
    pub fn progress(&self) -> Progress {
        *self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Its result, once, when it has finished; `None` while it runs.
    pub fn take_result(&self) -> Option<Result<T, String>> {
        self.outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for<T>(job: &Job<T>) -> Result<T, String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(result) = job.take_result() {
                return result;
            }
            assert!(std::time::Instant::now() < deadline, "the job ends");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn a_job_reports_its_progress_and_hands_its_result_over_once() {
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let job = Job::start("counting", move |progress| {
            progress.counts(3, 4);
            wait.recv().map_err(|e| e.to_string())?;
            Ok(42)
        })
        .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while job.progress() != (Progress { done: 3, total: 4 }) {
            assert!(std::time::Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!((job.progress().share() - 0.75).abs() < 1e-6);
        assert!(job.take_result().is_none(), "still running");
        go.send(()).unwrap();
        assert_eq!(wait_for(&job), Ok(42));
        assert!(job.take_result().is_none(), "handed over once");
        assert_eq!(job.label(), "counting");
    }

    #[test]
    fn a_job_that_panics_ends_with_an_error_instead_of_never_ending() {
        let job: Job<()> = Job::start("the report", |progress| {
            progress.share(0.5);
            panic!("a bug");
        })
        .unwrap();
        let err = wait_for(&job).unwrap_err();
        assert!(err.starts_with("the report stopped unexpectedly"), "{err}");
        assert_eq!(
            job.progress(),
            Progress {
                done: 500,
                total: 1000
            }
        );
    }
}

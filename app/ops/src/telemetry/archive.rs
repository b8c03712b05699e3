//! The telemetry archive: samples written in batches into the replica's SQLite file (local
//! tables, not replicated) by a thread of its own, so no frame waits for the disk; and read
//! back for history with min/max decimation done by SQLite.
//!
//! A batch that cannot be written (a full disk, a locked file) stays queued and is tried
//! again; nothing is dropped until the queue passes [`MAX_QUEUED`] samples, and then the
//! oldest go with a count that the screen shows.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::Sample;

/// A batch is committed at least this often while samples arrive.
const COMMIT_EVERY: Duration = Duration::from_millis(250);
/// Or once it holds this many samples.
const COMMIT_SAMPLES: usize = 20_000;
/// The most samples kept waiting while the disk refuses them.
pub const MAX_QUEUED: usize = 2_000_000;
/// Samples older than this are removed. A day of the demo's 43 channels at 1 Hz is about
/// 180 MB, which the replica's integrity check at opening reads in some 0.4 s; more would
/// push opening past its one-second budget and swell every backup.
pub const RETENTION_DAYS: f64 = 1.0;
/// How often old samples are removed.
const PRUNE_EVERY: Duration = Duration::from_mins(10);

/// Why the archive cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// SQLite refused.
    #[error("telemetry archive in {path}: {source}")]
    Sqlite {
        /// The replica file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

enum Message {
    Samples(Vec<Sample>),
    Flush(mpsc::Sender<()>),
}

/// Where the writer stands, for the screen.
#[derive(Debug, Default)]
pub struct ArchiveStatus {
    /// Samples written so far.
    pub written: AtomicU64,
    /// Samples dropped because the queue overflowed while writes failed.
    pub dropped: AtomicU64,
    /// The last write error, cleared by the next good write.
    pub error: Mutex<Option<String>>,
}

/// The archive writer.
pub struct Archive {
    sender: Sender<Message>,
    status: Arc<ArchiveStatus>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
}

fn open(path: &Path, busy: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy)?;
    // WAL is the replica's mode already; NORMAL sync is durable across a crash of the
    // console and costs at most the last batch on a power cut, which suits telemetry.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// The archive ids of `names` (in order), adding the names not seen before.
fn channel_ids(conn: &Connection, names: &[String]) -> rusqlite::Result<Vec<i64>> {
    let mut insert = conn.prepare("INSERT OR IGNORE INTO telemetry_channels (name) VALUES (?1)")?;
    let mut select = conn.prepare("SELECT id FROM telemetry_channels WHERE name = ?1")?;
    names
        .iter()
        .map(|name| {
            insert.execute([name])?;
            select.query_row([name], |r| r.get(0))
        })
        .collect()
}

impl Archive {
    /// Starts a writer into the replica at `path` for the channels `names` (the dictionary's
    /// ids, in dictionary order).
    pub fn start(path: &Path, names: &[String]) -> Result<Self, ArchiveError> {
        Self::start_waiting(path, names, Duration::from_secs(5))
    }

    /// As [`Archive::start`], waiting at most `busy` for another writer before a batch fails
    /// (and is kept to retry).
    fn start_waiting(path: &Path, names: &[String], busy: Duration) -> Result<Self, ArchiveError> {
        let fail = |source| ArchiveError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = open(path, busy).map_err(fail)?;
        let ids = channel_ids(&conn, names).map_err(fail)?;
        let (sender, receiver) = mpsc::channel();
        let status = Arc::new(ArchiveStatus::default());
        let thread_status = Arc::clone(&status);
        let thread = std::thread::Builder::new()
            .name("telemetry-archive".into())
            .spawn(move || write_loop(&conn, &ids, &receiver, &thread_status))
            .map_err(|e| fail(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        Ok(Self {
            sender,
            status,
            thread: Some(thread),
            path: path.to_owned(),
        })
    }

    /// Queues samples for writing; never waits for the disk.
    pub fn send(&self, samples: &[Sample]) {
        if !samples.is_empty() {
            // The thread only stops when the archive is dropped.
            let _ = self.sender.send(Message::Samples(samples.to_vec()));
        }
    }

    /// Waits until everything sent so far has been tried (for tests, benchmarks and a
    /// clean shutdown).
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        if self.sender.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// How the writer is doing.
    pub fn status(&self) -> &ArchiveStatus {
        &self.status
    }

    /// The replica file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        self.flush();
        // Closing the channel ends the loop.
        let (sender, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.sender, sender));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_batch(conn: &Connection, ids: &[i64], samples: &[Sample]) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO telemetry_samples (channel, t, value) VALUES (?1, ?2, ?3)",
        )?;
        for s in samples {
            if let Some(id) = ids.get(s.channel) {
                insert.execute(params![id, s.t, s.value])?;
            }
        }
    }
    tx.commit()
}

fn write_loop(
    conn: &Connection,
    ids: &[i64],
    receiver: &Receiver<Message>,
    status: &ArchiveStatus,
) {
    let mut queued: Vec<Sample> = Vec::new();
    let mut last_commit = Instant::now();
    let mut flushes: Vec<mpsc::Sender<()>> = Vec::new();
    let mut last_prune: Option<Instant> = None;
    loop {
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(Instant::now());
            let horizon = chrono::Utc::now().timestamp() as f64 - RETENTION_DAYS * 86_400.0;
            if let Err(err) = conn.execute("DELETE FROM telemetry_samples WHERE t < ?1", [horizon])
            {
                tracing::warn!("telemetry archive: removing old samples: {err}");
            }
        }
        let wait = COMMIT_EVERY.saturating_sub(last_commit.elapsed());
        let closed = match receiver.recv_timeout(wait) {
            Ok(Message::Samples(samples)) => {
                queued.extend(samples);
                false
            }
            Ok(Message::Flush(done)) => {
                flushes.push(done);
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        let due = last_commit.elapsed() >= COMMIT_EVERY
            || queued.len() >= COMMIT_SAMPLES
            || !flushes.is_empty()
            || closed;
        if due && !queued.is_empty() {
            match write_batch(conn, ids, &queued) {
                Ok(()) => {
                    status
                        .written
                        .fetch_add(queued.len() as u64, Ordering::Relaxed);
                    queued.clear();
                    if let Ok(mut error) = status.error.lock() {
                        *error = None;
                    }
                }
                Err(err) => {
                    tracing::error!(
                        "telemetry archive: {err}; {} samples kept to retry",
                        queued.len()
                    );
                    if let Ok(mut error) = status.error.lock() {
                        *error = Some(format!("{err}; {} samples waiting", queued.len()));
                    }
                    if queued.len() > MAX_QUEUED {
                        let excess = queued.len() - MAX_QUEUED;
                        queued.drain(..excess);
                        status.dropped.fetch_add(excess as u64, Ordering::Relaxed);
                    }
                }
            }
        }
        if due {
            last_commit = Instant::now();
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
        if closed {
            return;
        }
    }
}

/// History of channel `name` between `t0` and `t1` (Unix seconds), at most `2 × buckets`
/// points: the lowest and highest sample of each slice of time, in time order.
pub fn history(
    path: &Path,
    name: &str,
    t0: f64,
    t1: f64,
    buckets: usize,
) -> Result<Vec<[f64; 2]>, ArchiveError> {
    let fail = |source| ArchiveError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(fail)?;
    #[allow(clippy::cast_precision_loss, reason = "a bucket count")]
    let width = ((t1 - t0) / buckets.max(1) as f64).max(1e-6);
    // Per bucket, the times of its lowest and highest value (SQLite returns the row of the
    // min() or max() for the bare column beside it).
    let mut statement = conn
        .prepare(
            "SELECT t_lo, lo, t_hi, hi FROM (
               SELECT CAST((t - ?2) / ?4 AS INTEGER) AS bucket, min(value) AS lo, t AS t_lo
               FROM telemetry_samples s JOIN telemetry_channels c ON c.id = s.channel
               WHERE c.name = ?1 AND t >= ?2 AND t <= ?3 GROUP BY bucket
             ) JOIN (
               SELECT CAST((t - ?2) / ?4 AS INTEGER) AS bucket, max(value) AS hi, t AS t_hi
               FROM telemetry_samples s JOIN telemetry_channels c ON c.id = s.channel
               WHERE c.name = ?1 AND t >= ?2 AND t <= ?3 GROUP BY bucket
             ) USING (bucket) ORDER BY bucket",
        )
        .map_err(fail)?;
    let rows = statement
        .query_map(params![name, t0, t1, width], |r| {
            Ok((
                r.get::<_, f64>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, f64>(3)?,
            ))
        })
        .map_err(fail)?;
    let mut points = Vec::new();
    for row in rows {
        let (t_lo, lo, t_hi, hi) = row.map_err(fail)?;
        if t_lo <= t_hi {
            points.push([t_lo, lo]);
            if t_hi > t_lo {
                points.push([t_hi, hi]);
            }
        } else {
            points.push([t_hi, hi]);
            points.push([t_lo, lo]);
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use galaxium_sync::{OpenOptions, Replica};

    use super::*;

    fn replica() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replica.sqlite");
        Replica::open(&path, &OpenOptions::default()).unwrap();
        (dir, path)
    }

    #[test]
    fn samples_sent_are_written_and_read_back_decimated() {
        let (_dir, path) = replica();
        let names = vec!["a".to_owned(), "b".to_owned()];
        let archive = Archive::start(&path, &names).unwrap();
        let samples: Vec<Sample> = (0..10_000)
            .map(|i| Sample {
                channel: usize::from(i % 2 == 1),
                t: f64::from(i / 2),
                value: if i == 8_001 { 99.0 } else { f64::from(i % 7) },
            })
            .collect();
        archive.send(&samples);
        archive.flush();
        assert_eq!(archive.status().written.load(Ordering::Relaxed), 10_000);
        let points = history(&path, "b", 0.0, 5_000.0, 100).unwrap();
        assert!(points.len() <= 200, "{}", points.len());
        assert!(
            points.iter().any(|p| (p[1] - 99.0).abs() < 1e-9),
            "the spike survives"
        );
        assert!(points.windows(2).all(|w| w[0][0] <= w[1][0]));
        // Starting again finds the same channel ids.
        drop(archive);
        let again = Archive::start(&path, &names).unwrap();
        again.send(&[Sample {
            channel: 0,
            t: 9e3,
            value: 1.0,
        }]);
        again.flush();
        assert_eq!(
            history(&path, "a", 8_999.0, 9_001.0, 10).unwrap(),
            vec![[9e3, 1.0]]
        );
    }

    #[test]
    fn a_file_that_cannot_be_written_keeps_the_samples_and_says_why() {
        let (_dir, path) = replica();
        let archive =
            Archive::start_waiting(&path, &["a".to_owned()], Duration::from_millis(10)).unwrap();
        // Another writer holds the file longer than the archive waits.
        let blocker = Connection::open(&path).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        archive.send(&[Sample {
            channel: 0,
            t: 1.0,
            value: 2.0,
        }]);
        archive.flush();
        let error = archive.status().error.lock().unwrap().clone().unwrap();
        assert!(
            error.contains("locked") && error.ends_with("1 samples waiting"),
            "{error}"
        );
        assert_eq!(archive.status().written.load(Ordering::Relaxed), 0);
        // Once it lets go, the kept sample is written and the error clears.
        blocker.execute_batch("COMMIT").unwrap();
        archive.send(&[Sample {
            channel: 0,
            t: 2.0,
            value: 3.0,
        }]);
        archive.flush();
        assert_eq!(archive.status().written.load(Ordering::Relaxed), 2);
        assert!(archive.status().error.lock().unwrap().is_none());
        assert_eq!(archive.status().dropped.load(Ordering::Relaxed), 0);
    }
}

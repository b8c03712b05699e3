//! What the screens show, read from the replica in one go, and a reader that does it on a
//! thread of its own.
//!
//! With 10,000 launches and a launch of 200,000 bookings open, one read takes 85–150 ms: on
//! the UI thread that is up to nine dropped frames each time a sync brings something new.
//! The console reads on the reader's thread when the change came from elsewhere (a sync,
//! another process), and keeps showing what it has until the new read is there.

use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use galaxium_sync::{Replica, ReplicaError};

use crate::bookings::data::BookingsData;
use crate::incidents::{self, Incident, IncidentDetail, SeverityLevel, snapshot::Snapshot};
use crate::orbit::OrbitData;
use crate::overview::{self, OverviewSnapshot};

/// What to read: the selections that decide which launch, booking and incident are read in
/// full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRequest {
    /// Now on the mission clock (today's launches, what is upcoming).
    pub now: DateTime<Utc>,
    /// The launch shown in full.
    pub launch: Option<String>,
    /// The check-in desk's locator.
    pub locator: Option<String>,
    /// The check-in desk's search by surname or document number.
    pub desk_search: Option<String>,
    /// The launch the gate boards.
    pub gate_launch: Option<String>,
    /// The incident shown in full.
    pub incident: Option<String>,
    /// Whether to read that incident's telemetry snapshot too (the large part, read only when
    /// the selection changed or a snapshot was written).
    pub incident_snapshot: bool,
}

impl ReadRequest {
    /// Whether a read for `self` shows the same launch, booking and incident as `other` asks
    /// for (the time may differ).
    pub fn same_selection(&self, other: &Self) -> bool {
        self.launch == other.launch
            && self.locator == other.locator
            && self.desk_search == other.desk_search
            && self.gate_launch == other.gate_launch
            && self.incident == other.incident
    }
}

/// Everything the screens show from the replica, read at one time.
#[derive(Debug)]
pub struct ScreenData {
    /// The Overview's, the Sync view's and the status bar's.
    pub overview: OverviewSnapshot,
    /// Launches, the launch and the booking shown in full, passengers, vehicles, spaceports.
    pub bookings: BookingsData,
    /// Stations, objects and their element sets.
    pub orbit: OrbitData,
    /// Every incident.
    pub incidents: Vec<Incident>,
    /// The severity scale, in its current words.
    pub severities: Vec<SeverityLevel>,
    /// The crewed vehicle, whose alarms open incidents.
    pub crewed_vehicle: Option<String>,
    /// The selected incident in full.
    pub incident_detail: Option<IncidentDetail>,
    /// The selected incident's snapshot, when the request asked for it.
    pub incident_snapshot: Option<Option<Snapshot>>,
    /// The command queue and the newest commands' history.
    pub commands: Vec<crate::commanding::Command>,
}

/// Reads everything `request` asks for from `replica`.
pub fn read_screens(replica: &Replica, request: &ReadRequest) -> Result<ScreenData, ReplicaError> {
    let incident_detail = match &request.incident {
        Some(id) => incidents::detail(replica, id)?,
        None => None,
    };
    let incident_snapshot = match &request.incident {
        Some(id) if request.incident_snapshot => Some(incidents::snapshot::load(replica, id)?),
        _ => None,
    };
    Ok(ScreenData {
        overview: overview::snapshot(replica, request.now)?,
        bookings: BookingsData::load(
            replica,
            crate::bookings::data::BookingsRequest {
                selected: request.launch.as_deref(),
                locator: request.locator.as_deref(),
                search: request.desk_search.as_deref(),
                gate: request.gate_launch.as_deref(),
            },
            request.now,
        )?,
        orbit: OrbitData::load(replica)?,
        incidents: incidents::list(replica)?,
        severities: incidents::severities(replica)?,
        crewed_vehicle: incidents::crewed_vehicle_id(replica)?,
        incident_detail,
        incident_snapshot,
        commands: crate::commanding::read(replica, crate::commanding::HISTORY_SHOWN)?,
    })
}

/// A finished read: the number it was asked under, what was asked, and what was read (or
/// why it could not be, in words).
pub type FinishedRead = (u64, ReadRequest, Result<ScreenData, String>);

/// Reads the replica for the screens on a thread of its own, one read at a time; asks made
/// while a read runs are folded into one, the latest.
pub struct ScreenReader {
    requests: Option<Sender<(u64, ReadRequest)>>,
    results: Receiver<FinishedRead>,
    thread: Option<JoinHandle<()>>,
    /// The read running, by its number.
    running: Option<u64>,
    /// The latest ask made while a read ran.
    waiting: Option<(u64, ReadRequest)>,
}

impl ScreenReader {
    /// Starts the reader on its own connection to the replica at `path` (which this process
    /// has opened and checked already); `wake` is called when a read is done.
    pub fn start(
        path: &std::path::Path,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let (request_tx, request_rx) = mpsc::channel::<(u64, ReadRequest)>();
        let (result_tx, result_rx) = mpsc::channel::<FinishedRead>();
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("galaxium-screen-reads".into())
            .spawn(move || {
                let replica = Replica::reopen(&path).map_err(|e| e.to_string());
                while let Ok((number, request)) = request_rx.recv() {
                    let read = match &replica {
                        Ok(replica) => read_screens(replica, &request).map_err(|e| e.to_string()),
                        Err(err) => Err(err.clone()),
                    };
                    if result_tx.send((number, request, read)).is_err() {
                        break;
                    }
                    wake();
                }
            })?;
        Ok(Self {
            requests: Some(request_tx),
            results: result_rx,
            thread: Some(thread),
            running: None,
            waiting: None,
        })
    }

    /// Asks for a read; if one is running, this one starts when it ends (replacing any other
    /// waiting ask).
    pub fn ask(&mut self, number: u64, request: ReadRequest) {
        if self.running.is_some() {
            self.waiting = Some((number, request));
        } else {
            self.send(number, request);
        }
    }

    /// Whether a read is running or waiting.
    pub fn busy(&self) -> bool {
        self.running.is_some() || self.waiting.is_some()
    }

    fn send(&mut self, number: u64, request: ReadRequest) {
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|tx| tx.send((number, request)).is_ok());
        self.running = sent.then_some(number);
    }

    /// The read that finished since the last call, if any; starts the waiting ask.
    pub fn take(&mut self) -> Option<FinishedRead> {
        match self.results.try_recv() {
            Ok(finished) => {
                self.running = None;
                if let Some((number, request)) = self.waiting.take() {
                    self.send(number, request);
                }
                Some(finished)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                // The thread is gone (it cannot be, short of a panic): nothing will come.
                self.running = None;
                self.waiting = None;
                None
            }
        }
    }

    /// Stops the thread and waits for it.
    pub fn stop(&mut self) {
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.running = None;
        self.waiting = None;
    }
}

impl Drop for ScreenReader {
    fn drop(&mut self) {
        // Closing the channel ends the thread after its current read; not waited for, so a
        // closing window is not held up by a read.
        self.requests = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use galaxium_sync::OpenOptions;
    use std::time::{Duration, Instant};

    fn request(launch: Option<&str>) -> ReadRequest {
        ReadRequest {
            now: Utc::now(),
            launch: launch.map(str::to_owned),
            locator: None,
            desk_search: None,
            gate_launch: None,
            incident: None,
            incident_snapshot: false,
        }
    }

    fn wait(reader: &mut ScreenReader) -> FinishedRead {
        let started = Instant::now();
        loop {
            if let Some(done) = reader.take() {
                return done;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no read came");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn the_reader_reads_what_the_replica_holds_and_folds_asks_made_while_it_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replica.sqlite");
        let mut replica = Replica::open(&path, &OpenOptions::default()).unwrap();
        crate::demo::DemoDataset::shipped()
            .unwrap()
            .seed(&mut replica, Utc::now())
            .unwrap();
        let mut reader = ScreenReader::start(&path, || {}).unwrap();
        reader.ask(1, request(None));
        reader.ask(2, request(Some("nowhere")));
        reader.ask(3, request(None));
        assert!(reader.busy());
        let (number, _, first) = wait(&mut reader);
        assert_eq!(number, 1);
        let first = first.unwrap();
        assert!(
            !first.bookings.launches.is_empty(),
            "the demo's launches are read"
        );
        let launches: i64 = replica
            .read("counting", |c| {
                c.query_row("SELECT count(*) FROM launches", [], |r| r.get(0))
            })
            .unwrap();
        assert_eq!(
            i64::try_from(first.bookings.launches.len()).unwrap(),
            launches
        );
        // Ask 2 was replaced by ask 3 while 1 ran.
        let (number, asked, _) = wait(&mut reader);
        assert_eq!(number, 3);
        assert!(asked.same_selection(&request(None)));
        assert!(!reader.busy());
        reader.stop();
    }

    #[test]
    fn a_reader_on_a_file_that_is_no_replica_answers_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replica.sqlite");
        std::fs::write(
            &path,
            b"not a database, and long enough to have a header of sorts",
        )
        .unwrap();
        let mut reader = ScreenReader::start(&path, || {}).unwrap();
        reader.ask(1, request(None));
        let (_, _, read) = wait(&mut reader);
        let reason = read.unwrap_err();
        assert!(reason.contains("replica.sqlite"), "{reason}");
        reader.stop();
    }
}

//! The alarm tone's player: sounds the pattern the mission loop asks for
//! ([`galaxium_ops::telemetry::tone::wanted`]) on a thread of its own (rodio), so no frame
//! waits for the sound card.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use galaxium_ops::telemetry::tone::TonePattern;

/// Whether sound can be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToneOutput {
    /// The sound device is being opened.
    Opening,
    /// Ready.
    Ready,
    /// No sound: the reason (no device on this machine, say).
    Unavailable(String),
}

/// Sounds a [`TonePattern`] until told otherwise, on its own thread.
pub struct TonePlayer {
    requests: mpsc::Sender<Option<TonePattern>>,
    playing: Option<TonePattern>,
    output: Arc<Mutex<ToneOutput>>,
}

impl TonePlayer {
    /// Starts the player thread; the sound device is opened there.
    pub fn start() -> std::io::Result<Self> {
        let (requests, inbox) = mpsc::channel();
        let output = Arc::new(Mutex::new(ToneOutput::Opening));
        let thread_output = Arc::clone(&output);
        std::thread::Builder::new()
            .name("galaxium-tone".into())
            .spawn(move || play(&inbox, &thread_output))?;
        Ok(Self {
            requests,
            playing: None,
            output,
        })
    }

    /// Sounds `pattern` (or nothing) from now on; cheap when nothing changed.
    pub fn set(&mut self, pattern: Option<TonePattern>) {
        if pattern != self.playing {
            self.playing = pattern;
            // A closed channel means the player thread ended (no device): nothing to do.
            let _ = self.requests.send(pattern);
        }
    }

    /// What is sounding.
    pub fn playing(&self) -> Option<TonePattern> {
        self.playing
    }

    /// Whether sound can be made.
    pub fn output(&self) -> ToneOutput {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn play(inbox: &mpsc::Receiver<Option<TonePattern>>, output: &Mutex<ToneOutput>) {
    use rodio::Source as _;

    let set_output = |state: ToneOutput| {
        *output.lock().unwrap_or_else(PoisonError::into_inner) = state;
    };
    let mut stream = match rodio::OutputStreamBuilder::open_default_stream() {
        Ok(stream) => stream,
        Err(err) => {
            tracing::warn!("no alarm tone: {err}");
            set_output(ToneOutput::Unavailable(format!("no sound device ({err})")));
            return;
        }
    };
    stream.log_on_drop(false);
    set_output(ToneOutput::Ready);
    let sink = rodio::Sink::connect_new(stream.mixer());
    let mut pattern: Option<TonePattern> = None;
    loop {
        let wait = match pattern {
            None => None,
            Some(p) => {
                let (pulses, pause) = p.pulses();
                for &(hz, on, off) in pulses {
                    sink.append(
                        rodio::source::SineWave::new(hz)
                            .take_duration(Duration::from_millis(on))
                            .fade_in(Duration::from_millis(10))
                            .amplify(0.3),
                    );
                    sink.append(
                        rodio::source::Zero::new(1, 44_100)
                            .take_duration(Duration::from_millis(off)),
                    );
                }
                Some(
                    pause
                        + pulses
                            .iter()
                            .map(|(_, on, off)| Duration::from_millis(on + off))
                            .sum::<Duration>(),
                )
            }
        };
        let next = match wait {
            None => inbox.recv().map_err(|_| ()),
            Some(wait) => match inbox.recv_timeout(wait) {
                Ok(next) => Ok(next),
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => Err(()),
            },
        };
        match next {
            Ok(next) => {
                sink.clear();
                sink.play();
                pattern = next;
            }
            // The console closed.
            Err(()) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_player_opens_the_sound_device_or_says_why_not() {
        let mut player = TonePlayer::start().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while player.output() == ToneOutput::Opening {
            assert!(
                std::time::Instant::now() < deadline,
                "the device opens or fails"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        match player.output() {
            ToneOutput::Ready => {}
            ToneOutput::Unavailable(reason) => assert!(reason.starts_with("no sound device")),
            ToneOutput::Opening => unreachable!(),
        }
        // Asking works either way, and is remembered.
        player.set(Some(TonePattern::Warning));
        assert_eq!(player.playing(), Some(TonePattern::Warning));
        player.set(None);
        assert_eq!(player.playing(), None);
    }
}

//! One structured log for the console and the command line: to stderr, and to a daily
//! rotating file in the data folder. Panics are logged before the process goes down.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// Keeps the file writer flushing until dropped at exit.
pub struct LogGuard {
    _file: Option<WorkerGuard>,
}

/// How chatty stderr should be.
#[derive(Debug, Clone, Copy)]
pub enum StderrLevel {
    /// The console: progress worth seeing when it was started from a terminal.
    Info,
    /// Headless commands: stdout is their answer, so stderr keeps to warnings.
    Warn,
}

/// Starts logging, to files in `log_dir` when given. `RUST_LOG` overrides the levels. When the log folder cannot be written the
/// console still runs, logging to stderr only, and says so there.
pub fn init(log_dir: Option<&Path>, stderr_level: StderrLevel) -> LogGuard {
    let stderr_default = match stderr_level {
        StderrLevel::Info => "info,wgpu=warn,naga=warn,eframe=warn,egui_wgpu=warn",
        StderrLevel::Warn => "warn",
    };
    let stderr_filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(stderr_default));
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(stderr_filter);

    let file = log_dir.map(|dir| {
        std::fs::create_dir_all(dir)?;
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("galaxium")
            .filename_suffix("log")
            .max_log_files(14)
            .build(dir)
            .map_err(std::io::Error::other)
    });
    let (file_layer, guard, file_error) = match file {
        None => (None, None, None),
        Some(Ok(appender)) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(EnvFilter::new("info,wgpu=warn,naga=warn"));
            (Some(layer), Some(guard), None)
        }
        Some(Err(err)) => (None, None, Some(err)),
    };

    // A second init (tests, benchmarks) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init();
    if let (Some(err), Some(dir)) = (file_error, log_dir) {
        tracing::warn!(dir = %dir.display(), "logging to stderr only: cannot write log files: {err}");
    }

    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(target: "panic", "{info}");
        default_hook(info);
    }));

    LogGuard { _file: guard }
}

//! The stop signals: SIGINT and SIGTERM both ask for a graceful stop.
//!
//! actix-server treats SIGINT as "stop now", dropping requests in flight;
//! Fly sends SIGINT unless `kill_signal` says otherwise, and a developer
//! presses Ctrl-C. So the app listens itself and treats both alike.

use std::io;

#[cfg(unix)]
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Listeners for SIGINT and SIGTERM, registered when made: a signal that
/// arrives after [`StopSignals::listen`] is never lost.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: Signal,
    #[cfg(unix)]
    terminate: Signal,
}

impl StopSignals {
    /// Registers the listeners; needs a running Tokio (actix) runtime.
    pub fn listen() -> io::Result<StopSignals> {
        #[cfg(unix)]
        {
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    /// Waits for the next stop signal and names it.
    pub async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

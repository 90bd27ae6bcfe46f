//! Control over a launched process: signals to its process group, and
//! waiting for its exit.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::localfly::launcher::{Control, StopSignal};

#[derive(Default)]
pub(super) struct Exited {
    done: Mutex<bool>,
    changed: Condvar,
}

impl Exited {
    pub(super) fn mark(&self) {
        if let Ok(mut done) = self.done.lock() {
            *done = true;
            self.changed.notify_all();
        }
    }

    pub(super) fn is_done(&self) -> bool {
        self.done.lock().map(|d| *d).unwrap_or(true)
    }

    pub(super) fn wait(&self, timeout: Duration) -> bool {
        let Ok(done) = self.done.lock() else {
            return true;
        };
        match self
            .changed
            .wait_timeout_while(done, timeout, |done| !*done)
        {
            Ok((done, _)) => *done,
            Err(_) => true,
        }
    }
}

pub(super) struct ProcessControl {
    pub(super) pid: i32,
    pub(super) exited: std::sync::Arc<Exited>,
}

impl ProcessControl {
    fn send(&self, signal: i32) {
        if !self.exited.is_done() {
            // SAFETY: kill has no memory effects; a negative pid names the
            // child's own process group.
            unsafe {
                libc::kill(-self.pid, signal);
            }
        }
    }
}

impl Control for ProcessControl {
    fn signal(&self, signal: StopSignal) {
        let number = match signal {
            StopSignal::Int => libc::SIGINT,
            StopSignal::Term => libc::SIGTERM,
            StopSignal::Quit => libc::SIGQUIT,
            StopSignal::Kill => libc::SIGKILL,
        };
        self.send(number);
        // A suspended (frozen) process only sees the signal once thawed.
        self.send(libc::SIGCONT);
    }

    fn kill(&self) {
        self.send(libc::SIGKILL);
    }

    fn pause(&self) {
        self.send(libc::SIGSTOP);
    }

    fn resume(&self) {
        self.send(libc::SIGCONT);
    }

    fn wait_exit(&self, timeout: Duration) -> bool {
        self.exited.wait(timeout)
    }
}

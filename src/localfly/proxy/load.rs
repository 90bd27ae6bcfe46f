//! Requests in flight per machine: the proxy sends each request to the
//! least loaded machine, and autostop leaves busy machines alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::localfly::fleet::{Fleet, MachineState, Route};

/// Counts shared by every proxy worker.
#[derive(Clone, Default)]
pub struct Loads {
    counts: Arc<Mutex<HashMap<String, (usize, u64)>>>,
}

/// Holds one request's place on a machine; released on drop.
pub struct InFlight {
    loads: Loads,
    fleet: Fleet,
    app: String,
    id: String,
}

impl Loads {
    /// Requests in flight on `id`.
    pub fn in_flight(&self, id: &str) -> usize {
        self.counts
            .lock()
            .map(|counts| counts.get(id).map_or(0, |c| c.0))
            .unwrap_or(0)
    }

    /// Marks a request as running on machine `id` of `app`.
    pub fn enter(&self, fleet: &Fleet, app: &str, id: &str) -> InFlight {
        if let Ok(mut counts) = self.counts.lock() {
            let entry = counts.entry(id.to_owned()).or_default();
            entry.0 += 1;
            entry.1 += 1;
        }
        InFlight {
            loads: self.clone(),
            fleet: fleet.clone(),
            app: app.to_owned(),
            id: id.to_owned(),
        }
    }

    /// The started route with the fewest requests in flight (then the
    /// fewest served, so that idle machines take turns).
    pub fn least_loaded<'a>(&self, routes: impl Iterator<Item = &'a Route>) -> Option<&'a Route> {
        let counts = self.counts.lock().ok()?;
        routes
            .filter(|r| r.state == MachineState::Started && r.addr.is_some())
            .min_by_key(|r| counts.get(&r.id).copied().unwrap_or_default())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.loads.counts.lock()
            && let Some(entry) = counts.get_mut(&self.id)
        {
            entry.0 = entry.0.saturating_sub(1);
        }
        self.fleet.touch(&self.app, &self.id);
    }
}

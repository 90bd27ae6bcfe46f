//! Leases: one holder at a time, proven by a nonce on later calls.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;

use super::lifecycle::check_lease;
use super::machine::Lease;
use super::{Fleet, FleetError};
use crate::localfly::ids;

/// The TTL of a lease taken without one.
const DEFAULT_TTL_SECS: u64 = 30;

/// Who holds the stand-in's leases.
const OWNER: &str = "localfly@tokens.fly.io";

impl Fleet {
    /// Takes a lease, or refreshes it when `nonce` is the holder's.
    pub fn acquire_lease(
        &self,
        app: &str,
        id: &str,
        ttl: Option<u64>,
        description: String,
        nonce: Option<&str>,
    ) -> Result<Lease, FleetError> {
        let ttl = ttl.filter(|t| *t > 0).unwrap_or(DEFAULT_TTL_SECS);
        let mut apps = self.lock();
        let machine = apps.machine(app, id)?;
        if let Some(held) = machine.active_lease()
            && nonce != Some(held.nonce.as_str())
        {
            return Err(FleetError::Conflict(format!(
                "aborted: machine ID {id} lease currently held by {}, expires at {}",
                held.owner,
                rfc3339(held.expires_at)
            )));
        }
        let lease = match machine.lease.as_mut() {
            Some(held) if nonce == Some(held.nonce.as_str()) => {
                held.expires_at = expiry(ttl);
                if !description.is_empty() {
                    held.description = description;
                }
                held.clone()
            }
            _ => {
                let lease = new_lease(ttl, description);
                machine.lease = Some(lease.clone());
                lease
            }
        };
        drop(apps);
        self.notify();
        Ok(lease)
    }

    /// The lease that holds now; 404 when there is none.
    pub fn lease(&self, app: &str, id: &str) -> Result<Lease, FleetError> {
        let mut apps = self.lock();
        let machine = apps.machine(app, id)?;
        machine
            .active_lease()
            .cloned()
            .ok_or(FleetError::LeaseNotFound)
    }

    /// Releases the lease; the holder's nonce is required.
    pub fn release_lease(
        &self,
        app: &str,
        id: &str,
        nonce: Option<&str>,
    ) -> Result<(), FleetError> {
        let mut apps = self.lock();
        let machine = apps.machine(app, id)?;
        if machine.active_lease().is_none() {
            return Err(FleetError::LeaseNotFound);
        }
        check_lease(machine, nonce)?;
        machine.lease = None;
        drop(apps);
        self.notify();
        Ok(())
    }
}

/// A fresh lease of `ttl` seconds.
pub(super) fn new_lease(ttl: u64, description: String) -> Lease {
    let nonce: String = ids::with_rng(|rng| {
        (0..12)
            .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
            .collect()
    });
    Lease {
        nonce,
        owner: OWNER.to_owned(),
        description,
        expires_at: expiry(ttl),
        version: ids::ulid(),
    }
}

fn expiry(ttl: u64) -> i64 {
    Utc::now().timestamp() + ttl.min(i64::MAX as u64 / 2) as i64
}

/// Unix seconds as RFC 3339.
pub(super) fn rfc3339(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

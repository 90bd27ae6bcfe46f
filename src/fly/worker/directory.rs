//! Finding or creating the worker, once, and remembering it.
//!
//! The worker's id is cached for the whole process: at steady state a
//! replayed request makes no API call. Finding or creating is single-flight
//! across all server threads (one async lock): 50 concurrent first requests
//! make one list and at most one create. A failure starts a cooldown during
//! which requests get 503 with `Retry-After` and the API is left alone.
//!
//! **Two main machines starting together end with one worker** because the
//! worker has a fixed machine name (`fly.worker.name`) and Fly keeps machine
//! names unique within an app: the second create is refused as a name
//! conflict, and that main lists again and adopts the machine the first one
//! made. A lease alone could not do this (there is nothing to lease before
//! the worker exists); leases are used for the other race, two mains
//! updating the same worker to a new image: the one holding the lease
//! updates, the other waits for the result.
//!
//! The cached worker is checked off the request path, every
//! `refresh_interval_secs`, and dropped when a replay to it comes back with
//! `fly-replay-failed`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::time::timeout_at;

use crate::fly::machines::{ApiError, Machine, MachinesClient};
use crate::fly::metrics::FlyMetrics;
use crate::fly::worker::select::{choose_worker, is_worker};
use crate::fly::worker::spec::{ROLE_METADATA_KEY, WORKER_ROLE, WorkerSpec};

/// How long a fresh worker may answer 404 before it is assumed to exist
/// anyway (the API is eventually consistent right after a create).
const SETTLE_WINDOW: Duration = Duration::from_secs(10);
/// Pause between looks at a machine that is not there yet.
const SETTLE_PAUSE: Duration = Duration::from_millis(200);
/// Lease held while updating the worker's image.
const UPDATE_LEASE: Duration = Duration::from_secs(30);

/// The worker could not be had; try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable {
    pub retry_after: Duration,
}

/// The process-wide worker cache. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct WorkerDirectory {
    inner: Arc<Inner>,
}

struct Inner {
    spec: WorkerSpec,
    metrics: FlyMetrics,
    lookup_timeout: Duration,
    cooldown: Duration,
    cache: Mutex<Cache>,
    flight: tokio::sync::Mutex<()>,
    refresher_started: AtomicBool,
    /// Bumped whenever the cached worker changes, so that per-thread copies
    /// of it can be checked with one atomic load.
    generation: AtomicU64,
}

#[derive(Default)]
struct Cache {
    worker: Option<String>,
    cooling_until: Option<Instant>,
}

impl WorkerDirectory {
    /// An empty directory.
    pub fn new(
        spec: WorkerSpec,
        metrics: FlyMetrics,
        lookup_timeout: Duration,
        cooldown: Duration,
    ) -> WorkerDirectory {
        WorkerDirectory {
            inner: Arc::new(Inner {
                spec,
                metrics,
                lookup_timeout,
                cooldown,
                cache: Mutex::new(Cache::default()),
                flight: tokio::sync::Mutex::new(()),
                refresher_started: AtomicBool::new(false),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// The worker's id, if known. Makes no API call.
    pub fn cached(&self) -> Option<String> {
        self.cache().worker.clone()
    }

    /// A number that changes whenever the cached worker changes.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// The cached worker with the generation it belongs to.
    pub fn cached_with_generation(&self) -> (Option<String>, u64) {
        let cache = self.cache();
        (cache.worker.clone(), self.generation())
    }

    /// Forgets the cached worker if it is `id` (any worker when `None`).
    pub fn forget(&self, id: Option<&str>) {
        let mut cache = self.cache();
        if (id.is_none() || cache.worker.as_deref() == id)
            && let Some(old) = cache.worker.take()
        {
            self.inner.generation.fetch_add(1, Ordering::AcqRel);
            log::info!("forgetting worker machine_id={old}");
        }
    }

    /// True the first time it is called: the caller starts the refresher.
    pub fn claim_refresher(&self) -> bool {
        !self.inner.refresher_started.swap(true, Ordering::SeqCst)
    }

    /// The worker's id: from the cache, or found or created through `api`
    /// (single-flight, within the lookup timeout).
    pub async fn worker(&self, api: &MachinesClient) -> Result<String, Unavailable> {
        if let Some(id) = self.cached() {
            return Ok(id);
        }
        self.check_cooldown()?;

        let deadline = tokio::time::Instant::now() + self.inner.lookup_timeout;
        let Ok(_flight) = timeout_at(deadline, self.inner.flight.lock()).await else {
            return Err(self.unavailable());
        };
        if let Some(id) = self.cached() {
            return Ok(id);
        }
        self.check_cooldown()?;

        match timeout_at(deadline, self.find_or_create(api)).await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(error)) => {
                log::warn!("no serverless worker: {error}; pausing Machines API calls");
                Err(self.start_cooldown(error.retry_after()))
            }
            Err(_) => {
                log::warn!(
                    "no serverless worker: finding or creating it took over {:?}; \
                     pausing Machines API calls",
                    self.inner.lookup_timeout
                );
                Err(self.start_cooldown(None))
            }
        }
    }

    /// Checks the cached worker: forgets it when it is gone or unusable and
    /// updates it when its image is not the current one. Meant for a
    /// background task, off the request path.
    pub async fn refresh(&self, api: &MachinesClient) {
        let Some(id) = self.cached() else {
            return;
        };
        let _flight = self.inner.flight.lock().await;
        match api.get(&id).await {
            Ok(machine) if !is_worker(&machine, self.own_id()) => {
                log::info!(
                    "worker machine_id={id} is {}; looking for another on the next request",
                    machine.state
                );
                self.forget(Some(&id));
            }
            Ok(machine) => {
                if let Err(error) = self.update_image(api, &machine).await {
                    log::warn!("worker machine_id={id} could not be updated: {error}");
                    self.forget(Some(&id));
                }
            }
            Err(error) if error.is_not_found() => {
                log::info!("worker machine_id={id} no longer exists");
                self.forget(Some(&id));
            }
            Err(error) => log::debug!("worker check failed, keeping it: {error}"),
        }
    }

    async fn find_or_create(&self, api: &MachinesClient) -> Result<String, ApiError> {
        let machines = api.list(Some((ROLE_METADATA_KEY, WORKER_ROLE))).await?;
        if let Some(id) = self.adopt(api, &machines).await? {
            return Ok(id);
        }
        self.create(api).await
    }

    /// Picks the worker among `machines`, brings it to the current image and
    /// caches it.
    async fn adopt(
        &self,
        api: &MachinesClient,
        machines: &[Machine],
    ) -> Result<Option<String>, ApiError> {
        let name = &self.inner.spec.worker.name;
        let (chosen, surplus) = choose_worker(machines, self.own_id(), name);
        let Some(machine) = chosen else {
            return Ok(None);
        };
        if surplus > 0 {
            // Known limit: surplus workers are reported, not destroyed,
            // because a machine made by hand may be there on purpose.
            log::warn!(
                "{surplus} more worker machine(s) besides machine_id={}; using that one",
                machine.id
            );
        }
        self.update_image(api, machine).await?;
        self.remember(&machine.id);
        Ok(Some(machine.id.clone()))
    }

    async fn create(&self, api: &MachinesClient) -> Result<String, ApiError> {
        let Some(body) = self.inner.spec.worker_create_body() else {
            return Err(ApiError::Status {
                endpoint: "create",
                status: 400,
                message: "FLY_IMAGE_REF is not set, so no worker can be created".to_owned(),
                retry_after: None,
            });
        };
        let machine = match api.create(&body).await {
            Ok(machine) => machine,
            Err(error) if error.is_name_conflict() => {
                log::info!("the worker's name is taken: adopting the worker another machine made");
                return self.adopt_after_conflict(api, error).await;
            }
            Err(error) => return Err(error),
        };
        self.inner.metrics.worker_creations.inc();
        log::info!(
            "created worker machine_id={} image={}",
            machine.id,
            self.inner.spec.image_ref.as_deref().unwrap_or_default()
        );
        self.remember(&machine.id);
        self.settle(api, &machine).await;
        Ok(machine.id)
    }

    /// After a name conflict the worker exists, though a list may not show
    /// it yet: look a few times, never create again.
    async fn adopt_after_conflict(
        &self,
        api: &MachinesClient,
        conflict: ApiError,
    ) -> Result<String, ApiError> {
        for _ in 0..5 {
            let machines = api.list(Some((ROLE_METADATA_KEY, WORKER_ROLE))).await?;
            if let Some(id) = self.adopt(api, &machines).await? {
                return Ok(id);
            }
            tokio::time::sleep(SETTLE_PAUSE).await;
        }
        Err(conflict)
    }

    /// Waits for a new worker to start. A 404 right after the create is the
    /// API catching up and is retried within [`SETTLE_WINDOW`]; whatever
    /// happens, the id stays cached and no second create follows.
    async fn settle(&self, api: &MachinesClient, machine: &Machine) {
        let deadline = Instant::now() + SETTLE_WINDOW;
        let version = machine.instance_id.as_deref();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match api.wait(&machine.id, "started", left, version).await {
                Ok(_) => return,
                Err(error) if error.is_not_found() && Instant::now() + SETTLE_PAUSE < deadline => {
                    tokio::time::sleep(SETTLE_PAUSE).await;
                }
                Err(error) => {
                    log::debug!(
                        "worker machine_id={} not seen started yet: {error}",
                        machine.id
                    );
                    return;
                }
            }
        }
    }

    /// Updates `machine` to the current image under a lease; a worker
    /// already on it is left alone. When another main holds the lease, waits
    /// for its update instead.
    async fn update_image(&self, api: &MachinesClient, machine: &Machine) -> Result<(), ApiError> {
        let spec = &self.inner.spec;
        let (Some(current), Some(body)) = (&spec.image_ref, spec.worker_update_body(machine))
        else {
            return Ok(());
        };
        if machine.image() == Some(current.as_str()) {
            return Ok(());
        }

        let lease = match api.acquire_lease(&machine.id, UPDATE_LEASE).await {
            Ok(lease) => lease,
            Err(error) if error.status() == Some(409) => {
                return self
                    .await_update_by_other(api, &machine.id, current, error)
                    .await;
            }
            Err(error) => return Err(error),
        };
        let updated = api.update(&machine.id, &body, Some(&lease.nonce)).await;
        if let Err(error) = api.release_lease(&machine.id, &lease).await {
            log::debug!("lease on machine_id={} not released: {error}", machine.id);
        }
        updated?;
        self.inner.metrics.worker_updates.inc();
        log::info!(
            "updated worker machine_id={} from image={} to image={current}",
            machine.id,
            machine.image().unwrap_or("unknown")
        );
        Ok(())
    }

    async fn await_update_by_other(
        &self,
        api: &MachinesClient,
        id: &str,
        current: &str,
        held: ApiError,
    ) -> Result<(), ApiError> {
        for _ in 0..10 {
            tokio::time::sleep(SETTLE_PAUSE).await;
            if api.get(id).await?.image() == Some(current) {
                return Ok(());
            }
        }
        Err(held)
    }

    fn remember(&self, id: &str) {
        let mut cache = self.cache();
        cache.worker = Some(id.to_owned());
        cache.cooling_until = None;
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn check_cooldown(&self) -> Result<(), Unavailable> {
        let cache = self.cache();
        match cache.cooling_until {
            Some(until) if until > Instant::now() => Err(Unavailable {
                retry_after: round_up(until - Instant::now()),
            }),
            _ => Ok(()),
        }
    }

    fn start_cooldown(&self, asked: Option<Duration>) -> Unavailable {
        let pause = asked.unwrap_or_default().max(self.inner.cooldown);
        self.cache().cooling_until = Some(Instant::now() + pause);
        Unavailable {
            retry_after: round_up(pause),
        }
    }

    fn unavailable(&self) -> Unavailable {
        Unavailable {
            retry_after: round_up(self.inner.cooldown),
        }
    }

    fn own_id(&self) -> Option<&str> {
        self.inner.spec.own_id.as_deref()
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        // The cache holds plain values: one left by a panicking thread is
        // still consistent.
        self.inner
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whole seconds, at least one, for `Retry-After`.
fn round_up(duration: Duration) -> Duration {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}

//! Local Fly: stand-ins for Fly's Machines API and proxy, so the two-role
//! flow runs on one machine with no Fly account.
//!
//! - [`fleet`]: the machines and the rules by which their states move,
//!   shared by everything below.
//! - [`api`]: the Machines API over HTTP (`/v1/apps/{app}/machines…`),
//!   bearer auth with one token.
//! - [`proxy`]: the public entry point: least-loaded routing, `fly-replay`,
//!   autostart and autostop, Fly's request headers.
//! - [`launcher`] and [`process`]: how a started machine runs (a child
//!   process mapped from its image, or, in tests, a server that already runs).
//! - [`stack`]: the API, the proxy and the fleet started and stopped as one.
//! - [`dev`]: all of it for `fly-store dev`, with the main machine created
//!   through the API as a deploy would.
//!
//! Nothing in here knows the store or the replay middleware: machines are
//! commands, routes are paths.
//!
//! # Choices where Fly's documentation is silent
//!
//! - A duplicate machine name is 409 `already_exists`; start from any state
//!   but `stopped`/`suspended` is 412 `unable to start machine from current
//!   state: '<state>'`; destroying a running machine without `force` (or
//!   fly-go's `kill`) is 412.
//! - A new machine stays `created` for `FleetOptions::create_delay`, then
//!   boots (or, with `skip_launch`, becomes `stopped`).
//! - A destroyed machine is still shown (GET, list) as `destroyed` for
//!   `FleetOptions::destroyed_grace`, then GET answers 404 and only
//!   `include_deleted=true` lists it.
//! - `wait` clamps `timeout` to 60 s; `state` may repeat or hold a comma list
//!   and also takes `settled`; a wait for `stopped` also ends when the
//!   machine is destroyed (how one-off `auto_destroy` machines end), and the
//!   answer carries `exit_code` once the command has exited. `version` and
//!   `instance_id` are accepted; the wait is on the current version.
//! - A leased machine refuses update, start, stop, suspend, restart, signal
//!   and destroy with 409 unless the holder's `fly-machine-lease-nonce` comes
//!   along; a create with `lease_ttl` answers the nonce.
//! - Suspend freezes the process (SIGSTOP); a start resumes it (SIGCONT).
//! - A machine's env is its config env, then its process env, then the app's
//!   secrets, then what Fly sets; of this process's own env it inherits only
//!   `PATH`, `HOME`, `USER`, `LANG`, `LC_ALL`, `TZ`, `TMPDIR`, `RUST_LOG` and
//!   `RUST_BACKTRACE`. `PORT` holds the local port of its first service.
//!   `FLY_PROCESS_GROUP` is the `fly_process_group` metadata, else `app`.
//! - The proxy picks the started machine with the fewest requests in
//!   flight, then the fewest served; with none started it waits for a
//!   booting one, else starts a stopped one whose service allows autostart.
//!   A machine that is stopping is waited for, then started again.
//! - Proxy failures answer a plain-text line naming Fly's error code:
//!   413 `PA01` (a body over the replay limit asked to be replayed), 502
//!   `PA02` (over 10 replays), 502 `PA03` (an invalid `fly-replay`, an
//!   unknown field included, or a replay on a fallback delivery), 502 `PA04`
//!   (unknown app), 502 `PR02` (unknown machine), 503 `PM08` (a machine that
//!   cannot or may not start), 504 `PM03` (not started in time), 503 `PR01`
//!   (no machine at all) with `Retry-After`.
//! - Client copies of `Fly-Client-IP`, `Fly-Region`, `Fly-Forwarded-Port`,
//!   `fly-replay-src`, `fly-replay-failed` and
//!   `fly-preferred-instance-unavailable` are dropped: only the proxy sets
//!   them.
//! - Autostop stops at most one idle machine per app per check, keeps
//!   `min_machines_running`, and leaves leased machines alone; a machine's
//!   idle time starts when it starts, so a new machine is not stopped
//!   before its first request.
//!
//! # Known limits
//!
//! - The proxy speaks plain HTTP/1.1 on one public port (80 by default); no
//!   TLS, no WebSocket upgrade, no replay cache, no concurrency limits.
//! - The JSON replay form takes the header's fields only (`transform` and
//!   `cache` are refused as unknown); region aliases such as `us` are not
//!   expanded (`any` is).
//! - The API has no rate limits (no 429), no apps endpoints and no
//!   propagation delay between a start and the proxy seeing it.
//! - `init.exec` runs the named command as is: the API only listens on
//!   loopback and wants the token, but it runs whatever it is given.
//! - Machines that a dropped (not stopped) [`LocalFly`] leaves behind run
//!   until this process exits; the kernel then kills them (parent-death
//!   signal).

pub mod api;
pub mod config;
pub mod dev;
pub mod fleet;
pub mod ids;
pub mod launcher;
pub mod process;
pub mod proxy;
pub mod stack;

pub use fleet::{Fleet, FleetOptions};
pub use launcher::{Launcher, StaticLauncher};
pub use process::ProcessLauncher;
pub use stack::{LocalFly, StackOptions};

//! Autostop: a machine whose service allows it is stopped (or suspended)
//! once it has served nothing for the idle time, one machine per app per
//! pass, keeping `min_machines_running` started.

use std::time::Duration;

use crate::localfly::config::Autostop;
use crate::localfly::fleet::{Fleet, MachineState};

use super::load::Loads;

/// Checks every `tick` for machines idle longer than `idle`.
pub async fn run(fleet: Fleet, loads: Loads, apps: Vec<String>, port: u16, idle: Duration) {
    let tick = (idle / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
    let mut interval = actix_web::rt::time::interval(tick);
    loop {
        interval.tick().await;
        for app in &apps {
            pass(&fleet, &loads, app, port, idle);
        }
    }
}

fn pass(fleet: &Fleet, loads: &Loads, app: &str, port: u16, idle: Duration) {
    let Ok(routes) = fleet.routes(app, port) else {
        return;
    };
    let started: Vec<_> = routes
        .iter()
        .filter(|r| r.state == MachineState::Started)
        .collect();
    let idle_one = started.iter().find(|r| {
        r.service.autostop != Autostop::Off
            && !r.leased
            && r.idle_for >= idle
            && loads.in_flight(&r.id) == 0
            && started.len() as u64 > r.service.min_machines_running
    });
    if let Some(route) = idle_one {
        fleet.autostop(app, &route.id, route.service.autostop);
    }
}

//! What the middleware does with a request: the decision table of both
//! roles, as a pure function of facts about the request.
//!
//! |                  | main role                  | worker role                  |
//! |------------------|----------------------------|------------------------------|
//! | serverless route | `fly-replay: instance=<worker>` | run the view            |
//! | other route      | run the view               | `fly-replay: elsewhere=true` |
//! | `ops:*` route    | run the view               | run the view                 |
//! | no route / 301   | let the router answer      | let the router answer (a 301 to another route is replayed) |
//!
//! Loops cannot happen: main serves a serverless request that was already
//! replayed (it carries `fly-replay-src`) or that came back after a failed
//! replay (`fly-replay-failed`) instead of replaying it again; the worker
//! replays an already-replayed request at most once more, and serves it
//! after that. Both roles run the same binary with the same routes, so
//! "served where it is" is always possible.

use actix_web::http::Method;

use crate::fly::replay::header::ReplayTrail;
use crate::fly::role::Role;
use crate::fly::routes::RouteClass;

/// Most replays a request goes through before it is served where it is.
pub const MAX_HOPS: u32 = 2;

/// The route a request resolves to, as far as replay cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// A named route of that class.
    Route(RouteClass),
    /// The slash-less form of a route of that class: the router answers 301.
    Redirect(RouteClass),
    /// No route: the router answers 404.
    NotFound,
}

/// The size of a request's body, as its headers tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySize {
    /// `Content-Length`, or no body at all (0).
    Known(u64),
    /// A chunked body of unknown length.
    Unknown,
}

/// Why a request is served on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    /// The route belongs to this role.
    Home,
    /// `ops:*`: every machine answers it.
    Operational,
    /// A 301 or 404 that the router answers the same on both roles.
    Routing,
    /// A replay failed and the proxy brought the request back.
    ReplayFailed,
    /// The request was replayed here already; replaying again could loop.
    AlreadyReplayed,
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Pass it to the router.
    Serve(Local),
    /// Answer `fly-replay: instance=<worker>` with this hop count.
    ReplayToWorker { hops: u32 },
    /// Answer `fly-replay: elsewhere=true` with this hop count.
    ReplayElsewhere { hops: u32 },
    /// 405: the serverless route does not offload this method.
    MethodNotAllowed,
    /// 413: the body is too large to be replayed.
    TooLarge,
    /// 411: a body of unknown length cannot be checked against the limit.
    LengthRequired,
}

/// Facts about one request.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub role: Role,
    pub route: RouteKind,
    pub method: &'a Method,
    /// Methods offloaded for the serverless route (empty otherwise).
    pub offloaded: &'a [Method],
    pub body: BodySize,
    pub max_body: u64,
    pub trail: &'a ReplayTrail,
    pub own_id: Option<&'a str>,
}

/// Decides what to do with a request on a machine where replay is on.
pub fn decide(facts: &Facts<'_>) -> Decision {
    use RouteClass::{Operational, Other, Serverless};
    match (facts.role, facts.route) {
        (_, RouteKind::NotFound) => Decision::Serve(Local::Routing),
        (_, RouteKind::Route(Operational)) => Decision::Serve(Local::Operational),
        (Role::Main, RouteKind::Route(Other) | RouteKind::Redirect(_)) => {
            Decision::Serve(Local::Home)
        }
        (Role::Main, RouteKind::Route(Serverless)) => main_serverless(facts),
        (Role::Worker, RouteKind::Route(Serverless)) => Decision::Serve(Local::Home),
        (Role::Worker, RouteKind::Redirect(Serverless | Operational)) => {
            Decision::Serve(Local::Routing)
        }
        (Role::Worker, RouteKind::Route(Other) | RouteKind::Redirect(Other)) => worker_other(facts),
    }
}

fn main_serverless(facts: &Facts<'_>) -> Decision {
    if !facts.offloaded.contains(facts.method) {
        return Decision::MethodNotAllowed;
    }
    if facts.trail.failed {
        return Decision::Serve(Local::ReplayFailed);
    }
    if facts.trail.replayed {
        return Decision::Serve(Local::AlreadyReplayed);
    }
    body_check(facts).unwrap_or(Decision::ReplayToWorker { hops: 1 })
}

fn worker_other(facts: &Facts<'_>) -> Decision {
    let trail = facts.trail;
    if trail.failed {
        return Decision::Serve(Local::ReplayFailed);
    }
    let came_back =
        trail.source_instance.is_some() && trail.source_instance.as_deref() == facts.own_id;
    if trail.replayed && (trail.hops >= MAX_HOPS || came_back) {
        return Decision::Serve(Local::AlreadyReplayed);
    }
    body_check(facts).unwrap_or(Decision::ReplayElsewhere {
        hops: trail.hops + 1,
    })
}

fn body_check(facts: &Facts<'_>) -> Option<Decision> {
    match facts.body {
        BodySize::Known(size) if size > facts.max_body => Some(Decision::TooLarge),
        BodySize::Known(_) => None,
        BodySize::Unknown => Some(Decision::LengthRequired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn decide_for(role: Role, route: RouteKind, method: Method, trail: ReplayTrail) -> Decision {
        decide(&Facts {
            role,
            route,
            method: &method,
            offloaded: &[Method::GET, Method::HEAD],
            body: BodySize::Known(0),
            max_body: MIB,
            trail: &trail,
            own_id: Some("e784e90b1d3e68"),
        })
    }

    fn replayed(hops: u32, source: &str) -> ReplayTrail {
        ReplayTrail {
            replayed: true,
            source_instance: Some(source.to_owned()),
            hops,
            ..ReplayTrail::default()
        }
    }

    #[test]
    fn the_table_of_both_roles() {
        let serverless = RouteKind::Route(RouteClass::Serverless);
        let other = RouteKind::Route(RouteClass::Other);
        let ops = RouteKind::Route(RouteClass::Operational);
        let none = ReplayTrail::default;

        assert_eq!(
            decide_for(Role::Main, serverless, Method::GET, none()),
            Decision::ReplayToWorker { hops: 1 }
        );
        assert_eq!(
            decide_for(Role::Main, other, Method::GET, none()),
            Decision::Serve(Local::Home)
        );
        assert_eq!(
            decide_for(Role::Worker, serverless, Method::GET, none()),
            Decision::Serve(Local::Home)
        );
        assert_eq!(
            decide_for(Role::Worker, other, Method::GET, none()),
            Decision::ReplayElsewhere { hops: 1 }
        );
        for role in [Role::Main, Role::Worker] {
            assert_eq!(
                decide_for(role, ops, Method::GET, none()),
                Decision::Serve(Local::Operational)
            );
            assert_eq!(
                decide_for(role, RouteKind::NotFound, Method::GET, none()),
                Decision::Serve(Local::Routing)
            );
        }
    }

    #[test]
    fn head_is_replayed_like_get_and_post_is_refused_on_main() {
        let serverless = RouteKind::Route(RouteClass::Serverless);

        let head = decide_for(Role::Main, serverless, Method::HEAD, ReplayTrail::default());
        let post = decide_for(Role::Main, serverless, Method::POST, ReplayTrail::default());

        assert_eq!(head, Decision::ReplayToWorker { hops: 1 });
        assert_eq!(post, Decision::MethodNotAllowed);
    }

    #[test]
    fn main_never_replays_a_request_that_was_replayed_or_came_back() {
        let serverless = RouteKind::Route(RouteClass::Serverless);
        let failed = ReplayTrail {
            failed: true,
            ..ReplayTrail::default()
        };

        let from_itself = decide_for(
            Role::Main,
            serverless,
            Method::GET,
            replayed(1, "e784e90b1d3e68"),
        );
        let back = decide_for(Role::Main, serverless, Method::GET, failed);

        assert_eq!(from_itself, Decision::Serve(Local::AlreadyReplayed));
        assert_eq!(back, Decision::Serve(Local::ReplayFailed));
    }

    #[test]
    fn the_worker_replays_a_replayed_request_once_more_then_serves_it() {
        let other = RouteKind::Route(RouteClass::Other);

        let once_more = decide_for(Role::Worker, other, Method::GET, replayed(1, "aaa"));
        let past_limit = decide_for(Role::Worker, other, Method::GET, replayed(2, "aaa"));

        assert_eq!(once_more, Decision::ReplayElsewhere { hops: 2 });
        assert_eq!(past_limit, Decision::Serve(Local::AlreadyReplayed));
    }

    #[test]
    fn slash_forms_follow_the_route_they_redirect_to() {
        let to_serverless = RouteKind::Redirect(RouteClass::Serverless);
        let to_other = RouteKind::Redirect(RouteClass::Other);

        assert_eq!(
            decide_for(
                Role::Worker,
                to_serverless,
                Method::GET,
                ReplayTrail::default()
            ),
            Decision::Serve(Local::Routing)
        );
        assert_eq!(
            decide_for(
                Role::Main,
                to_serverless,
                Method::GET,
                ReplayTrail::default()
            ),
            Decision::Serve(Local::Home)
        );
        assert_eq!(
            decide_for(Role::Worker, to_other, Method::GET, ReplayTrail::default()),
            Decision::ReplayElsewhere { hops: 1 }
        );
    }

    #[test]
    fn a_body_over_the_limit_or_of_unknown_size_is_never_replayed() {
        let trail = ReplayTrail::default();
        let mut facts = Facts {
            role: Role::Main,
            route: RouteKind::Route(RouteClass::Serverless),
            method: &Method::GET,
            offloaded: &[Method::GET, Method::HEAD],
            body: BodySize::Known(2 * MIB),
            max_body: MIB,
            trail: &trail,
            own_id: None,
        };

        assert_eq!(decide(&facts), Decision::TooLarge);
        facts.body = BodySize::Unknown;
        assert_eq!(decide(&facts), Decision::LengthRequired);
        facts.body = BodySize::Known(MIB);
        assert_eq!(decide(&facts), Decision::ReplayToWorker { hops: 1 });
    }
}

//! Which routes run on the worker, checked at start-up against the routes the
//! app registers, and how the middleware classifies a resolved request.

use std::collections::HashMap;

use actix_web::http::Method;

use crate::fly::error::FlyError;
use crate::fly::settings::ServerlessRoute;
use crate::http::routing::RouteInfo;

/// Route names with this prefix are operational (`ops:healthz`,
/// `ops:metrics`): every machine answers them itself, on both roles, because
/// Fly's health checks and metrics scrapes reach a machine directly.
pub const OPERATIONAL_PREFIX: &str = "ops:";

/// The serverless routes, validated: route name → allowed methods.
#[derive(Debug, Clone, Default)]
pub struct ServerlessTable {
    routes: HashMap<String, Vec<Method>>,
}

/// What a request is, as far as replay is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// A serverless route.
    Serverless,
    /// `ops:*`: answered by every machine.
    Operational,
    /// Any other route of the app.
    Other,
}

impl ServerlessTable {
    /// Checks every configured route against the app's `routes`: an unknown
    /// name, a method the route does not answer, or an operational route
    /// stops start-up with an error naming it. HEAD is allowed wherever GET is.
    pub fn validate(
        configured: &[ServerlessRoute],
        routes: &[RouteInfo],
    ) -> Result<ServerlessTable, FlyError> {
        let mut table = HashMap::new();
        for route in configured {
            let Some(known) = routes.iter().find(|info| info.name == route.name) else {
                return Err(FlyError::UnknownRoute {
                    name: route.name.clone(),
                });
            };
            if route.name.starts_with(OPERATIONAL_PREFIX) {
                return Err(FlyError::OperationalRoute {
                    name: route.name.clone(),
                });
            }
            let mut methods = Vec::new();
            for method in &route.methods {
                let upper = method.trim().to_ascii_uppercase();
                let answered = known.methods.iter().any(|m| m.eq_ignore_ascii_case(&upper));
                let parsed = Method::from_bytes(upper.as_bytes());
                match parsed {
                    Ok(parsed) if answered => push_method(&mut methods, parsed),
                    _ => {
                        return Err(FlyError::UnknownMethod {
                            route: route.name.clone(),
                            method: method.clone(),
                        });
                    }
                }
            }
            if methods.contains(&Method::GET) {
                push_method(&mut methods, Method::HEAD);
            }
            table.insert(route.name.clone(), methods);
        }
        Ok(ServerlessTable { routes: table })
    }

    /// How the route named `name` is treated.
    pub fn classify(&self, name: &str) -> RouteClass {
        if self.routes.contains_key(name) {
            RouteClass::Serverless
        } else if name.starts_with(OPERATIONAL_PREFIX) {
            RouteClass::Operational
        } else {
            RouteClass::Other
        }
    }

    /// The methods offloaded for a serverless route.
    pub fn methods(&self, name: &str) -> &[Method] {
        self.routes.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    /// True when no route is serverless.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

fn push_method(methods: &mut Vec<Method>, method: Method) {
    if !methods.contains(&method) {
        methods.push(method);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &[RouteInfo] = &[
        RouteInfo {
            name: "store:machines_generate_receipt",
            methods: &["GET", "HEAD"],
        },
        RouteInfo {
            name: "ops:healthz",
            methods: &["GET", "HEAD"],
        },
    ];

    fn route(name: &str, methods: &[&str]) -> ServerlessRoute {
        ServerlessRoute {
            name: name.to_owned(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn a_known_route_with_get_also_offloads_head() {
        let configured = [route("store:machines_generate_receipt", &["get"])];

        let table = ServerlessTable::validate(&configured, ROUTES).unwrap();

        assert_eq!(
            table.classify("store:machines_generate_receipt"),
            RouteClass::Serverless
        );
        let methods = table.methods("store:machines_generate_receipt");
        assert_eq!(methods, &[Method::GET, Method::HEAD]);
        assert_eq!(table.classify("ops:healthz"), RouteClass::Operational);
        assert_eq!(table.classify("store:storefront"), RouteClass::Other);
    }

    #[test]
    fn an_unknown_route_name_is_named_in_the_error() {
        let configured = [route("store:machines_generate_reciept", &["GET"])];

        let error = ServerlessTable::validate(&configured, ROUTES).unwrap_err();

        assert!(
            error
                .to_string()
                .contains("store:machines_generate_reciept")
        );
    }

    #[test]
    fn a_method_the_route_does_not_answer_is_named_in_the_error() {
        let configured = [route("store:machines_generate_receipt", &["POST"])];

        let error = ServerlessTable::validate(&configured, ROUTES)
            .unwrap_err()
            .to_string();

        assert!(error.contains("POST"), "{error}");
        assert!(error.contains("store:machines_generate_receipt"), "{error}");
    }

    #[test]
    fn an_operational_route_cannot_be_serverless() {
        let configured = [route("ops:healthz", &["GET"])];

        let error = ServerlessTable::validate(&configured, ROUTES).unwrap_err();

        assert!(error.to_string().contains("ops:healthz"));
    }
}

//! [`FlyReplay`], the Transform: made per server thread by
//! [`Fly::replay`](crate::fly::Fly::replay), it wraps the app's service in a
//! [`FlyReplayMiddleware`].

use std::rc::Rc;
use std::sync::Arc;

use actix_web::Error;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use futures_util::future::{Ready, ready};

use crate::fly::machines::MachinesClient;
use crate::fly::replay::middleware::FlyReplayMiddleware;
use crate::fly::setup::ReplayConfig;

/// The fly-replay middleware factory. Not `Send` (it holds this thread's API
/// client): create it inside the `HttpServer::new` factory.
pub struct FlyReplay {
    config: Arc<ReplayConfig>,
    client: Option<Rc<MachinesClient>>,
}

impl FlyReplay {
    pub(crate) fn new(config: Arc<ReplayConfig>, client: Option<MachinesClient>) -> FlyReplay {
        FlyReplay {
            config,
            client: client.map(Rc::new),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for FlyReplay
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = FlyReplayMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(FlyReplayMiddleware::new(
            Rc::new(service),
            self.config.clone(),
            self.client.clone(),
        )))
    }
}

//! What comes back from a machine: a replay instruction (header or JSON
//! body) or an answer to stream to the client.

use actix_web::HttpResponse;
use actix_web::body::SizedStream;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::Bytes;
use futures_util::StreamExt;

use super::failure::Failure;
use super::handler::Answer;
use super::replay::{REPLAY_HEADER, REPLAY_JSON, Replay};

/// Response headers that belong to one connection, never passed on.
const HOP_BY_HOP: &[&str] = &["connection", "keep-alive", "transfer-encoding", "upgrade"];

pub(super) enum ReplayForm {
    Header(Replay),
    Json,
}

pub(super) fn replay_of(
    headers: &awc::http::header::HeaderMap,
) -> Option<Result<ReplayForm, Failure>> {
    if let Some(value) = headers.get(REPLAY_HEADER) {
        let parsed = value
            .to_str()
            .map_err(|_| invalid_replay("the header is not text".to_owned()))
            .and_then(|text| Replay::parse_header(text).map_err(|e| invalid_replay(e.to_string())))
            .map(ReplayForm::Header);
        return Some(parsed);
    }
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(REPLAY_JSON));
    json.then_some(Ok(ReplayForm::Json))
}

pub(super) async fn read_json_replay(mut answer: Answer) -> Result<Replay, Failure> {
    let body = answer
        .response
        .body()
        .limit(64 * 1024)
        .await
        .map_err(|e| invalid_replay(format!("unreadable JSON replay: {e}")))?;
    Replay::parse_json(&body).map_err(|e| invalid_replay(e.to_string()))
}

pub(super) fn invalid_replay(message: String) -> Failure {
    Failure::new(
        StatusCode::BAD_GATEWAY,
        "PA03",
        format!("invalid fly-replay: {message}"),
    )
}

/// Streams a machine's answer to the client (only its head for HEAD).
pub(super) fn relay(answer: Answer, head: bool) -> HttpResponse {
    let Answer {
        response, guard, ..
    } = answer;
    let mut builder = HttpResponse::build(response.status());
    let mut length = None;
    for (name, value) in response.headers() {
        if name.as_str() == "content-length" {
            length = value.to_str().ok().and_then(|v| v.parse::<u64>().ok());
            continue;
        }
        if !HOP_BY_HOP.contains(&name.as_str()) {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    builder.insert_header(("via", "2 fly.io"));
    if head {
        // The length of what a GET would send; the server writes no body.
        let nothing = futures_util::stream::empty::<Result<Bytes, PayloadError>>();
        return match length {
            Some(length) => builder.body(SizedStream::new(length, nothing)),
            None => builder.finish(),
        };
    }
    let stream = response.map(move |chunk| {
        let _held = &guard;
        chunk
    });
    match length {
        Some(length) => builder.body(SizedStream::new(length, stream)),
        None => builder.streaming(stream),
    }
}

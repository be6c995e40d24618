//! A loopback HTTP proxy in front of a real emulator that can make chosen calls fail the
//! way AWS does (throttling, expired iterators, 5xx, dropped connections) and records every
//! call it sees, with the shard it was for, so tests can check call rates.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    ExpiredIterator,
    InternalFailure,
    ServiceUnavailable,
    /// Close the connection without answering.
    DropConnection,
}

/// What the rule sees of a call before it is forwarded.
#[derive(Debug, Clone)]
pub struct CallInfo {
    pub operation: String,
    pub shard_id: Option<String>,
    /// How many calls of this operation came before this one.
    pub index: usize,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub operation: String,
    pub shard_id: Option<String>,
    pub at: Instant,
    pub fault: Option<Fault>,
}

type Rule = Box<dyn FnMut(&CallInfo) -> Option<Fault> + Send>;

struct State {
    rule: Rule,
    calls: Vec<Call>,
    per_operation: HashMap<String, usize>,
    /// Shard iterators are opaque: learn which shard each belongs to from the answers.
    iterator_shard: HashMap<String, String>,
    /// Rewrites MillisBehindLatest in GetRecords answers, to make readers believe they
    /// are behind (kinesis-local reports 0 however far behind a reader is).
    millis_behind: Option<i64>,
}

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FaultProxy {
    pub async fn start(
        upstream: &str,
        rule: impl FnMut(&CallInfo) -> Option<Fault> + Send + 'static,
    ) -> Self {
        Self::start_with_lag(upstream, None, rule).await
    }

    pub async fn start_with_lag(
        upstream: &str,
        millis_behind: Option<i64>,
        rule: impl FnMut(&CallInfo) -> Option<Fault> + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr: SocketAddr = listener.local_addr().expect("proxy address");
        let state = Arc::new(Mutex::new(State {
            rule: Box::new(rule),
            calls: Vec::new(),
            per_operation: HashMap::new(),
            iterator_shard: HashMap::new(),
            millis_behind,
        }));
        let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let upstream = upstream.trim_end_matches('/').to_string();
        let server_state = Arc::clone(&state);
        let server = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&server_state);
                let client = client.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        handle(request, Arc::clone(&state), client.clone(), upstream.clone())
                    });
                    // A service error makes hyper close the connection unanswered: that is
                    // how a dropped connection is simulated.
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(socket), service).await;
                });
            }
        });
        FaultProxy { endpoint: format!("http://{addr}"), state, server }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().expect("proxy state").calls.clone()
    }

    /// The most calls of `operation` any one shard received within any one-second window.
    pub fn peak_calls_per_second(&self, operation: &str) -> usize {
        let mut by_shard: HashMap<String, Vec<Instant>> = HashMap::new();
        for call in self.calls().into_iter().filter(|c| c.operation == operation) {
            by_shard.entry(call.shard_id.unwrap_or_default()).or_default().push(call.at);
        }
        by_shard
            .values()
            .map(|times| {
                (0..times.len())
                    .map(|i| {
                        times[i..].iter().take_while(|t| **t - times[i] < Duration::from_secs(1)).count()
                    })
                    .max()
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection dropped by the fault injector")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    request: Request<Incoming>,
    state: Arc<Mutex<State>>,
    client: Client<HttpConnector, Full<Bytes>>,
    upstream: String,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("")
        .to_string();
    let request_json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let fault = {
        let mut state = state.lock().expect("proxy state");
        let shard_id = match operation.as_str() {
            "GetShardIterator" => request_json["ShardId"].as_str().map(str::to_string),
            "GetRecords" => {
                request_json["ShardIterator"].as_str().and_then(|it| state.iterator_shard.get(it).cloned())
            }
            _ => None,
        };
        let index = {
            let counter = state.per_operation.entry(operation.clone()).or_insert(0);
            *counter += 1;
            *counter - 1
        };
        let info = CallInfo { operation: operation.clone(), shard_id: shard_id.clone(), index };
        let fault = (state.rule)(&info);
        state.calls.push(Call { operation: operation.clone(), shard_id, at: Instant::now(), fault });
        fault
    };
    if let Some(fault) = fault {
        return fault_response(fault);
    }

    let mut forward = Request::builder().method(parts.method).uri(format!("{upstream}{}", parts.uri));
    for (name, value) in &parts.headers {
        forward = forward.header(name, value);
    }
    let forward = forward.body(Full::new(body)).map_err(|_| Dropped)?;
    let response = client.request(forward).await.map_err(|_| Dropped)?;
    let (mut parts, body) = response.into_parts();
    let mut body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    learn_iterators(&state, &operation, &request_json, &body);
    let lag = state.lock().expect("proxy state").millis_behind;
    if let (Some(lag), "GetRecords", true) = (lag, operation.as_str(), parts.status.is_success()) {
        let mut answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        answer["MillisBehindLatest"] = serde_json::json!(lag);
        body = Bytes::from(answer.to_string());
        parts.headers.remove("content-length");
    }
    Ok(Response::from_parts(parts, Full::new(body)))
}

fn learn_iterators(state: &Mutex<State>, operation: &str, request: &serde_json::Value, body: &[u8]) {
    let response: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let mut state = state.lock().expect("proxy state");
    let (shard, iterator) = match operation {
        "GetShardIterator" => {
            (request["ShardId"].as_str().map(str::to_string), response["ShardIterator"].as_str())
        }
        "GetRecords" => (
            request["ShardIterator"].as_str().and_then(|it| state.iterator_shard.get(it).cloned()),
            response["NextShardIterator"].as_str(),
        ),
        _ => (None, None),
    };
    if let (Some(shard), Some(iterator)) = (shard, iterator) {
        state.iterator_shard.insert(iterator.to_string(), shard);
    }
}

fn fault_response(fault: Fault) -> Result<Response<Full<Bytes>>, Dropped> {
    let (status, kind, message) = match fault {
        Fault::DropConnection => return Err(Dropped),
        Fault::Throttle => (
            StatusCode::BAD_REQUEST,
            "ProvisionedThroughputExceededException",
            "Rate exceeded for shard in stream under account 000000000000.",
        ),
        Fault::ExpiredIterator => (
            StatusCode::BAD_REQUEST,
            "ExpiredIteratorException",
            "Iterator expired. The iterator was created at time ... while right now it is ...",
        ),
        Fault::InternalFailure => {
            (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "Internal service failure.")
        }
        Fault::ServiceUnavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "Service unavailable.")
        }
    };
    let body = serde_json::json!({ "__type": kind, "message": message }).to_string();
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-errortype", kind)
        .body(Full::new(Bytes::from(body)))
        .map_err(|_| Dropped)
}

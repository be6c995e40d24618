//! A loopback HTTP proxy in front of a real emulator that can make chosen calls fail the
//! way AWS does (throttling, expired iterators, 5xx, dropped connections) and records every
//! call it sees, with the shard it was for, so tests can check call rates.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
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
    /// SubscribeToShard refused: the previous subscription is still in use.
    ResourceInUse,
    /// Let a SubscribeToShard answer through for this many event-stream messages, then
    /// half of the next one, then cut the connection.
    CutStreamAfter(usize),
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
/// Decides, from a record's bytes, whether that one entry of a PutRecords or
/// PutRecordBatch call fails, and with which ErrorCode.
type EntryRule = Box<dyn FnMut(&[u8]) -> Option<String> + Send>;

struct State {
    rule: Rule,
    calls: Vec<Call>,
    per_operation: HashMap<String, usize>,
    /// Shard iterators are opaque: learn which shard each belongs to from the answers.
    iterator_shard: HashMap<String, String>,
    entry_rule: Option<EntryRule>,
    /// Rewrites MillisBehindLatest in GetRecords answers, to make readers believe they
    /// are behind (kinesis-local reports 0 however far behind a reader is).
    millis_behind: Option<i64>,
    /// SubscribeToShard calls whose event stream has started to flow.
    streams_answered: usize,
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

    /// A proxy that also fails chosen entries of put calls: those entries are taken out of
    /// the call before it is forwarded (so they are really not written) and answered with
    /// the error code the rule gives, in their place among the results.
    pub async fn start_with_entry_faults(
        upstream: &str,
        rule: impl FnMut(&CallInfo) -> Option<Fault> + Send + 'static,
        entry_rule: impl FnMut(&[u8]) -> Option<String> + Send + 'static,
    ) -> Self {
        let proxy = Self::start_with_lag(upstream, None, rule).await;
        proxy.state.lock().expect("proxy state").entry_rule = Some(Box::new(entry_rule));
        proxy
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
            entry_rule: None,
            millis_behind,
            streams_answered: 0,
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

    /// How many SubscribeToShard answers have started streaming events.
    pub fn streams_answered(&self) -> usize {
        self.state.lock().expect("proxy state").streams_answered
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
) -> Result<Response<ProxyBody>, Dropped> {
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
            "GetShardIterator" | "SubscribeToShard" => request_json["ShardId"].as_str().map(str::to_string),
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
    let cut_after = match fault {
        Some(Fault::CutStreamAfter(messages)) => Some(messages),
        Some(fault) => return fault_response(fault),
        None => None,
    };
    let put = matches!(operation.as_str(), "PutRecords" | "PutRecordBatch");
    if put && state.lock().expect("proxy state").entry_rule.is_some() {
        return put_with_entry_faults(parts, request_json, &operation, &state, &client, &upstream).await;
    }

    let mut forward = Request::builder().method(parts.method).uri(format!("{upstream}{}", parts.uri));
    for (name, value) in &parts.headers {
        forward = forward.header(name, value);
    }
    let forward = forward.body(Full::new(body)).map_err(|_| Dropped)?;
    let response = client.request(forward).await.map_err(|_| Dropped)?;
    let (mut parts, body) = response.into_parts();
    if operation == "SubscribeToShard" {
        state.lock().expect("proxy state").streams_answered += 1;
        return Ok(Response::from_parts(parts, stream_events(body, cut_after)));
    }
    let mut body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    learn_iterators(&state, &operation, &request_json, &body);
    let lag = state.lock().expect("proxy state").millis_behind;
    if let (Some(lag), "GetRecords", true) = (lag, operation.as_str(), parts.status.is_success()) {
        let mut answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        answer["MillisBehindLatest"] = serde_json::json!(lag);
        body = Bytes::from(answer.to_string());
        parts.headers.remove("content-length");
    }
    Ok(Response::from_parts(parts, full(body)))
}

/// Forwards a put call without the entries the entry rule fails, then answers with every
/// entry's result in the original order.
async fn put_with_entry_faults(
    parts: hyper::http::request::Parts,
    mut request_json: serde_json::Value,
    operation: &str,
    state: &Mutex<State>,
    client: &Client<HttpConnector, Full<Bytes>>,
    upstream: &str,
) -> Result<Response<ProxyBody>, Dropped> {
    use base64::Engine;
    let records = request_json["Records"].as_array().cloned().unwrap_or_default();
    let verdicts: Vec<Option<String>> = {
        let mut state = state.lock().expect("proxy state");
        let rule = state.entry_rule.as_mut().ok_or(Dropped)?;
        records
            .iter()
            .map(|r| {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(r["Data"].as_str().unwrap_or(""))
                    .unwrap_or_default();
                rule(&data)
            })
            .collect()
    };
    let kept: Vec<serde_json::Value> =
        records.iter().zip(&verdicts).filter(|(_, v)| v.is_none()).map(|(r, _)| r.clone()).collect();
    let (results_key, failed_key) = if operation == "PutRecords" {
        ("Records", "FailedRecordCount")
    } else {
        ("RequestResponses", "FailedPutCount")
    };
    let mut answer = serde_json::json!({ failed_key: 0, results_key: [] });
    let mut status = StatusCode::OK;
    let mut headers = None;
    if !kept.is_empty() {
        request_json["Records"] = serde_json::Value::Array(kept);
        let mut forward =
            Request::builder().method(parts.method.clone()).uri(format!("{upstream}{}", parts.uri));
        for (name, value) in parts.headers.iter().filter(|(n, _)| *n != "content-length") {
            forward = forward.header(name, value);
        }
        let body = Bytes::from(request_json.to_string());
        let response =
            client.request(forward.body(Full::new(body)).map_err(|_| Dropped)?).await.map_err(|_| Dropped)?;
        let (response_parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
        if !response_parts.status.is_success() {
            return Ok(Response::from_parts(response_parts, full(body)));
        }
        answer = serde_json::from_slice(&body).map_err(|_| Dropped)?;
        status = response_parts.status;
        headers = Some(response_parts.headers);
    }
    let mut forwarded = answer[results_key].as_array().cloned().unwrap_or_default().into_iter();
    let mut failed = answer[failed_key].as_i64().unwrap_or(0);
    let merged: Vec<serde_json::Value> = verdicts
        .iter()
        .map(|verdict| match verdict {
            Some(code) => {
                failed += 1;
                serde_json::json!({ "ErrorCode": code, "ErrorMessage": format!("{code} injected by the test proxy") })
            }
            None => forwarded.next().unwrap_or_default(),
        })
        .collect();
    answer[results_key] = serde_json::Value::Array(merged);
    answer[failed_key] = serde_json::json!(failed);
    let mut builder = Response::builder().status(status);
    for (name, value) in headers.iter().flatten().filter(|(n, _)| *n != "content-length") {
        builder = builder.header(name, value);
    }
    if headers.is_none() {
        builder = builder.header("content-type", "application/x-amz-json-1.1");
    }
    builder.body(full(Bytes::from(answer.to_string()))).map_err(|_| Dropped)
}

type ProxyBody = BoxBody<Bytes, Dropped>;

fn full(bytes: Bytes) -> ProxyBody {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// Passes an event stream through as it arrives. With `cut_after`, forwards that many whole
/// messages, then half of the next, then fails the body so the connection is cut mid-message.
fn stream_events(mut upstream: Incoming, cut_after: Option<usize>) -> ProxyBody {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Dropped>>(16);
    tokio::spawn(async move {
        let mut pending = Vec::new();
        let mut forwarded = 0;
        while let Some(frame) = upstream.frame().await {
            let Ok(frame) = frame else { break };
            let Ok(data) = frame.into_data() else { continue };
            let Some(limit) = cut_after else {
                if tx.send(Ok(Frame::data(data))).await.is_err() {
                    return;
                }
                continue;
            };
            pending.extend_from_slice(&data);
            // An event-stream message starts with its total length (4 bytes, big-endian).
            while pending.len() >= 4 {
                let length = u32::from_be_bytes([pending[0], pending[1], pending[2], pending[3]]) as usize;
                if pending.len() < length {
                    break;
                }
                let message: Vec<u8> = pending.drain(..length).collect();
                if forwarded == limit {
                    let _ = tx.send(Ok(Frame::data(Bytes::from(message[..length / 2].to_vec())))).await;
                    let _ = tx.send(Err(Dropped)).await;
                    return;
                }
                forwarded += 1;
                if tx.send(Ok(Frame::data(Bytes::from(message)))).await.is_err() {
                    return;
                }
            }
        }
    });
    StreamBody::new(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))).boxed()
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

fn fault_response(fault: Fault) -> Result<Response<ProxyBody>, Dropped> {
    let (status, kind, message) = match fault {
        Fault::DropConnection => return Err(Dropped),
        Fault::ResourceInUse => (
            StatusCode::BAD_REQUEST,
            "ResourceInUseException",
            "Another active subscription exists for this consumer on this shard.",
        ),
        // Only meaningful for SubscribeToShard, which `handle` streams itself.
        Fault::CutStreamAfter(_) => return Err(Dropped),
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
        .body(full(Bytes::from(body)))
        .map_err(|_| Dropped)
}

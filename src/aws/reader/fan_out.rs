//! The enhanced fan-out reader of one shard: SubscribeToShard as a registered consumer,
//! records pushed over a long-lived response, renewed from the last
//! ContinuationSequenceNumber until the shard closes or nobody listens any more.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::types::error::SubscribeToShardEventStreamError;
use aws_sdk_kinesis::types::{StartingPosition, SubscribeToShardEventStream};
use aws_sdk_kinesis::Client;
use aws_smithy_types::event_stream::RawMessage;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant};

use super::api::{children_from_sdk, record_from_sdk, sdk_position, ChildShard, KinesisShards, ShardApi};
use super::events::ReaderEvent;
use super::pacing::{Backoff, Pacer};
use super::report::{Gone, ShardReport};
use super::ShardOutcome;
use crate::aws::error::{classify_service_error, root_cause, ApiError};
use crate::aws::position::StartPosition;
use crate::record::Record;

/// One SubscribeToShardEvent.
#[derive(Debug, Clone, Default)]
pub struct FanOutEvent {
    pub records: Vec<Record>,
    /// Where a renewed subscription continues (AFTER_SEQUENCE_NUMBER of it), even when no
    /// records came.
    pub continuation: String,
    pub millis_behind_latest: i64,
    /// Sent only at the end of a shard.
    pub child_shards: Option<Vec<ChildShard>>,
}

/// The events of one subscription.
pub trait Subscription: Send + 'static {
    /// The next event; `Ok(None)` once the service has ended the subscription (it does after
    /// five minutes).
    fn next_event(&mut self) -> impl Future<Output = Result<Option<FanOutEvent>, ApiError>> + Send;
}

/// The calls a fan-out reader makes, behind a trait so that its logic can be tested on its
/// own clock.
pub trait FanOutApi: Clone + Send + Sync + 'static {
    type Subscription: Subscription;

    fn subscribe(
        &self,
        shard_id: &Arc<str>,
        from: &StartPosition,
    ) -> impl Future<Output = Result<Self::Subscription, ApiError>> + Send;

    /// The children of a closed shard, for services that leave ChildShards out of events.
    fn child_shards(&self, parent: &str) -> impl Future<Output = Result<Vec<ChildShard>, ApiError>> + Send;
}

#[derive(Debug, Clone)]
pub struct FanOutOptions {
    /// Kinesis takes one SubscribeToShard a second per consumer and shard; a margin over that
    /// keeps network jitter from making two calls look closer.
    pub min_subscribe_interval: Duration,
    /// Renew a subscription after this long even if the service has not ended it. Kinesis
    /// ends them after five minutes, so by default this is only a watchdog a little later;
    /// tests shorten it to exercise renewal.
    pub renew_after: Duration,
    /// No event for this long means the connection is dead: Kinesis sends one every few
    /// seconds even when there are no records.
    pub silence_limit: Duration,
    /// First wait after ResourceInUseException (a subscription taken within five seconds of
    /// the previous one).
    pub in_use_backoff_base: Duration,
    /// First wait after a transient error (5xx, dropped connection).
    pub error_backoff_base: Duration,
    pub backoff_cap: Duration,
    /// End each shard's task once it has read everything there is (`tail --until-latest`).
    pub stop_at_tip: bool,
    /// Events buffered between the readers and the consumer before readers wait.
    pub channel_capacity: usize,
}

impl Default for FanOutOptions {
    fn default() -> Self {
        FanOutOptions {
            min_subscribe_interval: Duration::from_millis(1100),
            renew_after: Duration::from_secs(310),
            silence_limit: Duration::from_secs(60),
            in_use_backoff_base: Duration::from_secs(1),
            error_backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(10),
            stop_at_tip: false,
            channel_capacity: 64,
        }
    }
}

pub(super) struct SubscriptionReader<F> {
    api: F,
    start: StartPosition,
    /// Closed before reading began: once read to the tip it is finished, even when the
    /// service never sends ChildShards (kinesis-local does not).
    closed_at_start: bool,
    options: FanOutOptions,
    report: ShardReport,
    pacer: Pacer,
    /// The last ContinuationSequenceNumber: where the next subscription continues.
    continuation: Option<String>,
    /// The last event found nothing new: CaughtUp is reported once per stay at the tip,
    /// not again after each renewal.
    at_tip: bool,
    errors: Backoff,
    in_use: Backoff,
    throttles: Backoff,
}

/// How one subscription ended.
enum Ended {
    /// Renew it and read on.
    Renew,
    Finished(ShardOutcome),
}

impl<F: FanOutApi> SubscriptionReader<F> {
    pub(super) fn new(
        api: F,
        shard_id: Arc<str>,
        start: StartPosition,
        closed_at_start: bool,
        options: FanOutOptions,
        out: mpsc::Sender<ReaderEvent>,
    ) -> Self {
        SubscriptionReader {
            api,
            start,
            closed_at_start,
            pacer: Pacer::new(options.min_subscribe_interval),
            errors: Backoff::new(options.error_backoff_base, options.backoff_cap),
            in_use: Backoff::new(options.in_use_backoff_base, options.backoff_cap),
            throttles: Backoff::new(Duration::from_secs(1), options.backoff_cap),
            options,
            report: ShardReport::new(shard_id, out),
            continuation: None,
            at_tip: false,
        }
    }

    pub(super) async fn run(mut self) -> ShardOutcome {
        match self.read().await {
            Ok(outcome) => outcome,
            Err(Gone) => ShardOutcome::Abandoned,
        }
    }

    async fn read(&mut self) -> Result<ShardOutcome, Gone> {
        self.report.started(self.start.to_string()).await?;
        let mut subscriptions = 0;
        loop {
            let position = match &self.continuation {
                Some(seq) => StartPosition::AfterSequence(seq.clone()),
                None => self.start.clone(),
            };
            self.pacer.ready().await;
            self.report.stats.calls += 1;
            let subscription = match self.api.subscribe(&self.report.shard_id, &position).await {
                Ok(subscription) => subscription,
                Err(error) if error.is_retryable() => {
                    self.wait_to_retry(error).await?;
                    continue;
                }
                Err(error) => return Ok(ShardOutcome::Failed(self.report.give_up(error).await?)),
            };
            let shard_id = self.report.shard_id.clone();
            self.report.emit(ReaderEvent::Subscribed { shard_id, renewals: subscriptions }).await?;
            subscriptions += 1;
            match self.follow(subscription).await? {
                Ended::Renew => {}
                Ended::Finished(outcome) => return Ok(outcome),
            }
        }
    }

    /// Hands on the events of one subscription until it ends, is due for renewal, or the
    /// shard is finished.
    async fn follow(&mut self, mut subscription: F::Subscription) -> Result<Ended, Gone> {
        let renew_at = Instant::now() + self.options.renew_after;
        loop {
            // Dropping a half-received event at renewal loses nothing: the next subscription
            // starts after the last event handed on.
            let next = tokio::select! {
                next = timeout(self.options.silence_limit, subscription.next_event()) => next,
                _ = sleep_until(renew_at) => return Ok(Ended::Renew),
            };
            let event = match next {
                Ok(Ok(Some(event))) => event,
                Ok(Ok(None)) => return Ok(Ended::Renew),
                Ok(Err(error)) if error.is_retryable() => {
                    self.wait_to_retry(error).await?;
                    return Ok(Ended::Renew);
                }
                Ok(Err(error)) => {
                    return Ok(Ended::Finished(ShardOutcome::Failed(self.report.give_up(error).await?)))
                }
                Err(_) => {
                    let silent = format!("no event for {}s", self.options.silence_limit.as_secs());
                    self.wait_to_retry(ApiError::Unreachable(silent)).await?;
                    return Ok(Ended::Renew);
                }
            };
            self.errors.reset();
            self.in_use.reset();
            self.throttles.reset();
            let empty = event.records.is_empty();
            let reached_tip = empty && event.millis_behind_latest == 0;
            if !event.continuation.is_empty() {
                self.continuation = Some(event.continuation);
            }
            self.report.records(event.records, Some(event.millis_behind_latest)).await?;
            let children = match event.child_shards {
                Some(children) if !children.is_empty() => Some(children),
                _ if self.closed_at_start && reached_tip => Some(self.children_by_listing().await?),
                _ => None,
            };
            if let Some(children) = children {
                self.report.closed(&children).await?;
                return Ok(Ended::Finished(ShardOutcome::Closed { children }));
            }
            if reached_tip && !self.at_tip {
                self.report.caught_up().await?;
                if self.options.stop_at_tip {
                    return Ok(Ended::Finished(ShardOutcome::AtTip));
                }
            }
            self.at_tip = reached_tip;
        }
    }

    async fn children_by_listing(&mut self) -> Result<Vec<ChildShard>, Gone> {
        loop {
            self.pacer.ready().await;
            match self.api.child_shards(&self.report.shard_id).await {
                Ok(children) => return Ok(children),
                Err(error) if error.is_retryable() => self.wait_to_retry(error).await?,
                Err(error) => {
                    // The shard itself was read completely; only its continuation is unknown.
                    self.report.give_up(error).await?;
                    return Ok(Vec::new());
                }
            }
        }
    }

    /// Reports a failed subscription and holds the next one back: a little after a dropped
    /// connection, longer while the previous subscription is still in use, longer each
    /// time in a row.
    async fn wait_to_retry(&mut self, error: ApiError) -> Result<(), Gone> {
        let retry_in = match &error {
            ApiError::InUse(_) => self.in_use.next_delay(),
            ApiError::Throttled(_) => {
                let retry_in = self.throttles.next_delay();
                self.pacer.hold_for(retry_in);
                return self.report.throttled(retry_in).await;
            }
            _ => self.errors.next_delay(),
        };
        self.pacer.hold_for(retry_in);
        self.report.retrying(error, retry_in).await
    }
}

/// Fan-out reading of one stream as one registered consumer, through a shared SDK client.
#[derive(Clone)]
pub struct KinesisFanOut {
    client: Client,
    consumer_arn: String,
    shards: KinesisShards,
}

impl KinesisFanOut {
    pub fn new(client: Client, consumer_arn: String, shards: KinesisShards) -> Self {
        KinesisFanOut { client, consumer_arn, shards }
    }
}

pub struct KinesisSubscription {
    shard_id: Arc<str>,
    events: aws_sdk_kinesis::primitives::event_stream::EventReceiver<
        SubscribeToShardEventStream,
        SubscribeToShardEventStreamError,
    >,
}

impl FanOutApi for KinesisFanOut {
    type Subscription = KinesisSubscription;

    async fn subscribe(
        &self,
        shard_id: &Arc<str>,
        from: &StartPosition,
    ) -> Result<KinesisSubscription, ApiError> {
        let (kind, sequence, timestamp) = sdk_position(from);
        let position = StartingPosition::builder()
            .r#type(kind)
            .set_sequence_number(sequence)
            .set_timestamp(timestamp)
            .build()
            .map_err(|e| ApiError::Other(e.to_string()))?;
        let output = self
            .client
            .subscribe_to_shard()
            .consumer_arn(&self.consumer_arn)
            .shard_id(shard_id.as_ref())
            .starting_position(position)
            .send()
            .await
            .map_err(ApiError::from_sdk)?;
        Ok(KinesisSubscription { shard_id: Arc::clone(shard_id), events: output.event_stream })
    }

    async fn child_shards(&self, parent: &str) -> Result<Vec<ChildShard>, ApiError> {
        self.shards.child_shards(parent).await
    }
}

impl Subscription for KinesisSubscription {
    async fn next_event(&mut self) -> Result<Option<FanOutEvent>, ApiError> {
        loop {
            let event = self.events.recv().await.map_err(event_stream_error)?;
            match event {
                None => return Ok(None),
                Some(SubscribeToShardEventStream::SubscribeToShardEvent(event)) => {
                    return Ok(Some(FanOutEvent {
                        records: event
                            .records
                            .into_iter()
                            .map(|r| record_from_sdk(&self.shard_id, r))
                            .collect(),
                        continuation: event.continuation_sequence_number,
                        millis_behind_latest: event.millis_behind_latest,
                        child_shards: event.child_shards.map(children_from_sdk),
                    }))
                }
                // Event kinds newer than this SDK carry nothing we can read.
                Some(_) => continue,
            }
        }
    }
}

/// An error while receiving an event stream. Error events are told apart by their kind:
/// their payload may carry only a message (kinesis-local's does), so no error code. Anything
/// else (a cut connection, a half-read message) is worth resubscribing after.
fn event_stream_error(err: SdkError<SubscribeToShardEventStreamError, RawMessage>) -> ApiError {
    use SubscribeToShardEventStreamError as E;
    let SdkError::ServiceError(service) = &err else {
        return ApiError::Transient(root_cause(&err));
    };
    let error = service.err();
    let message = error.message().unwrap_or_default().to_string();
    let kind = match error {
        E::ResourceInUseException(_) => "ResourceInUseException",
        E::ResourceNotFoundException(_) => "ResourceNotFoundException",
        E::InternalFailureException(_) => "InternalFailureException",
        E::KmsThrottlingException(_) => "KMSThrottlingException",
        E::KmsAccessDeniedException(_) => "KMSAccessDeniedException",
        E::KmsDisabledException(_) => "KMSDisabledException",
        E::KmsInvalidStateException(_) => "KMSInvalidStateException",
        E::KmsNotFoundException(_) => "KMSNotFoundException",
        E::KmsOptInRequired(_) => "KMSOptInRequired",
        _ => error.code().unwrap_or("UnknownError"),
    };
    classify_service_error(Some(kind), Some(&message), 400)
}

#[cfg(test)]
mod tests {
    //! Fan-out behaviour on a fake service and a paused clock: renewal, ChildShards, waits.

    use std::collections::{HashMap, VecDeque};
    use std::sync::Mutex;

    use super::*;
    use crate::aws::reader::{Lineage, StreamReader};
    use crate::aws::shards::ShardInfo;

    #[derive(Clone, Default)]
    struct FakeShard {
        payloads: Vec<&'static str>,
        /// Records per event, and events per subscription before the service ends it.
        per_event: usize,
        events_per_subscription: usize,
        closed: bool,
        children: Vec<ChildShard>,
        /// Send ChildShards in the last event (Kinesis does; kinesis-local does not).
        sends_children: bool,
        in_use_left: usize,
        broken: Option<ApiError>,
        subscriptions: Vec<(tokio::time::Instant, StartPosition)>,
    }

    #[derive(Clone, Default)]
    struct FakeFanOut(Arc<Mutex<HashMap<String, FakeShard>>>);

    struct FakeSubscription(VecDeque<FanOutEvent>);

    impl Subscription for FakeSubscription {
        async fn next_event(&mut self) -> Result<Option<FanOutEvent>, ApiError> {
            Ok(self.0.pop_front())
        }
    }

    impl FanOutApi for FakeFanOut {
        type Subscription = FakeSubscription;

        async fn subscribe(
            &self,
            shard_id: &Arc<str>,
            from: &StartPosition,
        ) -> Result<FakeSubscription, ApiError> {
            let mut shards = self.0.lock().unwrap();
            let shard = shards.entry(shard_id.to_string()).or_default();
            shard.subscriptions.push((tokio::time::Instant::now(), from.clone()));
            if let Some(e) = &shard.broken {
                return Err(e.clone());
            }
            if shard.in_use_left > 0 {
                shard.in_use_left -= 1;
                return Err(ApiError::InUse("ResourceInUseException".into()));
            }
            // Sequence numbers are 1, 2, 3…: record i has number i + 1.
            let mut next = match from {
                StartPosition::TrimHorizon => 0,
                StartPosition::AfterSequence(seq) => seq.parse().unwrap(),
                other => panic!("unexpected start {other}"),
            };
            let mut events = VecDeque::new();
            while events.len() < shard.events_per_subscription.max(1) {
                let end = (next + shard.per_event.max(1)).min(shard.payloads.len());
                let records: Vec<Record> = (next..end)
                    .map(|i| {
                        Record::new(
                            Arc::clone(shard_id),
                            &(i + 1).to_string(),
                            "k",
                            shard.payloads[i].as_bytes(),
                            None,
                        )
                    })
                    .collect();
                next = end;
                let finished = shard.closed && next == shard.payloads.len();
                events.push_back(FanOutEvent {
                    millis_behind_latest: if records.is_empty() { 0 } else { 1000 },
                    records,
                    continuation: next.to_string(),
                    child_shards: (finished && shard.sends_children).then(|| shard.children.clone()),
                });
            }
            Ok(FakeSubscription(events))
        }

        async fn child_shards(&self, parent: &str) -> Result<Vec<ChildShard>, ApiError> {
            Ok(self.0.lock().unwrap().get(parent).map(|s| s.children.clone()).unwrap_or_default())
        }
    }

    impl FakeFanOut {
        fn add(&self, id: &str, shard: FakeShard) {
            self.0.lock().unwrap().insert(id.to_string(), shard);
        }

        fn subscriptions(&self, id: &str) -> Vec<(tokio::time::Instant, StartPosition)> {
            self.0.lock().unwrap()[id].subscriptions.clone()
        }
    }

    fn info(id: &str, parents: &[&str], open: bool) -> ShardInfo {
        ShardInfo::for_test(id, parents, open)
    }

    /// Reads to the tip: the payloads in arrival order, and every event.
    async fn read(
        api: FakeFanOut,
        shards: &[ShardInfo],
        options: FanOutOptions,
    ) -> (Vec<String>, Vec<ReaderEvent>) {
        let lineage = Lineage::plan(shards, &[], &StartPosition::TrimHorizon).unwrap();
        let mut reader = StreamReader::fan_out(api, lineage, FanOutOptions { stop_at_tip: true, ..options });
        let (mut payloads, mut events) = (Vec::new(), Vec::new());
        while let Some(event) = reader.next().await {
            if let ReaderEvent::Records { records, .. } = &event {
                payloads.extend(records.iter().map(|r| String::from_utf8(r.data().to_vec()).unwrap()));
            }
            events.push(event);
        }
        (payloads, events)
    }

    #[tokio::test(start_paused = true)]
    async fn renewals_continue_after_the_last_continuation_without_loss_or_repeats() {
        let api = FakeFanOut::default();
        let payloads = vec!["a", "b", "c", "d", "e", "f", "g"];
        api.add(
            "s",
            FakeShard {
                payloads: payloads.clone(),
                per_event: 2,
                events_per_subscription: 2,
                ..FakeShard::default()
            },
        );
        let (read, events) = read(api.clone(), &[info("s", &[], true)], FanOutOptions::default()).await;
        assert_eq!(read, payloads);
        let starts: Vec<StartPosition> = api.subscriptions("s").into_iter().map(|(_, p)| p).collect();
        assert_eq!(
            starts,
            [
                StartPosition::TrimHorizon,
                StartPosition::AfterSequence("4".into()),
                StartPosition::AfterSequence("7".into()),
            ]
        );
        let renewals: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                ReaderEvent::Subscribed { renewals, .. } => Some(*renewals),
                _ => None,
            })
            .collect();
        assert_eq!(renewals, [0, 1, 2]);
        let times: Vec<_> = api.subscriptions("s").into_iter().map(|(t, _)| t).collect();
        assert!(times.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(1100)), "≤ 1 call/s");
    }

    #[tokio::test(start_paused = true)]
    async fn a_subscription_due_for_renewal_is_renewed_by_the_reader() {
        struct Endless;
        // A subscription that never ends on its own: only the renewal timer moves on.
        #[derive(Clone)]
        struct Slow(Arc<Mutex<Vec<StartPosition>>>);
        impl Subscription for Endless {
            async fn next_event(&mut self) -> Result<Option<FanOutEvent>, ApiError> {
                std::future::pending().await
            }
        }
        impl FanOutApi for Slow {
            type Subscription = Endless;
            async fn subscribe(&self, _: &Arc<str>, from: &StartPosition) -> Result<Endless, ApiError> {
                self.0.lock().unwrap().push(from.clone());
                Ok(Endless)
            }
            async fn child_shards(&self, _: &str) -> Result<Vec<ChildShard>, ApiError> {
                Ok(Vec::new())
            }
        }
        let api = Slow(Arc::default());
        let lineage = Lineage::plan(&[info("s", &[], true)], &[], &StartPosition::TrimHorizon).unwrap();
        let options = FanOutOptions { renew_after: Duration::from_secs(2), ..FanOutOptions::default() };
        let mut reader = StreamReader::fan_out(api.clone(), lineage, options);
        let mut subscribed = 0;
        while subscribed < 3 {
            if let Some(ReaderEvent::Subscribed { .. }) = reader.next().await {
                subscribed += 1;
            }
        }
        assert_eq!(api.0.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn child_shards_finish_the_parent_and_children_are_read_after_it() {
        let api = FakeFanOut::default();
        let children = vec![
            ChildShard { shard_id: "left".into(), parents: vec!["parent".into()] },
            ChildShard { shard_id: "right".into(), parents: vec!["parent".into()] },
        ];
        api.add(
            "parent",
            FakeShard {
                payloads: vec!["p1", "p2", "p3"],
                per_event: 2,
                events_per_subscription: 5,
                closed: true,
                children,
                sends_children: true,
                ..FakeShard::default()
            },
        );
        api.add(
            "left",
            FakeShard { payloads: vec!["l1"], events_per_subscription: 3, ..FakeShard::default() },
        );
        api.add(
            "right",
            FakeShard { payloads: vec!["r1"], events_per_subscription: 3, ..FakeShard::default() },
        );
        // The parent is open as far as the listing knows: only ChildShards says it closed.
        let (read, events) = read(api.clone(), &[info("parent", &[], true)], FanOutOptions::default()).await;
        assert_eq!(&read[..3], ["p1", "p2", "p3"]);
        let mut children_read = read[3..].to_vec();
        children_read.sort();
        assert_eq!(children_read, ["l1", "r1"]);
        assert!(events.iter().any(|e| matches!(e, ReaderEvent::Closed { shard_id, children }
            if &**shard_id == "parent" && children == &["left".to_string(), "right".to_string()])));
        assert_eq!(api.subscriptions("left")[0].1, StartPosition::TrimHorizon);
    }

    #[tokio::test(start_paused = true)]
    async fn a_shard_closed_at_start_ends_at_its_tip_even_without_child_shards() {
        let api = FakeFanOut::default();
        api.add(
            "parent",
            FakeShard {
                payloads: vec!["p1", "p2"],
                events_per_subscription: 10,
                closed: true,
                children: vec![ChildShard { shard_id: "child".into(), parents: vec!["parent".into()] }],
                ..FakeShard::default()
            },
        );
        api.add(
            "child",
            FakeShard { payloads: vec!["c1"], events_per_subscription: 3, ..FakeShard::default() },
        );
        let shards = [info("parent", &[], false), info("child", &["parent"], true)];
        let (read, _) = read(api, &shards, FanOutOptions::default()).await;
        assert_eq!(read, ["p1", "p2", "c1"]);
    }

    #[tokio::test(start_paused = true)]
    async fn resource_in_use_is_waited_out_and_other_errors_fail_only_their_shard() {
        let api = FakeFanOut::default();
        api.add(
            "busy",
            FakeShard {
                payloads: vec!["b"],
                in_use_left: 2,
                events_per_subscription: 3,
                ..FakeShard::default()
            },
        );
        api.add(
            "denied",
            FakeShard { broken: Some(ApiError::AccessDenied("no".into())), ..FakeShard::default() },
        );
        let shards = [info("busy", &[], true), info("denied", &[], true)];
        let (read, events) = read(api.clone(), &shards, FanOutOptions::default()).await;
        assert_eq!(read, ["b"]);
        let calls: Vec<_> = api.subscriptions("busy").into_iter().map(|(t, _)| t).collect();
        assert_eq!(calls.len(), 3);
        assert!(calls[1] - calls[0] >= Duration::from_secs(1));
        assert!(calls[2] - calls[1] >= Duration::from_secs(2), "waits grow while it stays in use");
        let retried = events
            .iter()
            .filter(|e| matches!(e, ReaderEvent::Error { error: ApiError::InUse(_), retry_in: Some(_), .. }))
            .count();
        assert_eq!(retried, 2);
        assert!(events.iter().any(
            |e| matches!(e, ReaderEvent::Error { shard_id, retry_in: None, .. } if &**shard_id == "denied")
        ));
    }
}

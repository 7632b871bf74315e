//! The Redis side of [`Notices`]: one pub/sub connection per subscription,
//! kept up by a background task. Pub/sub forgets what it could not
//! deliver, so the task treats every gap as a possible missed notice: it
//! marks the feed not live when the connection fails or stops answering
//! its pings, and moves the epoch again when it is back.

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt as _;
use redis::Client;
use redis::aio::{PubSubSink, PubSubStream};

use super::Notices;

/// How often an idle feed proves it is still connected. A half-open
/// connection goes unnoticed for at most this plus [`ANSWER_WITHIN`]; the
/// subscriber's own cache TTL bounds what it could miss meanwhile.
const PING_EVERY: Duration = Duration::from_secs(2);
const ANSWER_WITHIN: Duration = Duration::from_secs(1);
/// Between attempts while Redis is unreachable.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// Starts following `channel` for `notices`, on the current runtime. The
/// task ends soon after the last holder drops `notices`.
pub(super) fn follow(client: Client, channel: String, notices: &Arc<Notices>) {
    let notices = Arc::downgrade(notices);
    tokio::spawn(async move {
        let mut was_live = false;
        while notices.strong_count() > 0 {
            match subscribe(&client, &channel).await {
                Ok((sink, stream)) => {
                    if !touch(&notices, |n| n.set_live(true)) {
                        return;
                    }
                    if was_live {
                        tracing::info!("client-change feed from Redis is back");
                    }
                    was_live = true;
                    listen(sink, stream, &notices).await;
                    if !touch(&notices, |n| n.set_live(false)) {
                        return;
                    }
                    tracing::warn!(
                        "lost the client-change feed from Redis; checking Redis on every lookup until it is back"
                    );
                }
                Err(e) => tracing::debug!(error = %e, "could not subscribe to the change feed"),
            }
            tokio::time::sleep(RETRY_AFTER).await;
        }
    });
}

/// Runs `f` on the notices if anyone still holds them.
fn touch(notices: &Weak<Notices>, f: impl FnOnce(&Notices)) -> bool {
    notices.upgrade().map(|n| f(&n)).is_some()
}

async fn subscribe(
    client: &Client,
    channel: &str,
) -> redis::RedisResult<(PubSubSink, PubSubStream)> {
    let timed_out = || redis::RedisError::from((redis::ErrorKind::IoError, "timed out"));
    let pubsub = tokio::time::timeout(ANSWER_WITHIN, client.get_async_pubsub())
        .await
        .map_err(|_| timed_out())??;
    let (mut sink, stream) = pubsub.split();
    tokio::time::timeout(ANSWER_WITHIN, sink.subscribe(channel))
        .await
        .map_err(|_| timed_out())??;
    Ok((sink, stream))
}

/// Until the connection fails, stops answering, or nobody listens.
async fn listen(mut sink: PubSubSink, mut stream: PubSubStream, notices: &Weak<Notices>) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    loop {
        tokio::select! {
            message = stream.next() => {
                if message.is_none() || !touch(notices, Notices::heard) {
                    return;
                }
            }
            _ = ping.tick() => {
                if notices.strong_count() == 0 {
                    return;
                }
                let answered = tokio::time::timeout(ANSWER_WITHIN, sink.ping::<redis::Value>()).await;
                if !matches!(answered, Ok(Ok(_))) {
                    return;
                }
            }
        }
    }
}

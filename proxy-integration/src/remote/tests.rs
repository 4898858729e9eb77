//! The poller against a minimal control server on 127.0.0.1:0 that implements the collector's
//! documented watch contract (collector `control/watch.rs`): answer at once when `version`
//! differs or is absent, else when the version changes or after the timeout. (This crate
//! cannot depend on the collector; the collector's side is tested there.)

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sampler::TraceId;
use sampler::head::SamplingInput;
use sampler::strategy::SamplingStrategyResponse;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::*;
use crate::sampling::{SamplingControl, Source};

/// `(version, strategy JSON or "null")`.
type Published = watch::Sender<(u64, String)>;

fn publish(state: &Published, strategy: Option<&SamplingStrategyResponse>) {
    let json = strategy.map_or("null".to_owned(), |s| serde_json::to_string(s).unwrap());
    state.send_modify(|(version, body)| {
        *version += 1;
        *body = json;
    });
}

async fn answer(
    state: watch::Receiver<(u64, String)>,
    query: String,
) -> http::Response<Full<Bytes>> {
    let known = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("version="))
        .and_then(|v| v.parse::<u64>().ok());
    let mut state = state;
    if let Some(known) = known {
        let _ = tokio::time::timeout(
            Duration::from_secs(30),
            state.wait_for(|(version, _)| *version != known),
        )
        .await;
    }
    let (version, strategy) = state.borrow().clone();
    let body = format!("{{\"version\":{version},\"strategy\":{strategy}}}");
    http::Response::new(Full::new(Bytes::from(body)))
}

/// Serves the contract on `listener` until the returned task is aborted (which also drops
/// every open connection).
fn serve(listener: TcpListener, state: &Published) -> JoinHandle<()> {
    let state = state.subscribe();
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            let state = state.clone();
            connections.spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let query = request.uri().query().unwrap_or_default().to_owned();
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(answer(state, query).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

async fn server(state: &Published) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (addr, serve(listener, state))
}

fn state_of(control: &SamplingControl) -> (Source, Option<f64>) {
    let current = control.current();
    (current.source, current.sampler.probability())
}

/// Waits (real time) until the control is in `want`; returns how long it took.
async fn until(
    control: &SamplingControl,
    want: (Source, Option<f64>),
    limit: Duration,
) -> Duration {
    let start = Instant::now();
    while state_of(control) != want {
        assert!(
            start.elapsed() < limit,
            "still {:?}, want {want:?}",
            state_of(control)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}

/// The share of 4000 random root traces the sidecar's sampler keeps.
fn decision_rate(control: &SamplingControl) -> f64 {
    let mut rng = rand::rng();
    let sampler = &control.current().sampler;
    let kept = (0..4000)
        .filter(|_| {
            let input =
                SamplingInput::new(TraceId::random(&mut rng), None).at(Duration::from_secs(1));
            sampler.decide(&input).sampling.is_sampled()
        })
        .count();
    kept as f64 / 4000.0
}

#[tokio::test]
async fn follows_the_collector_within_a_second_and_keeps_the_last_strategy() {
    let published = watch::Sender::new((1, "null".to_owned()));
    let (addr, server_task) = server(&published).await;
    let control =
        Arc::new(SamplingControl::new(SamplingStrategyResponse::probabilistic(0.1)).unwrap());
    let (stop, stop_rx) = watch::channel(false);
    let task = spawn_remote_sampling(
        &format!("http://{addr}"),
        "reviews",
        Arc::clone(&control),
        stop_rx,
    )
    .unwrap();

    // Nothing configured for the service: the default stays.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(state_of(&control), (Source::Default, Some(0.1)));
    let before = decision_rate(&control);
    assert!((0.07..0.13).contains(&before), "{before}");

    // A change reaches the sampler within a second, and the decision rate follows.
    publish(
        &published,
        Some(&SamplingStrategyResponse::probabilistic(0.5)),
    );
    let delay = until(
        &control,
        (Source::Remote, Some(0.5)),
        Duration::from_secs(1),
    )
    .await;
    assert!(delay < Duration::from_secs(1), "{delay:?}");
    let after = decision_rate(&control);
    assert!((0.45..0.55).contains(&after), "{after}");

    // An unusable strategy is refused; the last good one stays.
    publish(
        &published,
        Some(&SamplingStrategyResponse::probabilistic(1.5)),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(state_of(&control), (Source::Remote, Some(0.5)));

    // The collector goes away: the strategy stays.
    server_task.abort();
    let _ = server_task.await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(state_of(&control), (Source::Remote, Some(0.5)));

    // It comes back (same address) with a new strategy: picked up within the backoff.
    publish(
        &published,
        Some(&SamplingStrategyResponse::probabilistic(1.0)),
    );
    let listener = TcpListener::bind(addr).await.unwrap();
    let server_task = serve(listener, &published);
    until(
        &control,
        (Source::Remote, Some(1.0)),
        Duration::from_secs(6),
    )
    .await;

    // The collector drops the service's strategy: back to the default.
    publish(&published, None);
    until(
        &control,
        (Source::Default, Some(0.1)),
        Duration::from_secs(1),
    )
    .await;

    // Shutdown ends the task even in the middle of a long-poll.
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(1), task)
        .await
        .unwrap()
        .unwrap();
    server_task.abort();
}

#[tokio::test]
async fn an_unreachable_collector_is_retried_until_shutdown() {
    // A port nobody listens on.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let control =
        Arc::new(SamplingControl::new(SamplingStrategyResponse::probabilistic(0.3)).unwrap());
    let (stop, stop_rx) = watch::channel(false);
    let task =
        spawn_remote_sampling(&addr.to_string(), "svc", Arc::clone(&control), stop_rx).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state_of(&control), (Source::Default, Some(0.3)));
    drop(stop);
    tokio::time::timeout(Duration::from_secs(1), task)
        .await
        .unwrap()
        .unwrap();

    let (_stop, stop_rx) = watch::channel(false);
    assert!(matches!(
        spawn_remote_sampling("https://c:1", "svc", control, stop_rx),
        Err(RemoteError::UnsupportedScheme(_))
    ));
}

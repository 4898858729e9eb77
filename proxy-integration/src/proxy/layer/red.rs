//! RED metrics of every request, sampled or not: counted on arrival, its latency and status
//! class recorded when the response body ends (or at once when there is no response).

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response, StatusCode};
use hyper::body::{Body, Incoming};
use tower::{Layer, Service};

use crate::metrics::{RedMetrics, StatusClass};
use crate::proxy::ProxyError;
use crate::proxy::body::{BodyEnd, NotifyBody, OnEnd};
use crate::proxy::observe::{ObserveFuture, Observer};
use crate::stats::Stats;
use crate::trace::Direction;

/// Where a direction's requests are counted: one `Arc` per request, not two.
#[derive(Debug)]
struct Meters {
    red: Arc<RedMetrics>,
    stats: Arc<Stats>,
    direction: Direction,
}

/// Records rate, errors and duration.
#[derive(Debug, Clone)]
pub(in crate::proxy) struct RedLayer {
    meters: Arc<Meters>,
}

impl RedLayer {
    /// Records into `red` and `stats`, under `direction`.
    pub(in crate::proxy) fn new(
        red: Arc<RedMetrics>,
        stats: Arc<Stats>,
        direction: Direction,
    ) -> Self {
        let meters = Arc::new(Meters {
            red,
            stats,
            direction,
        });
        Self { meters }
    }
}

impl<S> Layer<S> for RedLayer {
    type Service = Red<S>;

    fn layer(&self, inner: S) -> Red<S> {
        Red {
            inner,
            meters: self.meters.clone(),
        }
    }
}

/// See [`RedLayer`].
#[derive(Debug, Clone)]
pub(in crate::proxy) struct Red<S> {
    inner: S,
    meters: Arc<Meters>,
}

impl<S, B> Service<Request<Incoming>> for Red<S>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = ProxyError>,
    S::Future: Unpin,
    B: Body,
{
    type Response = Response<NotifyBody<B, Record>>;
    type Error = ProxyError;
    type Future = ObserveFuture<S::Future, Record>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        Stats::incr(&self.meters.stats.requests);
        let record = Record {
            meters: self.meters.clone(),
            started: Instant::now(),
            status: 0,
        };
        ObserveFuture::new(self.inner.call(request), Some(record))
    }
}

/// One request's measurement, finished when its response body ends.
#[derive(Debug)]
pub(in crate::proxy) struct Record {
    meters: Arc<Meters>,
    started: Instant,
    status: u16,
}

impl Record {
    fn finish(self, class: StatusClass) {
        let meters = &self.meters;
        meters
            .red
            .record(meters.direction, class, self.started.elapsed());
    }
}

impl Observer for Record {
    fn responded(&mut self, status: StatusCode) {
        self.status = status.as_u16();
    }

    fn failed(self, error: &ProxyError) {
        let class = match error.is_upstream() {
            true => {
                Stats::incr(&self.meters.stats.upstream_errors);
                StatusClass::TransportError
            }
            false => StatusClass::of(error.status().as_u16()),
        };
        self.finish(class);
    }
}

impl OnEnd for Record {
    fn on_end(self, end: BodyEnd<'_>) {
        let class = match end {
            BodyEnd::Complete | BodyEnd::Dropped => StatusClass::of(self.status),
            BodyEnd::Failed(_) => StatusClass::TransportError,
        };
        self.finish(class);
    }
}

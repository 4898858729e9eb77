//! Opening the ingest journal at start and turning what it holds back into pipeline batches.

use std::path::Path;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tokio::time::Instant;

use crate::export::persist::OpenError;
use crate::pipeline::Accepted;
use crate::pipeline::journal::{JOURNAL_SUBDIR, Journal};
use crate::receiver::otlp::convert_request;

/// Opens `DATA_DIR/journal`; returns it with the batches to deliver again.
pub fn open(data_dir: &Path, fsync: bool) -> Result<(Journal, Vec<Accepted>), OpenError> {
    let (journal, replay) = Journal::open(&data_dir.join(JOURNAL_SUBDIR), fsync, Instant::now())?;
    let mut batches = Vec::with_capacity(replay.payloads.len());
    for payload in replay.payloads {
        // The checksum held, so this is what the drain wrote; skip rather than stop anyway.
        let Ok(request) = ExportTraceServiceRequest::decode(payload) else {
            tracing::warn!("ingest journal: undecodable record skipped");
            continue;
        };
        let otlp = request.resource_spans.clone();
        let converted = convert_request(request);
        batches.push(Accepted::new(converted.spans, Some(otlp)));
    }
    if !batches.is_empty() || replay.corrupt > 0 {
        tracing::info!(
            batches = batches.len(),
            corrupt = replay.corrupt,
            "ingest journal: replaying spans that waited for a tail-sampling decision"
        );
    }
    Ok((journal, batches))
}

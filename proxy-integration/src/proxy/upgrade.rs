//! Upgraded connections (websockets and other `Connection: upgrade` protocols): once the
//! upstream answers 101, the two upgraded streams are spliced together, bytes untouched.

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

/// Splices the downstream and upstream connections once both upgrades complete.
pub(super) fn splice(downstream: OnUpgrade, upstream: OnUpgrade) {
    tokio::spawn(async move {
        let (downstream, upstream) = match tokio::try_join!(downstream, upstream) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::debug!(error = %e, "upgrade did not complete");
                return;
            }
        };
        let (mut downstream, mut upstream) = (TokioIo::new(downstream), TokioIo::new(upstream));
        if let Err(e) = tokio::io::copy_bidirectional(&mut downstream, &mut upstream).await {
            tracing::debug!(error = %e, "upgraded connection ended with an error");
        }
    });
}

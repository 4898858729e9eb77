//! What jaeger-query does to a stored trace before showing it
//! (`cmd/query/app/querysvc/adjuster/standard.go`): give the server half of a Zipkin shared
//! span its own id (`uniquify`), then look for clock skew and bad references
//! (`clock_skew`), recording what it finds as span warnings.

mod clock_skew;
mod shown;
mod uniquify;

pub use shown::{ShownSpan, adjust};

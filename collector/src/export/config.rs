//! Exporter configuration: one URL per backend, parsed once at the edge into a typed
//! [`ExporterConfig`] with every tuning default in one place.
//!
//! `grpc://HOST[:PORT]` is OTLP/gRPC (port 4317 when left out); `http://HOST[:PORT][/PATH]` is
//! OTLP/HTTP protobuf, posted to `PATH` or `/v1/traces` (port 4318 when left out).
//! `grpcs://` and `https://` are the same over TLS. Headers, compression and TLS files come
//! from [`ExporterSettings`] and are checked here, once.

use std::time::Duration;

use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

use super::compress::Compression;
use super::headers::{ExportHeaders, HeaderError};
use super::persist::PersistConfig;
use super::retry::RetryPolicy;
use super::settings::ExporterSettings;
use super::tls::{ExportTls, TlsError};

/// Most spans sent in one export request; a batch is sent once it reaches this size.
pub const DEFAULT_BATCH_SPANS: usize = 512;
/// Longest a span waits for its batch to fill before the batch is sent anyway.
pub const DEFAULT_BATCH_TIMEOUT: Duration = Duration::from_millis(200);
/// Most spans an exporter holds (queued or in flight) before it drops new batches.
pub const DEFAULT_QUEUE_SPANS: usize = 65_536;
/// Export requests one exporter keeps in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Deadline of one export request, connection included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default OTLP/gRPC port, used when a `grpc://` URL names none.
pub const DEFAULT_GRPC_PORT: u16 = 4317;
/// Default OTLP/HTTP port, used when an `http://` URL names none.
pub const DEFAULT_HTTP_PORT: u16 = 4318;
/// The OTLP/HTTP traces path, used when an `http://` URL names none.
pub const DEFAULT_HTTP_PATH: &str = "/v1/traces";

/// The wire protocol of one exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC `TraceService/Export`, gzip-compressed.
    Grpc,
    /// OTLP/HTTP protobuf `POST`, gzip-compressed.
    Http,
}

impl Protocol {
    /// A short name for logs.
    pub const fn label(self) -> &'static str {
        match self {
            Protocol::Grpc => "otlp_grpc",
            Protocol::Http => "otlp_http",
        }
    }
}

/// One exporter, ready to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExporterConfig {
    /// The URL as the user wrote it, to name the exporter in logs and counters.
    pub url: String,
    /// How spans are sent.
    pub protocol: Protocol,
    /// Where they are sent: `http(s)://HOST:PORT` for gRPC, the full URL for HTTP.
    pub endpoint: Uri,
    /// The TLS client configuration; `Some` exactly when the URL is `grpcs://` or `https://`.
    pub tls: Option<ExportTls>,
    /// Headers sent with every request (values never shown).
    pub headers: ExportHeaders,
    /// Compression of request bodies.
    pub compression: Compression,
    /// Spans per export request (at least one); see [`DEFAULT_BATCH_SPANS`].
    pub batch_spans: usize,
    /// Longest a batch waits to fill; see [`DEFAULT_BATCH_TIMEOUT`].
    pub batch_timeout: Duration,
    /// Queue bound in spans, in-flight batch included; see [`DEFAULT_QUEUE_SPANS`].
    pub queue_spans: usize,
    /// Requests in flight at once (at least one); see [`DEFAULT_CONCURRENCY`].
    pub concurrency: usize,
    /// Deadline of one request; see [`DEFAULT_REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// Backoff between attempts and when to give up.
    pub retry: RetryPolicy,
    /// Where the queue persists; in memory when `None`. A persistent queue retries a
    /// retryable failure without a time budget (its byte bound limits what waits).
    pub persist: Option<PersistConfig>,
}

/// Why an exporter URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExporterUrlError {
    /// Not a URL at all.
    #[error("`{url}` is not a valid URL: {reason}")]
    Invalid {
        /// The URL as written.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// No scheme, so the protocol is unknown.
    #[error(
        "`{url}` has no scheme; write grpc://HOST:PORT (OTLP/gRPC) or http://HOST:PORT (OTLP/HTTP)"
    )]
    MissingScheme {
        /// The URL as written.
        url: String,
    },
    /// A scheme other than `grpc`, `grpcs`, `http` or `https`.
    #[error(
        "`{url}`: unknown scheme `{scheme}`; use grpc:// or grpcs:// (OTLP/gRPC) or \
         http:// or https:// (OTLP/HTTP)"
    )]
    UnknownScheme {
        /// The URL as written.
        url: String,
        /// The scheme found.
        scheme: String,
    },
    /// No host.
    #[error("`{url}` names no host")]
    MissingHost {
        /// The URL as written.
        url: String,
    },
    /// A path on a `grpc://` URL, where the method path is fixed by OTLP.
    #[error("`{url}`: OTLP/gRPC URLs take no path")]
    GrpcPath {
        /// The URL as written.
        url: String,
    },
}

/// Why an exporter's settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExporterConfigError {
    /// The URL cannot be used.
    #[error(transparent)]
    Url(#[from] ExporterUrlError),
    /// A header cannot be sent.
    #[error("`{url}`: {error}")]
    Header {
        /// The exporter's URL.
        url: String,
        /// Which header and why.
        error: HeaderError,
    },
    /// `tls` files on a cleartext URL.
    #[error("`{url}`: `tls` settings need a grpcs:// or https:// URL")]
    TlsOnCleartext {
        /// The exporter's URL.
        url: String,
    },
    /// The TLS files cannot be used.
    #[error("`{url}`: {error}")]
    Tls {
        /// The exporter's URL.
        url: String,
        /// Which file and why.
        error: TlsError,
    },
}

/// Protocol, endpoint and whether TLS is on, read from a URL.
struct Target {
    protocol: Protocol,
    endpoint: Uri,
    tls: bool,
}

impl ExporterConfig {
    /// Parses `url` into an exporter with default settings and tuning.
    pub fn parse(url: &str) -> Result<Self, ExporterConfigError> {
        Self::from_settings(&ExporterSettings::from_url(url))
    }

    /// Checks `settings` (URL, headers, TLS files) into an exporter with default tuning.
    pub fn from_settings(settings: &ExporterSettings) -> Result<Self, ExporterConfigError> {
        let url = &settings.url;
        let target = parse_url(url)?;
        let headers = ExportHeaders::parse(
            settings
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        )
        .map_err(|error| ExporterConfigError::Header {
            url: url.clone(),
            error,
        })?;
        let tls =
            match target.tls {
                true => Some(ExportTls::new(&settings.tls).map_err(|error| {
                    ExporterConfigError::Tls {
                        url: url.clone(),
                        error,
                    }
                })?),
                false if settings.tls.is_set() => {
                    return Err(ExporterConfigError::TlsOnCleartext { url: url.clone() });
                }
                false => None,
            };
        Ok(Self {
            url: url.clone(),
            protocol: target.protocol,
            endpoint: target.endpoint,
            tls,
            headers,
            compression: settings.compression,
            batch_spans: DEFAULT_BATCH_SPANS,
            batch_timeout: DEFAULT_BATCH_TIMEOUT,
            queue_spans: DEFAULT_QUEUE_SPANS,
            concurrency: DEFAULT_CONCURRENCY,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            persist: None,
        })
    }
}

/// Reads protocol, endpoint and TLS from an exporter URL.
fn parse_url(url: &str) -> Result<Target, ExporterUrlError> {
    let owned = || url.to_owned();
    let uri: Uri = url
        .parse()
        .map_err(|err: http::uri::InvalidUri| ExporterUrlError::Invalid {
            url: owned(),
            reason: err.to_string(),
        })?;
    let scheme = uri
        .scheme_str()
        .ok_or_else(|| ExporterUrlError::MissingScheme { url: owned() })?
        .to_ascii_lowercase();
    let authority = uri
        .authority()
        .filter(|a| !a.host().is_empty())
        .ok_or_else(|| ExporterUrlError::MissingHost { url: owned() })?;
    let path = uri.path_and_query().map(PathAndQuery::as_str);
    let has_path = !matches!(path, None | Some("" | "/"));
    let tls = matches!(scheme.as_str(), "grpcs" | "https");
    let (protocol, port, path) = match scheme.as_str() {
        "grpc" | "grpcs" if has_path => {
            return Err(ExporterUrlError::GrpcPath { url: owned() });
        }
        "grpc" | "grpcs" => (Protocol::Grpc, DEFAULT_GRPC_PORT, "/"),
        "http" | "https" if has_path => (Protocol::Http, DEFAULT_HTTP_PORT, path.unwrap_or("/")),
        "http" | "https" => (Protocol::Http, DEFAULT_HTTP_PORT, DEFAULT_HTTP_PATH),
        _ => {
            return Err(ExporterUrlError::UnknownScheme {
                url: owned(),
                scheme,
            });
        }
    };
    let scheme = if tls { Scheme::HTTPS } else { Scheme::HTTP };
    let endpoint =
        endpoint(scheme, authority, port, path).map_err(|reason| ExporterUrlError::Invalid {
            url: owned(),
            reason,
        })?;
    Ok(Target {
        protocol,
        endpoint,
        tls,
    })
}

/// `SCHEME://AUTHORITY[:default_port]PATH`.
fn endpoint(
    scheme: Scheme,
    authority: &Authority,
    default_port: u16,
    path: &str,
) -> Result<Uri, String> {
    let authority = match authority.port_u16() {
        Some(_) => authority.as_str().to_owned(),
        None => format!("{}:{default_port}", authority.as_str()),
    };
    Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(path)
        .build()
        .map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Result<(Protocol, String), ExporterConfigError> {
        ExporterConfig::parse(url).map(|c| (c.protocol, c.endpoint.to_string()))
    }

    #[rustfmt::skip]
    #[test]
    fn url_table() {
        use Protocol::{Grpc, Http};
        let ok: &[(&str, Protocol, &str)] = &[
            ("grpc://127.0.0.1:4317",         Grpc, "http://127.0.0.1:4317/"),
            ("grpc://backend",                Grpc, "http://backend:4317/"),
            ("GRPC://backend:9/",             Grpc, "http://backend:9/"),
            ("http://backend:4318",           Http, "http://backend:4318/v1/traces"),
            ("http://backend",                Http, "http://backend:4318/v1/traces"),
            ("http://[::1]:55681/",           Http, "http://[::1]:55681/v1/traces"),
            ("http://backend:80/otlp/traces", Http, "http://backend:80/otlp/traces"),
            ("grpcs://backend",               Grpc, "https://backend:4317/"),
            ("https://backend:443",           Http, "https://backend:443/v1/traces"),
            ("HTTPS://backend/otlp",          Http, "https://backend:4318/otlp"),
        ];
        for (url, protocol, endpoint) in ok {
            assert_eq!(parsed(url), Ok((*protocol, (*endpoint).to_owned())), "{url}");
        }
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let err = |url: &str| ExporterConfig::parse(url).unwrap_err().to_string();
        assert!(err("grpcs://backend:4317/x").contains("take no path"));
        assert!(
            err("backend:4317").contains("scheme"),
            "{}",
            err("backend:4317")
        );
        assert!(err("zipkin://backend:9411").contains("unknown scheme `zipkin`"));
        assert!(err("grpc://backend:4317/v1/traces").contains("take no path"));
        assert!(
            err("http://").contains("not a valid URL"),
            "{}",
            err("http://")
        );
        assert!(err("").contains("not a valid URL"), "{}", err(""));
    }

    #[test]
    fn tls_follows_the_scheme() {
        assert!(ExporterConfig::parse("https://b").unwrap().tls.is_some());
        assert!(ExporterConfig::parse("grpcs://b").unwrap().tls.is_some());
        assert!(ExporterConfig::parse("grpc://b").unwrap().tls.is_none());
        let settings = ExporterSettings {
            tls: super::super::TlsSettings {
                ca_file: Some("/etc/ca.pem".into()),
                ..Default::default()
            },
            ..ExporterSettings::from_url("http://b")
        };
        let err = ExporterConfig::from_settings(&settings).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`http://b`: `tls` settings need a grpcs:// or https:// URL"
        );
    }

    #[test]
    fn bad_headers_are_named_at_start() {
        let settings = ExporterSettings {
            headers: [("x-token".to_owned(), "s3c\nret".to_owned())].into(),
            ..ExporterSettings::from_url("grpc://b")
        };
        let err = ExporterConfig::from_settings(&settings)
            .unwrap_err()
            .to_string();
        assert!(err.contains("header `x-token`"), "{err}");
        assert!(!err.contains("s3c"), "{err}");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = ExporterConfig::parse("grpc://b:1").unwrap();
        assert_eq!(config.batch_spans, 512);
        assert_eq!(config.batch_timeout, Duration::from_millis(200));
        assert_eq!(config.retry, RetryPolicy::default());
        assert_eq!(config.url, "grpc://b:1");
        assert_eq!(config.compression, Compression::Gzip);
        assert!(config.headers.is_empty());
    }
}

//! The query string as decoded pairs, and [`ParamError`], what reading a parameter can fail
//! with. Messages name the parameter as jaeger-query's do (`newParseError` in
//! `cmd/query/app/query_parser.go`).

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use super::duration::DurationError;
use crate::store::TraceIdError;

/// Why a query parameter was refused; every variant names the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A duration that does not parse.
    #[error("unable to parse param '{param}': {source}")]
    Duration {
        /// The parameter.
        param: &'static str,
        /// What is wrong with it.
        source: DurationError,
    },
    /// Not a non-negative integer.
    #[error("unable to parse param '{param}': {value:?} is not a non-negative integer")]
    Integer {
        /// The parameter.
        param: &'static str,
        /// The value as sent.
        value: String,
    },
    /// Not an RFC 3339 date-time.
    #[error("unable to parse param '{param}': {value:?} is not an RFC 3339 date-time")]
    Timestamp {
        /// The parameter.
        param: &'static str,
        /// The value as sent.
        value: String,
    },
    /// A trace id that is not hex.
    #[error("unable to parse param '{param}': {source}")]
    TraceId {
        /// The parameter.
        param: &'static str,
        /// What is wrong with it.
        source: TraceIdError,
    },
    /// Not one of `server`, `client`, `producer`, `consumer`, `internal`.
    #[error(
        "unable to parse param '{param}': unknown span kind {value:?}, expected server, client, producer, consumer or internal"
    )]
    SpanKind {
        /// The parameter.
        param: &'static str,
        /// The value as sent.
        value: String,
    },
    /// A `tag` without a `:` between key and value.
    #[error("malformed 'tag' parameter, expecting key:value, received: {0}")]
    Tag(String),
    /// A `tags` value that is not a JSON object of scalars.
    #[error("malformed 'tags' parameter, cannot unmarshal JSON: {0}")]
    Tags(String),
    /// `maxDuration` below `minDuration`.
    #[error("'{max}' should be greater than '{min}'")]
    DurationRange {
        /// The minimum's parameter.
        min: &'static str,
        /// The maximum's parameter.
        max: &'static str,
    },
    /// A parameter that must be given.
    #[error("parameter '{0}' is required")]
    Required(&'static str),
}

/// Decoded `name=value` pairs of a query string, in order, repeats kept.
#[derive(Debug, Clone, Copy)]
pub struct Form<'a>(pub &'a [(String, String)]);

impl<'a> Form<'a> {
    /// The first value of `name` that is not empty (Go's `FormValue`, where empty means
    /// absent).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.all(name).next()
    }

    /// Every non-empty value of `name`, in order.
    pub fn all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        let pairs = self.0;
        pairs
            .iter()
            .filter(move |(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// `name` as a non-negative integer, if given.
    pub fn integer(&self, name: &'static str) -> Result<Option<u64>, ParamError> {
        self.get(name)
            .map(|value| {
                value.parse().map_err(|_| ParamError::Integer {
                    param: name,
                    value: value.to_owned(),
                })
            })
            .transpose()
    }

    /// `name` as a span kind, if given (`server`, `client`, ...).
    pub fn span_kind(&self, name: &'static str) -> Result<Option<SpanKind>, ParamError> {
        self.get(name)
            .map(|value| {
                parse_span_kind(value).ok_or_else(|| ParamError::SpanKind {
                    param: name,
                    value: value.to_owned(),
                })
            })
            .transpose()
    }
}

/// Jaeger's span kind names, as the UI sends them; OTLP's `SPAN_KIND_*` names too.
fn parse_span_kind(text: &str) -> Option<SpanKind> {
    let name = text.strip_prefix("SPAN_KIND_").unwrap_or(text);
    match name.to_ascii_lowercase().as_str() {
        "server" => Some(SpanKind::Server),
        "client" => Some(SpanKind::Client),
        "producer" => Some(SpanKind::Producer),
        "consumer" => Some(SpanKind::Consumer),
        "internal" => Some(SpanKind::Internal),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn empty_values_are_absent() {
        let list = pairs(&[("a", ""), ("a", "1"), ("a", "2"), ("b", "")]);
        let form = Form(&list);
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(form.get("b"), None);
        assert_eq!(form.integer("b"), Ok(None));
        assert_eq!(form.integer("a"), Ok(Some(1)));
    }

    #[rustfmt::skip]
    #[test]
    fn span_kinds() {
        let cases: &[(&str, Result<Option<SpanKind>, ParamError>)] = &[
            ("server",           Ok(Some(SpanKind::Server))),
            ("CLIENT",           Ok(Some(SpanKind::Client))),
            ("SPAN_KIND_PRODUCER", Ok(Some(SpanKind::Producer))),
            ("consumer",         Ok(Some(SpanKind::Consumer))),
            ("internal",         Ok(Some(SpanKind::Internal))),
            ("",                 Ok(None)),
            ("sever",            Err(ParamError::SpanKind { param: "spanKind", value: "sever".into() })),
        ];
        for (text, want) in cases {
            let list = pairs(&[("spanKind", text)]);
            assert_eq!(Form(&list).span_kind("spanKind"), *want, "input {text:?}");
        }
    }
}

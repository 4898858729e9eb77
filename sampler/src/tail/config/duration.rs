//! Durations written as text (`10s`, `500ms`, `1m 30s`), as the OpenTelemetry Collector
//! writes `decision_wait`; parsed with `humantime`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Parses `text` as a duration, with a message that quotes it.
fn parse<E: serde::de::Error>(text: &str) -> Result<Duration, E> {
    humantime::parse_duration(text)
        .map_err(|e| E::custom(format_args!("invalid duration {text:?}: {e}")))
}

/// A required duration.
pub(super) mod required {
    use super::*;

    /// Writes the duration as text.
    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_duration(*d))
    }

    /// Reads a duration from text.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text)
    }
}

/// An optional duration (absent or `null` = none).
pub(super) mod optional {
    use super::*;

    /// Writes the duration as text (only called when present).
    pub(crate) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(&humantime::format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    /// Reads an optional duration from text.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| parse(&text))
            .transpose()
    }
}

//! Integers as the OpenTelemetry Collector's YAML reader takes them: a number, or a plain
//! scalar with `_` digit separators (`100_000`, as in the processor's README), which YAML 1.2
//! readers hand over as a string.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Reads any integer form into an `i128`, then narrows it to `T`.
struct Int;

impl Visitor<'_> for Int {
    type Value = i128;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
        Ok(v.into())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
        Ok(v.into())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i128, E> {
        let digits: String = v.chars().filter(|c| *c != '_').collect();
        let well_formed = !v.starts_with('_') && !v.ends_with('_') && !digits.is_empty();
        match digits.parse() {
            Ok(n) if well_formed => Ok(n),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

fn narrow<T: TryFrom<i128>, E: de::Error>(n: i128) -> Result<T, E> {
    T::try_from(n).map_err(|_| E::custom(format_args!("integer {n} is out of range")))
}

/// A required (or defaulted) integer.
pub(super) fn required<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
    narrow(d.deserialize_any(Int)?)
}

/// An optional integer (`null` = none).
pub(super) fn optional<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    struct Maybe;
    impl<'de> Visitor<'de> for Maybe {
        type Value = Option<i128>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Int).map(Some)
        }
    }
    d.deserialize_option(Maybe)?.map(narrow).transpose()
}

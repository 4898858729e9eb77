//! W3C `tracestate`: an ordered list of at most 32 `key=value` members, and the OpenTelemetry
//! `ot=` member whose `;`-separated sub-keys (`th`, `rv`) carry consistent-sampling state.
//!
//! The list is kept as the one header value it is forwarded as (canonical form: members joined
//! with `,`, no white space or empty members), not as a string pair per member: a list
//! received in canonical form is the received header value itself (shared bytes), copying
//! one is a reference count, and forwarding it unchanged writes nothing. Such a line is
//! checked in one pass over its bytes (`scan`); other input goes through the general parser.
//! Where the `ot` member lies is found while reading (the request path reads only `ot`);
//! other lookups scan the value, which holds at most 32 members.

mod grammar;
mod ot;
mod scan;

use std::fmt;

use http::HeaderValue;

use crate::{Randomness, Threshold};
use crate::{hex, text};
use grammar::{Checked, MAX_MEMBERS, Verdict, trim};
use scan::Place;

/// The W3C propagation limit on the header value, commas included.
pub const PROPAGATION_LIMIT: usize = 512;
/// Members longer than this are the first removed when the header must be truncated.
const LARGE_MEMBER: usize = 128;
/// The OpenTelemetry vendor key.
const OT_KEY: &str = "ot";

/// A parsed `tracestate`: valid members only, in order, first occurrence of a key wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceState {
    /// The members in canonical form; `None` when there are none.
    value: Option<HeaderValue>,
    /// Where the value of the `ot` member lies in `value`, if there is one.
    ot: Option<Place>,
    /// `ot=th` and `ot=rv`, read once with the list: the head sampler asks for both on every
    /// request.
    sampling: ot::Sampling,
}

impl TraceState {
    /// Parses every `tracestate` header line as one list (several lines are concatenated with
    /// `,`, as the spec requires). Empty list members and optional white space around members
    /// are tolerated, and a repeated key keeps its first member (later ones are dropped). A
    /// list that breaks the grammar anywhere (a bad key or value, more than 32 members) is
    /// discarded whole, as the W3C test suite's strict level requires.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Self {
        let mut checked = Checked::new();
        let mut text = String::new();
        for member in lines
            .into_iter()
            .flat_map(|line| text::split(line, b','))
            .map(trim)
        {
            if member.is_empty() {
                continue;
            }
            match checked.accept(member) {
                Verdict::Keep => {}
                Verdict::Repeat => continue,
                Verdict::Invalid => return Self::default(),
            }
            if !text.is_empty() {
                text.push(',');
            }
            text.push_str(member);
        }
        Self::from_canonical(text)
    }

    /// [`TraceState::parse`] over a request's `tracestate` header lines (lines that are not
    /// visible ASCII are skipped). One line already in canonical form is kept as it is,
    /// without copying.
    pub fn from_header_values<'a>(values: impl IntoIterator<Item = &'a HeaderValue>) -> Self {
        let mut values = values.into_iter();
        let Some(first) = values.next() else {
            return Self::default();
        };
        let second = values.next();
        if second.is_none() {
            return Self::from_header_value(first);
        }
        let lines = [first]
            .into_iter()
            .chain(second)
            .chain(values)
            .filter_map(|value| value.to_str().ok());
        Self::parse(lines)
    }

    /// [`TraceState::from_header_values`] over a request's one `tracestate` line, without an
    /// iterator over the lines (the usual case, on every request).
    pub(crate) fn from_header_value(value: &HeaderValue) -> Self {
        match scan::canonical(value.as_bytes()) {
            Some(ot) => Self::with_ot(value.clone(), ot),
            None => Self::parse(value.to_str().ok()),
        }
    }

    /// A list from members already checked and joined in canonical form.
    fn from_canonical(text: String) -> Self {
        if text.is_empty() {
            return Self::default();
        }
        let ot = locate(&text, OT_KEY);
        // Checked members are printable ASCII, always a valid header value.
        match HeaderValue::try_from(text) {
            Ok(value) => Self::with_ot(value, ot),
            Err(_) => Self::default(),
        }
    }

    /// A list whose `ot` value, if any, lies at `ot`.
    fn with_ot(value: HeaderValue, ot: Option<Place>) -> Self {
        let sampling = ot
            .and_then(|p| value.as_bytes().get(p.start..p.end))
            .map(ot::Sampling::read)
            .unwrap_or_default();
        Self {
            value: Some(value),
            ot,
            sampling,
        }
    }

    /// The members joined with `,` (the whole list, before any truncation).
    pub fn as_str(&self) -> &str {
        self.value.as_ref().map_or("", |v| {
            std::str::from_utf8(v.as_bytes()).unwrap_or_default()
        })
    }

    /// Each member, `key=value`, in order.
    fn members(&self) -> impl Iterator<Item = &str> {
        text::split(self.as_str(), b',').filter(|m| !m.is_empty())
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members().count()
    }

    /// The header value to propagate: at most [`PROPAGATION_LIMIT`] characters. When the list
    /// is longer, members over 128 characters are removed first (rightmost first), then
    /// members from the right, as the W3C spec orders truncation.
    pub fn to_header_value(&self) -> String {
        let text = self.as_str();
        if text.len() <= PROPAGATION_LIMIT {
            return text.to_owned();
        }
        self.truncated()
    }

    /// [`TraceState::to_header_value`] as a header value, `None` for an empty list. Within
    /// the limit this is the list's own value, shared.
    pub fn header_value(&self) -> Option<HeaderValue> {
        let value = self.value.as_ref()?;
        if value.len() <= PROPAGATION_LIMIT {
            return Some(value.clone());
        }
        HeaderValue::try_from(self.truncated()).ok()
    }

    /// The list cut to [`PROPAGATION_LIMIT`] characters (the W3C truncation order).
    fn truncated(&self) -> String {
        let members: Vec<&str> = self.members().collect();
        let mut keep: Vec<bool> = vec![true; members.len()];
        let mut total = self.as_str().len();
        let large = members
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, m)| m.len() > LARGE_MEMBER);
        let rest = members.iter().enumerate().rev();
        for (i, member) in large.chain(rest) {
            if total <= PROPAGATION_LIMIT {
                break;
            }
            if let Some(slot) = keep.get_mut(i).filter(|k| **k) {
                *slot = false;
                // The member and one comma leave the header.
                total = total.saturating_sub(member.len() + 1);
            }
        }
        let mut out = String::with_capacity(total.min(PROPAGATION_LIMIT));
        for (member, _) in members.iter().zip(&keep).filter(|(_, keep)| **keep) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(member);
        }
        out
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.value.is_none()
    }

    /// The value of member `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        if key == OT_KEY {
            return self.ot();
        }
        let place = locate(self.as_str(), key)?;
        self.as_str().get(place.start..place.end)
    }

    /// The value of the `ot` member, from where it was found when the list was read.
    fn ot(&self) -> Option<&str> {
        std::str::from_utf8(self.ot_bytes()?).ok()
    }

    /// [`TraceState::ot`] as bytes: no UTF-8 check on the request path.
    fn ot_bytes(&self) -> Option<&[u8]> {
        let place = self.ot?;
        self.value.as_ref()?.as_bytes().get(place.start..place.end)
    }

    /// Sub-key `name` of the OpenTelemetry `ot=` member, e.g. `th` or `rv`.
    pub fn ot_value(&self, name: &str) -> Option<&str> {
        std::str::from_utf8(ot::sub_key(self.ot_bytes()?, name.as_bytes())?).ok()
    }

    /// The sampling threshold carried in `ot=th:`, if present and well formed.
    pub fn threshold(&self) -> Option<Threshold> {
        self.sampling.th()
    }

    /// The explicit randomness carried in `ot=rv:`, if present and well formed.
    pub fn randomness(&self) -> Option<Randomness> {
        self.sampling.rv()
    }

    /// A copy with `ot=th` set to `threshold` (or removed when `None`), other `ot` sub-keys
    /// kept, and the `ot` member moved to the front as W3C requires of a modified member.
    /// When that changes nothing (`ot` already first with this `th`), the copy shares this
    /// list's value.
    ///
    /// The new `ot` value stays valid, or the next hop would discard the whole list: when
    /// adding `th` takes it past 256 characters, sub-keys are dropped from the right (`rv`
    /// last, `th` never), and a trailing space (which the next hop reads as white space
    /// around the member) is trimmed.
    pub fn with_threshold(&self, threshold: Option<Threshold>) -> Self {
        // The first member's value starts right after `ot=`; any later member's further on.
        let first_is_ot = self.ot.is_some_and(|p| p.start == OT_KEY.len() + 1);
        let unchanged = match self.ot {
            None => threshold.is_none(),
            Some(_) => first_is_ot && self.sampling.unchanged(threshold),
        };
        if unchanged {
            return self.clone();
        }
        let mut th_buf = hex::Buf::<20>::new();
        let th = threshold.map(|t| {
            th_buf.push(b"th:").push(t.to_th().as_bytes());
            hex::as_str(th_buf.as_bytes())
        });
        let old = self.ot();
        let mut text = String::with_capacity(self.as_str().len() + th.map_or(0, str::len) + 4);
        text.push_str("ot=");
        ot::write_value(&mut text, old, th);
        let mut count = 1;
        if text.len() == OT_KEY.len() + 1 {
            text.clear();
            count = 0;
        }
        let others = self
            .members()
            .filter(|m| text::split_once(m, b'=').is_none_or(|(k, _)| k != OT_KEY));
        for member in others.take(MAX_MEMBERS - count) {
            if !text.is_empty() {
                text.push(',');
            }
            text.push_str(member);
        }
        Self::from_canonical(text)
    }
}

/// Where the value of member `key` lies in the canonical list `text`.
fn locate(text: &str, key: &str) -> Option<Place> {
    let mut start = 0;
    for member in text::split(text, b',') {
        if let Some((k, v)) = text::split_once(member, b'=')
            && k == key
        {
            let value_start = start + k.len() + 1;
            return Some(Place {
                start: value_start,
                end: value_start + v.len(),
            });
        }
        start += member.len() + 1;
    }
    None
}

impl fmt::Display for TraceState {
    /// The header value: members joined with `,`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;

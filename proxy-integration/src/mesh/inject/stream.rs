//! Splits a multi-document YAML stream at its `---` lines, injects each document, and joins
//! them again: a document the injector does not change is copied byte for byte (comments,
//! quoting and all); a changed one is re-serialised.

use serde_yaml_ng::Value;

use super::options::InjectOptions;
use super::workload::{Outcome, WorkloadError, inject_document};

/// Why a stream could not be injected; names the document (1-based) and, for syntax
/// errors, the line in the whole input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InjectError {
    /// A document is not valid YAML.
    #[error("document {document}: invalid YAML at line {line}: {message}")]
    Yaml {
        /// Index of the document in the stream, from 1.
        document: usize,
        /// Line in the whole input, from 1.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A workload document is missing something the injector needs.
    #[error("document {document} (line {line}): {source}")]
    Workload {
        /// Index of the document in the stream, from 1.
        document: usize,
        /// Line where the document starts.
        line: usize,
        /// What is wrong with it.
        source: WorkloadError,
    },
    /// An injected document could not be serialised back (not expected in practice).
    #[error("document {document}: cannot write YAML: {message}")]
    Serialize {
        /// Index of the document in the stream, from 1.
        document: usize,
        /// The serialiser's message.
        message: String,
    },
}

/// One document of the stream as it appeared in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawDocument<'a> {
    /// The `---` line that opens it, newline included; `None` for a leading document.
    marker: Option<&'a str>,
    /// Everything up to the next `---` line.
    body: &'a str,
    /// Line number (from 1) of the body's first line.
    first_line: usize,
}

impl RawDocument<'_> {
    fn text(&self) -> String {
        format!("{}{}", self.marker.unwrap_or(""), self.body)
    }
}

/// YAML 1.2: `---` at the start of a line, followed by a space or the line end, always
/// starts a document (block scalars cannot contain it at column 0).
fn is_marker(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

fn split(input: &str) -> Vec<RawDocument<'_>> {
    let mut documents = Vec::new();
    let mut current = RawDocument {
        marker: None,
        body: "",
        first_line: 1,
    };
    let mut body_start = 0;
    let mut offset = 0;
    for (index, line) in input.split_inclusive('\n').enumerate() {
        if is_marker(line) {
            current.body = &input[body_start..offset];
            documents.push(current);
            current = RawDocument {
                marker: Some(line),
                body: "",
                first_line: index + 1,
            };
            body_start = offset + line.len();
        }
        offset += line.len();
    }
    current.body = &input[body_start..];
    documents.push(current);
    // An input that starts with `---` has nothing before it.
    documents.retain(|d| d.marker.is_some() || !d.body.is_empty());
    documents
}

/// Injects every workload in the YAML stream `input`; everything else passes through.
pub fn inject(input: &str, options: &InjectOptions) -> Result<String, InjectError> {
    let mut output = String::with_capacity(input.len() * 2);
    for (index, raw) in split(input).into_iter().enumerate() {
        let document = index + 1;
        let text = raw.text();
        let mut value: Value =
            serde_yaml_ng::from_str(&text).map_err(|e| yaml_error(document, &raw, &e))?;
        let outcome =
            inject_document(&mut value, options).map_err(|source| InjectError::Workload {
                document,
                line: raw.first_line,
                source,
            })?;
        if outcome != Outcome::Injected {
            output.push_str(&text);
            continue;
        }
        let body = serde_yaml_ng::to_string(&value).map_err(|e| InjectError::Serialize {
            document,
            message: e.to_string(),
        })?;
        if raw.marker.is_some() {
            output.push_str("---\n");
        }
        output.push_str(&body);
    }
    Ok(output)
}

fn yaml_error(document: usize, raw: &RawDocument<'_>, error: &serde_yaml_ng::Error) -> InjectError {
    let full = error.to_string();
    // The parser's location is relative to the document; report it in the whole input.
    let (message, line) = match error.location() {
        Some(location) => (
            without_location(&full),
            raw.first_line + location.line() - 1,
        ),
        None => (full, raw.first_line),
    };
    InjectError::Yaml {
        document,
        line,
        message,
    }
}

/// Removes the parser's own ` at line N column M` parts, which count from the document start.
fn without_location(message: &str) -> String {
    const AT_LINE: &str = " at line ";
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(AT_LINE) {
        out.push_str(&rest[..start]);
        let after = &rest[start + AT_LINE.len()..];
        let mut end = digits(after);
        if let Some(column) = after[end..].strip_prefix(" column ") {
            end += " column ".len() + digits(column);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;

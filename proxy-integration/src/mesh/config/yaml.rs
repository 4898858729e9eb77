//! Helpers to build and print the YAML documents `config` emits.

use serde_yaml_ng::{Mapping, Value};

/// The generated YAML could not be written (not expected: the values are plain data).
#[derive(Debug, thiserror::Error)]
#[error("cannot write YAML: {0}")]
pub struct RenderError(#[from] serde_yaml_ng::Error);

/// A mapping with `entries` in the given order.
pub fn map<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut mapping = Mapping::new();
    for (key, value) in entries {
        mapping.insert(Value::from(key), value);
    }
    Value::Mapping(mapping)
}

/// A string value.
pub fn s(text: &str) -> Value {
    Value::from(text)
}

/// One YAML document: `comment` lines (each prefixed `# `), then `value`.
pub fn document(comment: &[&str], value: &Value) -> Result<String, RenderError> {
    let mut out = String::from("---\n");
    for line in comment {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&serde_yaml_ng::to_string(value)?);
    Ok(out)
}

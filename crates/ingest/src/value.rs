//! Typed attribute values and field descriptions.

use compact_str::CompactString;
use std::fmt;

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (JSON null, a blank DBF field).
    Null,
    /// Text (stored inline up to 24 bytes: codes, names and ids rarely need the heap).
    Text(CompactString),
    /// A number (integers included).
    Number(f64),
    /// A boolean.
    Bool(bool),
}

impl Value {
    /// The value as text: text as it is, numbers without a trailing `.0`.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Text(t) => Some(t.to_string()),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Some(format!("{}", *n as i64))
            }
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
        }
    }

    /// [`Value::as_text`] as inline text (no heap for text of up to 24 bytes).
    pub fn as_compact(&self) -> Option<CompactString> {
        match self {
            Value::Text(t) => Some(t.clone()),
            other => other.as_text().map(CompactString::from),
        }
    }

    /// [`Value::as_text`] without copying text values: borrowed for text, owned for the
    /// numbers and booleans written as text.
    pub fn as_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Value::Text(t) => Some(std::borrow::Cow::Borrowed(t.as_str())),
            other => other.as_text().map(std::borrow::Cow::Owned),
        }
    }

    /// The value as a number: numbers, and text that parses as one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    /// The type of this value.
    pub fn field_type(&self) -> FieldType {
        match self {
            Value::Null => FieldType::Null,
            Value::Text(_) => FieldType::Text,
            Value::Number(_) => FieldType::Number,
            Value::Bool(_) => FieldType::Bool,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_text() {
            Some(t) => f.write_str(&t),
            None => f.write_str("null"),
        }
    }
}

/// The type of a field, over all its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Only nulls seen.
    Null,
    /// Text.
    Text,
    /// Numbers.
    Number,
    /// Booleans.
    Bool,
    /// More than one type.
    Mixed,
}

impl FieldType {
    /// The type after also seeing `other`.
    pub fn merge(self, other: FieldType) -> FieldType {
        match (self, other) {
            (a, FieldType::Null) => a,
            (FieldType::Null, b) => b,
            (a, b) if a == b => a,
            _ => FieldType::Mixed,
        }
    }

    /// A lowercase name: `text`, `number`, `bool`, `null`, `mixed`.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Null => "null",
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Bool => "bool",
            FieldType::Mixed => "mixed",
        }
    }
}

/// A field of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Its name as in the file.
    pub name: String,
    /// Its type.
    pub field_type: FieldType,
}

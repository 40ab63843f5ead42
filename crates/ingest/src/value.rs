//! Typed attribute values and field descriptions.

use compact_str::CompactString;
use std::borrow::Cow;
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
    /// The value borrowed: what a row of an attribute table gives ([`crate::Row::get`]).
    #[inline]
    pub fn view(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Text(t) => ValueRef::Text(t.as_str()),
            Value::Number(n) => ValueRef::Number(*n),
            Value::Bool(b) => ValueRef::Bool(*b),
        }
    }

    /// The value as text: text as it is, numbers without a trailing `.0`.
    pub fn as_text(&self) -> Option<String> {
        self.view().as_text()
    }

    /// [`Value::as_text`] as inline text (no heap for text of up to 24 bytes).
    pub fn as_compact(&self) -> Option<CompactString> {
        match self {
            Value::Text(t) => Some(t.clone()),
            other => other.view().as_compact(),
        }
    }

    /// [`Value::as_text`] without copying text values: borrowed for text, owned for the
    /// numbers and booleans written as text.
    pub fn as_str(&self) -> Option<Cow<'_, str>> {
        self.view().as_str()
    }

    /// The value as a number: numbers, and text that parses as one.
    pub fn as_number(&self) -> Option<f64> {
        self.view().as_number()
    }

    /// The type of this value.
    pub fn field_type(&self) -> FieldType {
        self.view().field_type()
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// One attribute value, borrowed from where it is kept: text is not copied, numbers are
/// stored as plain `f64`s by the attribute table and given by value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// No value (JSON null, a blank DBF field).
    Null,
    /// Text.
    Text(&'a str),
    /// A number (integers included).
    Number(f64),
    /// A boolean.
    Bool(bool),
}

impl<'a> ValueRef<'a> {
    /// The value as text: text as it is, numbers without a trailing `.0`.
    pub fn as_text(self) -> Option<String> {
        self.as_str().map(Cow::into_owned)
    }

    /// [`ValueRef::as_text`] as inline text (no heap for text of up to 24 bytes).
    pub fn as_compact(self) -> Option<CompactString> {
        self.as_str().map(|t| CompactString::from(t.as_ref()))
    }

    /// [`ValueRef::as_text`] without copying text: borrowed for text, owned for the numbers
    /// and booleans written as text.
    #[inline]
    pub fn as_str(self) -> Option<Cow<'a, str>> {
        match self {
            ValueRef::Null => None,
            ValueRef::Text(t) => Some(Cow::Borrowed(t)),
            ValueRef::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Some(Cow::Owned(format!("{}", n as i64)))
            }
            ValueRef::Number(n) => Some(Cow::Owned(n.to_string())),
            ValueRef::Bool(b) => Some(Cow::Owned(b.to_string())),
        }
    }

    /// The value as a number: numbers, and text that parses as one.
    #[inline]
    pub fn as_number(self) -> Option<f64> {
        match self {
            ValueRef::Number(n) => Some(n),
            ValueRef::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    /// The type of this value.
    pub fn field_type(self) -> FieldType {
        match self {
            ValueRef::Null => FieldType::Null,
            ValueRef::Text(_) => FieldType::Text,
            ValueRef::Number(_) => FieldType::Number,
            ValueRef::Bool(_) => FieldType::Bool,
        }
    }

    /// True for [`ValueRef::Null`].
    #[inline]
    pub fn is_null(self) -> bool {
        self == ValueRef::Null
    }

    /// The value owned.
    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Text(t) => Value::Text(t.into()),
            ValueRef::Number(n) => Value::Number(n),
            ValueRef::Bool(b) => Value::Bool(b),
        }
    }
}

impl fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
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

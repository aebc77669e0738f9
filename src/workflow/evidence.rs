//! What a warning's evidence is kept as: its JSON text, compact.
//!
//! Every open and closed warning is held in memory, and evidence as a `serde_json::Value`
//! costs a tree of allocations (an object of one field allocates a whole B-tree node, about
//! 640 bytes) where its text costs its length. Screens only ever send it on, so it is kept
//! as text and written out as the JSON it is.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A warning's evidence as compact JSON text (`null` when there is none), written out as it
/// is, without parsing or copying it again.
#[derive(Clone)]
pub struct Evidence(Box<RawValue>);

impl Evidence {
    pub fn from_value(value: &serde_json::Value) -> Evidence {
        let raw = serde_json::value::to_raw_value(value).unwrap_or_else(|_| null());
        Evidence(raw)
    }

    /// The evidence as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.as_json()).unwrap_or(serde_json::Value::Null)
    }

    pub fn as_json(&self) -> &str {
        self.0.get()
    }
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("null is JSON")
}

impl Default for Evidence {
    fn default() -> Evidence {
        Evidence(null())
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Evidence) -> bool {
        self.as_json() == other.as_json()
    }
}

impl Eq for Evidence {}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_json())
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Evidence, D::Error> {
        // Read as a value and written compact, so that equal evidence has equal text
        // whichever way it was spaced.
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Evidence::from_value(&value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evidence_reads_back_as_the_value_it_was_made_from() {
        let value = json!({"plate": "豫B00001", "days": [1, 2], "nested": {"a": null}});
        let evidence = Evidence::from_value(&value);
        assert_eq!(evidence.to_value(), value);
        let written = serde_json::to_string(&evidence).unwrap();
        let read: Evidence = serde_json::from_str(&written).unwrap();
        assert_eq!(read, evidence);
        assert_eq!(serde_json::to_value(&evidence).unwrap(), value);
        let spaced: Evidence = serde_json::from_str(
            r#"{ "days": [1, 2], "nested": {"a": null}, "plate": "豫B00001" }"#,
        )
        .unwrap();
        assert_eq!(spaced, evidence);
    }

    #[test]
    fn no_evidence_is_null() {
        assert_eq!(Evidence::default().to_value(), serde_json::Value::Null);
        assert_eq!(serde_json::to_string(&Evidence::default()).unwrap(), "null");
    }
}

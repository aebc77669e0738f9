//! The fingerprint of a request, which an idempotency key is bound to.

/// A request as canonical JSON text: object keys sorted at every level, no whitespace.
/// Its hash is the idempotency fingerprint, so it must not depend on field order, on
/// whether serde_json keeps insertion order (a feature another crate may switch on) or on
/// a `Debug` format that may change between releases: a tablet that retries days later,
/// after an upgrade, must still be recognised.
pub fn canonical_json(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|key| {
                    format!(
                        "{}:{}",
                        Value::String(key.clone()),
                        canonical_json(&map[key])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::Command;
    use serde_json::json;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_text() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b": [1, {"y": 2, "x": "清"}], "a": null}"#).unwrap();
        let b = json!({"a": null, "b": [1, {"x": "清", "y": 2}]});
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":null,"b":[1,{"x":"清","y":2}]}"#);
    }

    #[test]
    fn a_command_is_fingerprinted_by_its_wire_form() {
        let command = Command::ExtendDeadline {
            reason: "等材料".into(),
            days: 5,
        };
        let request = json!({"id": "w1", "command": command});
        assert_eq!(
            canonical_json(&request),
            r#"{"command":{"days":5,"reason":"等材料","type":"extend_deadline"},"id":"w1"}"#
        );
    }
}

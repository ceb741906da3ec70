//! One byte form for one subgraph request, so that Hive Router's in-flight dedupe can see that two
//! requests are the same.
//!
//! Hive Router dedupes a subgraph query by a hash of its method, URL, headers and body bytes, and
//! writes the body's variables by iterating a `HashMap`: two requests with the same two or more
//! variables get them in a different order about half the time, so they never share a call. Every
//! REST route sends its parameters as variables, so under load the REST feed sent the video
//! subgraph about five times as many calls per answer as the same query written with literals
//! (`docs/profiling.md`, step 6). [`canonical`] rewrites the variables in name order; a body it
//! cannot read, or with fewer than two variables, is left as it is.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

/// The body with its variables in name order, or `None` when it is already canonical (at most one
/// variable) or not a JSON object this can read (then it goes out unchanged).
pub fn canonical(body: &[u8]) -> Option<Vec<u8>> {
    let mut top: BTreeMap<&str, &RawValue> = serde_json::from_slice(body).ok()?;
    let variables: BTreeMap<&str, &RawValue> =
        serde_json::from_str(top.get("variables")?.get()).ok()?;
    if variables.len() < 2 {
        return None;
    }
    let sorted = serde_json::value::to_raw_value(&variables).ok()?;
    top.insert("variables", &sorted);
    serde_json::to_vec(&top).ok()
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn the_same_variables_in_any_order_give_the_same_bytes() {
        let a = br#"{"query":"query($a:Int,$b:Int){f(a:$a,b:$b)}","variables":{"b":{"y":1,"x":[2]},"a":null}}"#;
        let b = br#"{"query":"query($a:Int,$b:Int){f(a:$a,b:$b)}","variables":{"a":null,"b":{"y":1,"x":[2]}}}"#;
        let (a, b) = (canonical(a).unwrap(), canonical(b).unwrap());
        assert_eq!(a, b);
        // Values are kept byte for byte (an input object's own order included).
        let text = String::from_utf8(a).unwrap();
        assert!(
            text.contains(r#""variables":{"a":null,"b":{"y":1,"x":[2]}}"#),
            "{text}"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["query"], "query($a:Int,$b:Int){f(a:$a,b:$b)}");
    }

    #[test]
    fn other_fields_survive_and_what_cannot_be_read_is_left_alone() {
        let body = br#"{"query":"q","variables":{"z":"\u00e9","a":1},"operationName":"Op","extensions":{"k":true}}"#;
        let out: serde_json::Value = serde_json::from_slice(&canonical(body).unwrap()).unwrap();
        assert_eq!(
            out,
            serde_json::json!({"query": "q", "variables": {"a": 1, "z": "é"},
                "operationName": "Op", "extensions": {"k": true}})
        );
        assert_eq!(canonical(br#"{"query":"q","variables":{"a":1}}"#), None);
        assert_eq!(canonical(br#"{"query":"q"}"#), None);
        assert_eq!(canonical(b"not json"), None);
        assert_eq!(canonical(br#"{"query":"q","variables":[1,2]}"#), None);
    }
}

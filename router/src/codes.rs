//! clipfed's numeric error codes across Hive Router. The subgraphs put the code in
//! `extensions.code` as a number (the contract: "the same numeric code in `extensions.code`"), but
//! Hive Router 0.2 reads a subgraph error's `extensions.code` as a string and refuses the whole
//! subgraph answer otherwise (`SUBREQUEST_MALFORMED_RESPONSE`). So the plugin turns the number into
//! its decimal string on the way in ([`codes_to_strings`], on the subgraph response) and back into
//! the number on the way out ([`code_to_number`], on every error the router is about to send).
//! Hive's own codes (`GRAPHQL_VALIDATION_FAILED`, ...) are strings and stay so.

use hive_router::GraphQLError;
use serde_json::Value;

/// A subgraph response body with every numeric `errors[].extensions.code` written as a string;
/// `None` when nothing needs changing (the usual case: no errors, or no numeric code).
pub fn codes_to_strings(body: &[u8]) -> Option<Vec<u8>> {
    // Cheap test first: a body without errors is passed on untouched, unparsed.
    if !contains(body, b"\"errors\"") {
        return None;
    }
    let mut answer: Value = serde_json::from_slice(body).ok()?;
    let mut changed = false;
    for error in answer.get_mut("errors")?.as_array_mut()? {
        let Some(code) = error.pointer_mut("/extensions/code") else {
            continue;
        };
        if let Value::Number(n) = code {
            *code = Value::String(n.to_string());
            changed = true;
        }
    }
    changed.then(|| serde_json::to_vec(&answer).unwrap_or_else(|_| body.to_vec()))
}

/// Hive Router's codes for a subgraph it could not get an answer from (no connection, a timeout,
/// a broken answer, its own per-subgraph breaker refusing): to a client, clipfed's UNAVAILABLE.
const HIVE_UNAVAILABLE: &[&str] = &[
    "SUBREQUEST_HTTP_ERROR",
    "SUBGRAPH_RESPONSE_FAILURE",
    "SUBGRAPH_REQUEST_TIMEOUT",
    "SUBGRAPH_RESPONSE_BODY_READ_FAILURE",
    "SUBGRAPH_RESPONSE_BODY_EMPTY",
    "SUBGRAPH_CIRCUIT_BREAKER_REJECTED",
];

/// Restores a clipfed code that [`codes_to_strings`] wrote as a string into a number, and turns
/// Hive's unreachable-subgraph codes into UNAVAILABLE.
pub fn code_to_number(error: &mut GraphQLError) {
    let known = error
        .extensions
        .code
        .as_deref()
        .and_then(|c| {
            if HIVE_UNAVAILABLE.contains(&c) {
                Some(kit::ErrorCode::Unavailable.code())
            } else {
                c.parse::<i32>().ok()
            }
        })
        .filter(|n| kit::ErrorCode::from_code(*n).is_some());
    if let Some(n) = known {
        // `code` is skipped when `None`, and the flattened map then writes `"code": n`.
        error.extensions.code = None;
        error
            .extensions
            .extensions
            .insert("code".to_owned(), hive_router::sonic_rs::json!(n));
    }
}

/// A request refused by the plugin before planning, as a GraphQL answer with the clipfed code.
/// HTTP 400 when the client asked for `application/graphql-response+json` first, else 200 (the
/// GraphQL-over-HTTP rules Hive Router follows for its own request errors).
pub fn refusal(err: &kit::AppError, accept: &str) -> hive_router::PlanExecutionOutput {
    use hive_router::plugins::plugin_trait::FromGraphQLErrorsToResponse;
    let mut error =
        GraphQLError::from_message_and_code(err.message(), err.code().code().to_string());
    code_to_number(&mut error);
    error.extensions.extensions.insert(
        "name".to_owned(),
        hive_router::sonic_rs::json!(err.code().name()),
    );
    let graphql_first = match (
        accept.find("application/graphql-response+json"),
        accept.find("application/json"),
    ) {
        (Some(g), Some(j)) => g < j,
        (Some(_), None) => true,
        _ => false,
    };
    let status = if graphql_first {
        http::StatusCode::BAD_REQUEST
    } else {
        http::StatusCode::OK
    };
    hive_router::PlanExecutionOutput::from_graphql_errors_to_response(vec![error], status)
}

/// [`refusal`] as the HTTP response of a hook that ends the request itself.
pub fn refusal_response(err: &kit::AppError, accept: &str) -> hive_router::ntex::http::Response {
    let out = refusal(err, accept);
    let status = hive_router::ntex::http::StatusCode::from_u16(out.status_code.as_u16())
        .unwrap_or(hive_router::ntex::http::StatusCode::BAD_REQUEST);
    let content_type = if out.status_code == http::StatusCode::OK {
        "application/json"
    } else {
        "application/graphql-response+json"
    };
    hive_router::ntex::http::Response::build(status)
        .content_type(content_type)
        .body(out.body)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_codes_cross_as_strings_and_come_back_as_numbers() {
        let body = json!({"data": null, "errors": [
            {"message": "no", "extensions": {"code": 10003, "name": "UNAUTHENTICATED"}},
            {"message": "plain"},
            {"message": "hive's", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}},
        ]});
        let fixed = codes_to_strings(body.to_string().as_bytes()).expect("changed");
        let fixed: Value = serde_json::from_slice(&fixed).unwrap();
        assert_eq!(fixed["errors"][0]["extensions"]["code"], "10003");
        assert_eq!(fixed["errors"][0]["extensions"]["name"], "UNAUTHENTICATED");
        assert_eq!(fixed["errors"][1], json!({"message": "plain"}));
        assert_eq!(
            fixed["errors"][2]["extensions"]["code"],
            "GRAPHQL_VALIDATION_FAILED"
        );

        let mut error: GraphQLError =
            hive_router::sonic_rs::from_str(&fixed["errors"][0].to_string()).unwrap();
        code_to_number(&mut error);
        let out: Value =
            serde_json::from_str(&hive_router::sonic_rs::to_string(&error).unwrap()).unwrap();
        assert_eq!(out["extensions"]["code"], 10003);
        assert_eq!(out["extensions"]["name"], "UNAUTHENTICATED");

        let mut hive: GraphQLError =
            hive_router::sonic_rs::from_str(&fixed["errors"][2].to_string()).unwrap();
        code_to_number(&mut hive);
        assert_eq!(
            hive.extensions.code.as_deref(),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
    }

    #[test]
    fn bodies_without_numeric_codes_are_left_alone() {
        assert_eq!(codes_to_strings(br#"{"data":{"a":1}}"#), None);
        assert_eq!(
            codes_to_strings(br#"{"errors":[{"message":"x","extensions":{"code":"X"}}]}"#),
            None
        );
        assert_eq!(codes_to_strings(b"not json \"errors\""), None);
    }
}

//! The west2 REST contract's value formats, shared by every place that answers in it (the upload
//! service's and the search service's form endpoints, the router's REST facade).

use chrono::{DateTime, Datelike, Timelike};

/// China Standard Time, the contract's zone for times.
const UTC_PLUS_8: chrono::TimeDelta = chrono::TimeDelta::hours(8);

/// An RFC 3339 time (GraphQL `DateTime`) as the contract writes it: `YYYY-MM-DD HH:MM:SS` in
/// UTC+8. Absent or unparsable times (`deleted_at` of a live record) are `""`.
pub fn time(rfc3339: Option<&str>) -> String {
    rfc3339
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| utc_time(t.naive_utc()))
        .unwrap_or_default()
}

/// A stored UTC time as the contract writes it (see [`time`]). Written field by field: chrono's
/// `format` parses its pattern on every call, and the REST facade writes three times per video.
pub fn utc_time(t: chrono::NaiveDateTime) -> String {
    let t = t.checked_add_signed(UTC_PLUS_8).unwrap_or(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A failure as the contract answers it: the envelope with HTTP 200, except 413 where the request
/// was too large (HTTP itself failed).
#[cfg(feature = "server")]
pub fn failure(err: &crate::AppError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = if err.code() == crate::ErrorCode::PayloadTooLarge {
        http::StatusCode::PAYLOAD_TOO_LARGE
    } else {
        http::StatusCode::OK
    };
    (status, axum::Json(err.envelope())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_utc_plus_8_and_absent_ones_empty() {
        assert_eq!(time(Some("1970-01-01T00:00:00Z")), "1970-01-01 08:00:00");
        assert_eq!(
            time(Some("2024-02-29T20:30:05.123+00:00")),
            "2024-03-01 04:30:05"
        );
        assert_eq!(time(None), "");
        assert_eq!(time(Some("yesterday")), "");
        assert_eq!(time(Some("0999-12-31T16:00:00Z")), "1000-01-01 00:00:00");
        assert_eq!(
            time(Some("2023-12-31T20:00:00-04:00")),
            "2024-01-01 08:00:00"
        );
    }
}

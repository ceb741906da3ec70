//! Response media-type negotiation from the `Accept` header.

/// The media type of a GraphQL response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// `application/graphql-response+json`: request errors get a 4xx status.
    GraphQlResponse,
    /// `application/json`: every well-formed HTTP exchange is a 200 (legacy clients).
    Json,
}

impl ResponseType {
    /// The `Content-Type` value to answer with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphQlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response type; `None` when the client accepts neither JSON type (answer 406).
///
/// No `Accept` header means `application/json` (the spec's legacy default); `*/*` and
/// `application/*` also get `application/json`, the type every client understands.
pub fn negotiate(headers: &http::HeaderMap) -> Option<ResponseType> {
    let values: Vec<&str> = headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return Some(ResponseType::Json);
    }
    let mut best: Option<(f32, ResponseType)> = None;
    for range in values.iter().flat_map(|v| v.split(',')) {
        let mut pieces = range.split(';').map(str::trim);
        let mime = pieces.next().unwrap_or_default().to_ascii_lowercase();
        let q = pieces
            .filter_map(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        let candidate = match mime.as_str() {
            "application/graphql-response+json" => ResponseType::GraphQlResponse,
            "application/json" | "application/*" | "*/*" => ResponseType::Json,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, candidate));
        }
    }
    best.map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::ACCEPT, v.parse().unwrap());
        h
    }

    #[test]
    fn missing_accept_means_json() {
        assert_eq!(negotiate(&http::HeaderMap::new()), Some(ResponseType::Json));
    }

    #[test]
    fn explicit_types_are_honoured() {
        assert_eq!(
            negotiate(&accept("application/json")),
            Some(ResponseType::Json)
        );
        assert_eq!(
            negotiate(&accept("application/graphql-response+json")),
            Some(ResponseType::GraphQlResponse)
        );
        assert_eq!(negotiate(&accept("*/*")), Some(ResponseType::Json));
    }

    #[test]
    fn first_of_equal_quality_wins_and_higher_quality_beats_order() {
        let both = "application/graphql-response+json, application/json;q=0.9";
        assert_eq!(
            negotiate(&accept(both)),
            Some(ResponseType::GraphQlResponse)
        );
        let reordered = "application/json;q=0.5, application/graphql-response+json";
        assert_eq!(
            negotiate(&accept(reordered)),
            Some(ResponseType::GraphQlResponse)
        );
    }

    #[test]
    fn unacceptable_types_give_none() {
        assert_eq!(negotiate(&accept("text/html")), None);
        assert_eq!(negotiate(&accept("application/json;q=0")), None);
    }
}

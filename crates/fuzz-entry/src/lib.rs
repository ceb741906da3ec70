//! One entry point per parser that reads client bytes. The cargo-fuzz targets in `fuzz/` are
//! these functions (open-ended runs: `fuzz/run.sh`), and `tests/corpora.rs` runs every saved
//! input in `fuzz/corpus/<target>/` through the same function in the normal test command, so a
//! crash found once stays fixed. An entry point must never panic, whatever the bytes; what each
//! parser answers is its own tests' business.

use std::net::{IpAddr, Ipv4Addr};

use hive_router::graphql_tools::parser::parse_query;
use hive_router::graphql_tools::parser::query::{self as parsed, Definition, Selection};
use hive_router::query_planner::ast::operation::OperationDefinition;

/// A target's entry point.
pub type Entry = fn(&[u8]);

/// Every target, by the name of its corpus folder.
pub const TARGETS: &[(&str, Entry)] = &[
    ("tus_metadata", tus_metadata),
    ("upload_sniff", upload_sniff),
    ("rest_input", rest_input),
    ("caller_header", caller_header),
    ("graphql_limits", graphql_limits),
    ("search_keywords", search_keywords),
    ("image_decode", image_decode),
    ("chat_frame", chat_frame),
    ("forwarded_for", forwarded_for),
];

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// `Upload-Metadata`, then the metadata rules, and `Upload-Checksum` (the tus headers' parsers).
pub fn tus_metadata(data: &[u8]) {
    let header = text(data);
    if let Ok(meta) = upload::domain::metadata::parse(Some(&header)) {
        let _ = upload::domain::metadata::describe(&meta);
    }
    let _ = upload::domain::checksum::Expected::parse(&header);
}

/// Content sniffing of an upload's first bytes, for every kind.
pub fn upload_sniff(data: &[u8]) {
    use upload::domain::kind::{Kind, sniff};
    for kind in [Kind::Video, Kind::Avatar, Kind::Partial] {
        let _ = sniff(kind, data);
    }
}

/// A REST request's parameters: `query \0 content type \0 body`, read as the router reads them,
/// then mapped into every route's GraphQL variables.
pub fn rest_input(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == 0);
    let query = parts.next().unwrap_or_default();
    let content_type = text(parts.next().unwrap_or_default()).into_owned();
    let body = bytes::Bytes::copy_from_slice(parts.next().unwrap_or_default());
    let mut params = router::rest::input::Params::default();
    if params.add_query(query).is_err() {
        return;
    }
    if futures::executor::block_on(params.add_body(&content_type, body)).is_err() {
        return;
    }
    let viewer = router::auth::Viewer::User {
        id: 1,
        sid: 1,
        renewed: None,
    };
    for route in router::rest::table::ROUTES {
        let _ = router::rest::operation(route, &params, |_| None, &viewer);
    }
}

/// The signed internal headers and the user tokens, as every service and the router check them.
pub fn caller_header(data: &[u8]) {
    use kit::keys::{DEV_ROUTER_PUBLIC, DEV_TOKEN_PUBLIC, DEV_UPLOAD_PUBLIC};
    let value = text(data);
    let trusted = [("router", DEV_ROUTER_PUBLIC), ("upload", DEV_UPLOAD_PUBLIC)]
        .map(|(name, key)| (name.to_owned(), key.to_owned()));
    if let Ok(callers) = kit::caller::CallerVerifier::new(&trusted.into_iter().collect()) {
        let _ = callers.verify(&value);
        let _ = callers.verify_client(&value);
    }
    if let Ok(tokens) = kit::token::TokenVerifier::new("jwt", DEV_TOKEN_PUBLIC) {
        let _ = tokens.verify(&value, kit::token::Kind::Access);
        let _ = tokens.verify(&value, kit::token::Kind::Refresh);
    }
}

/// A GraphQL document through the router's own checks: cost, once-per-request fields,
/// introspection. The checks run on Hive Router's normalised operation, in which every inline
/// fragment names its type (its conversion from the parser's tree panics otherwise: found by this
/// target, the first 11 s of its 10-minute run); documents not in that form are not what the
/// plugin is ever given, so they are skipped.
pub fn graphql_limits(data: &[u8]) {
    let query = text(data);
    let Ok(document) = parse_query::<String>(&query) else {
        return;
    };
    let document = document.into_static();
    let _ = router::introspection::asks_for_schema(&document);
    for definition in document.definitions {
        if let Definition::Operation(op) = definition {
            if !typed_fragments(operation_selections(&op)) {
                continue;
            }
            let op: OperationDefinition = op.into();
            let _ = router::limits::check(&op, &router::limits::VariableSizes::default(), 20_000);
            let _ = router::limits::root_fields(&op);
        }
    }
}

fn operation_selections<'a>(
    op: &'a parsed::OperationDefinition<'static, String>,
) -> &'a parsed::SelectionSet<'static, String> {
    match op {
        parsed::OperationDefinition::SelectionSet(set) => set,
        parsed::OperationDefinition::Query(q) => &q.selection_set,
        parsed::OperationDefinition::Mutation(m) => &m.selection_set,
        parsed::OperationDefinition::Subscription(s) => &s.selection_set,
    }
}

/// Whether every inline fragment under `set` names its type (as after normalisation).
fn typed_fragments(set: &parsed::SelectionSet<'static, String>) -> bool {
    set.items.iter().all(|item| match item {
        Selection::Field(field) => typed_fragments(&field.selection_set),
        Selection::InlineFragment(inline) => {
            inline.type_condition.is_some() && typed_fragments(&inline.selection_set)
        }
        Selection::FragmentSpread(_) => true,
    })
}

/// Search keywords (Chinese and English) and the indexing of titles.
pub fn search_keywords(data: &[u8]) {
    let keywords = text(data);
    let _ = search::domain::tokens::Query::parse(&keywords);
    let _ = search::domain::tokens::index_terms(&keywords);
}

/// An image query: the format check, then decoding under the size limits (decompression bombs).
pub fn image_decode(data: &[u8]) {
    if search::adapters::embed::check(data, 10 << 20).is_ok() {
        let _ = search::adapters::embed::onnx::preprocess(data);
    }
}

/// A chat WebSocket text frame.
pub fn chat_frame(data: &[u8]) {
    let _ = social::chat::protocol::parse(&text(data));
}

/// `X-Forwarded-For` values behind a trusted proxy (one value a line).
pub fn forwarded_for(data: &[u8]) {
    let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let values = text(data);
    let _ = router::client::address(Some(proxy), values.lines(), &[proxy]);
}

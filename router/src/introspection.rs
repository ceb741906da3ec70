//! Production mode closes what helps someone map the API: introspection (`__schema`, `__type`)
//! is refused with `FORBIDDEN` (10005), and the GraphQL IDE page is not served. Development keeps
//! both (the graphql-http audit and the IDE need them). `__typename` stays: clients rely on it.

use hive_router::graphql_tools::static_graphql::query::{
    Definition, Document, OperationDefinition, Selection, SelectionSet,
};

/// Whether any operation or fragment selects `__schema` or `__type` at its top level (where
/// they are valid), looking through inline fragments.
pub fn asks_for_schema(document: &Document) -> bool {
    document
        .definitions
        .iter()
        .any(|definition| match definition {
            Definition::Operation(op) => top_level(match op {
                OperationDefinition::SelectionSet(set) => set,
                OperationDefinition::Query(q) => &q.selection_set,
                OperationDefinition::Mutation(m) => &m.selection_set,
                OperationDefinition::Subscription(s) => &s.selection_set,
            }),
            Definition::Fragment(fragment) => top_level(&fragment.selection_set),
        })
}

fn top_level(set: &SelectionSet) -> bool {
    set.items.iter().any(|item| match item {
        Selection::Field(field) => matches!(field.name.as_str(), "__schema" | "__type"),
        Selection::InlineFragment(fragment) => top_level(&fragment.selection_set),
        Selection::FragmentSpread(_) => false,
    })
}

/// Whether a request to the router's own paths asks for the IDE page (a browser's GET of HTML).
pub fn wants_ide(method: &str, accept: &str) -> bool {
    method == "GET" && accept.contains("text/html")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hive_router::graphql_tools::parser::parse_query;

    fn asks(query: &str) -> bool {
        asks_for_schema(&parse_query::<String>(query).unwrap().into_static())
    }

    #[test]
    fn schema_and_type_are_found_anywhere_they_are_valid() {
        assert!(asks("{ __schema { types { name } } }"));
        assert!(asks("query Q { __type(name: \"User\") { name } }"));
        assert!(asks(
            "{ ...F } fragment F on Query { __schema { queryType { name } } }"
        ));
        assert!(asks("{ ... on Query { __schema { queryType { name } } } }"));
        assert!(!asks("{ __typename feed { items { __typename id } } }"));
        assert!(!asks(
            "mutation { login(username: \"a\", password: \"b\") { accessToken } }"
        ));
    }
}

//! Operation limits Hive Router's own (depth, aliases) do not cover, checked in the analysis stage:
//! after normalisation (fragments are inlined, aliases kept apart) and before planning, so no
//! subgraph ever sees a refused operation.
//!
//! - **Cost**: every selected field costs 1, and a field's selections cost as many times as the
//!   list it returns can hold: `pageSize` (absent, null or 0: the services' default of 10), `limit`
//!   (image search), or the length of `ids`; a page (a field selecting `items`) or image search
//!   without a size counts the default 10. Page sizes nested in page sizes multiply, so
//!   `feed(pageSize: 100) { items { comments(pageSize: 100) { ... } } }` costs over 10,000.
//! - **Once per request**: fields that each cost a password hash or a CNN run may appear once per
//!   operation, however they are aliased.
//!
//! Both refusals are `INVALID_PARAMETER` (10002). `docs/security.md` lists the values. The
//! variables are gone from the request by the analysis stage (Hive Router has coerced them), so
//! [`VariableSizes`] keeps what the cost needs of them, taken when the request's parameters are read.

use std::collections::HashMap;

use hive_router::query_planner::ast::operation::OperationDefinition;
use hive_router::query_planner::ast::selection_item::SelectionItem;
use hive_router::query_planner::ast::selection_set::{FieldSelection, SelectionSet};
use hive_router::query_planner::ast::value::Value;
use hive_router::sonic_rs::{self, JsonContainerTrait, JsonValueTrait};
use kit::{AppError, ErrorCode};

/// Fields that may appear at most once in one operation.
pub const ONCE_PER_REQUEST: &[&str] = &[
    "searchImages",
    "login",
    "register",
    "changePassword",
    "bindMfa",
    "refreshTokens",
];

/// The list size assumed when a list argument is absent: the services' default page size.
const DEFAULT_LIST_SIZE: u64 = 10;

/// Each variable's size: the integer it holds, or the length of the list it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariableSizes(HashMap<String, i64>);

impl VariableSizes {
    /// The sizes of a request's variables (null counts 0; strings and objects have none).
    pub fn of(variables: &HashMap<String, sonic_rs::Value>) -> Self {
        Self(
            variables
                .iter()
                .filter_map(|(name, value)| {
                    // An explicit null overrides the variable's default: the services' default.
                    let size = value
                        .as_i64()
                        .or_else(|| value.as_array().map(|a| a.len() as i64))
                        .or_else(|| value.is_null().then_some(0))?;
                    Some((name.clone(), size))
                })
                .collect(),
        )
    }
}

/// A page of this schema (`VideoPage`, `CommentPage`, `UserList`, ...): a field selecting `items`.
fn is_page(field: &FieldSelection) -> bool {
    field
        .selections
        .items
        .iter()
        .any(|item| matches!(item, SelectionItem::Field(f) if f.name == "items"))
}

/// Checks `operation` against `max_cost` and [`ONCE_PER_REQUEST`].
pub fn check(
    operation: &OperationDefinition,
    variables: &VariableSizes,
    max_cost: u64,
) -> Result<(), AppError> {
    let mut walk = Walk {
        variables,
        defaults: operation
            .variable_definitions
            .iter()
            .flatten()
            .filter_map(|d| Some((d.name.as_str(), d.default_value.as_ref()?)))
            .collect(),
        seen: HashMap::new(),
    };
    let cost = walk.cost(&operation.selection_set);
    if let Some((name, _)) = walk.seen.iter().find(|(_, n)| **n > 1) {
        return Err(AppError::with_message(
            ErrorCode::InvalidParameter,
            format!("`{name}` may appear once per request"),
        ));
    }
    if cost > max_cost {
        return Err(AppError::with_message(
            ErrorCode::InvalidParameter,
            format!(
                "the operation costs {cost}, more than the limit of {max_cost}: ask for smaller pages or fewer nested lists"
            ),
        ));
    }
    Ok(())
}

/// The names of the operation's root fields, one per selection (aliases count apart).
pub fn root_fields(operation: &OperationDefinition) -> Vec<&str> {
    fn collect<'a>(set: &'a SelectionSet, out: &mut Vec<&'a str>) {
        for item in &set.items {
            match item {
                SelectionItem::Field(field) => out.push(field.name.as_str()),
                SelectionItem::InlineFragment(fragment) => collect(&fragment.selections, out),
                SelectionItem::FragmentSpread(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    collect(&operation.selection_set, &mut out);
    out
}

struct Walk<'a> {
    variables: &'a VariableSizes,
    defaults: HashMap<&'a str, &'a Value>,
    seen: HashMap<&'a str, u32>,
}

impl<'a> Walk<'a> {
    fn cost(&mut self, set: &'a SelectionSet) -> u64 {
        set.items.iter().fold(0u64, |total, item| {
            let cost = match item {
                SelectionItem::Field(field) => self.field(field),
                SelectionItem::InlineFragment(fragment) => self.cost(&fragment.selections),
                // Normalisation inlines every fragment; nothing is left to count.
                SelectionItem::FragmentSpread(_) => 0,
            };
            total.saturating_add(cost)
        })
    }

    fn field(&mut self, field: &'a FieldSelection) -> u64 {
        if let Some(name) = ONCE_PER_REQUEST.iter().find(|n| **n == field.name) {
            *self.seen.entry(*name).or_default() += 1;
        }
        let children = self.cost(&field.selections);
        self.list_size(field)
            .saturating_mul(children)
            .saturating_add(1)
    }

    /// How many items the field's list may hold: 1 for a field that is no sized list.
    fn list_size(&self, field: &FieldSelection) -> u64 {
        let args = field.arguments.as_ref();
        for name in ["pageSize", "limit"] {
            if let Some(value) = args.and_then(|a| a.get_argument(name)) {
                return match self.integer(value) {
                    Some(n) if n > 0 => n as u64,
                    _ => DEFAULT_LIST_SIZE,
                };
            }
        }
        if let Some(ids) = args.and_then(|a| a.get_argument("ids")) {
            return self.length(ids).max(1);
        }
        if is_page(field) || field.name == "searchImages" {
            DEFAULT_LIST_SIZE
        } else {
            1
        }
    }

    fn integer(&self, value: &Value) -> Option<i64> {
        match value {
            Value::Int(n) => Some(*n),
            Value::Variable(name) => match self.variables.0.get(name) {
                Some(n) => Some(*n),
                None => self
                    .defaults
                    .get(name.as_str())
                    .and_then(|d| self.integer(d)),
            },
            _ => None,
        }
    }

    fn length(&self, value: &Value) -> u64 {
        match value {
            Value::List(items) => items.len() as u64,
            Value::Variable(name) => match self.variables.0.get(name) {
                Some(n) => (*n).max(0) as u64,
                None => self
                    .defaults
                    .get(name.as_str())
                    .map_or(1, |d| self.length(d)),
            },
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hive_router::graphql_tools::parser::parse_query;
    use hive_router::graphql_tools::parser::query::Definition;

    fn operation(query: &str) -> OperationDefinition {
        let document = parse_query::<String>(query).expect("a valid query");
        match document.definitions.into_iter().next() {
            Some(Definition::Operation(op)) => op.into(),
            _ => panic!("no operation in {query}"),
        }
    }

    fn run(query: &str, variables: serde_json::Value) -> Result<(), ErrorCode> {
        let variables: HashMap<String, sonic_rs::Value> =
            sonic_rs::from_str(&variables.to_string()).unwrap();
        check(&operation(query), &VariableSizes::of(&variables), 20_000).map_err(|e| e.code())
    }

    fn cost(query: &str) -> u64 {
        let op = operation(query);
        let variables = VariableSizes::default();
        let mut walk = Walk {
            variables: &variables,
            defaults: HashMap::new(),
            seen: HashMap::new(),
        };
        walk.cost(&op.selection_set)
    }

    #[test]
    fn fields_cost_one_and_page_sizes_multiply_what_they_hold() {
        assert_eq!(cost("{ me { id username } }"), 3);
        assert_eq!(
            cost("{ feed(pageSize: 5) { items { id } total } }"),
            1 + 5 * 3
        );
        assert_eq!(
            cost("{ feed { items { id } } }"),
            1 + 10 * 2,
            "absent: the default 10"
        );
        assert_eq!(cost("{ users(ids: [1, 2, 3]) { id } }"), 1 + 3);
        assert_eq!(
            cost("{ feed(pageSize: 100) { items { comments(pageSize: 100) { items { id } } } } }"),
            1 + 100 * (1 + (1 + 100 * 2))
        );
    }

    #[test]
    fn nested_pages_over_the_limit_are_refused_whether_literal_or_variable() {
        let nested = "query($n: Int = 100) { feed(pageSize: $n) { items { comments(pageSize: $n) {
            items { replies(pageSize: $n) { items { id } } } } } } }";
        assert_eq!(
            run(nested, serde_json::json!({})),
            Err(ErrorCode::InvalidParameter)
        );
        assert_eq!(
            run(nested, serde_json::json!({"n": 100})),
            Err(ErrorCode::InvalidParameter)
        );
        assert_eq!(run(nested, serde_json::json!({"n": 10})), Ok(()));
        assert_eq!(
            run(nested, serde_json::json!({"n": null})),
            Ok(()),
            "null: the default"
        );
        // 232 per user: 3 users pass, 100 do not.
        let ids = "query($ids: [ID!]!) { users(ids: $ids) { id likedVideos(pageSize: 10) {
            items { id comments(pageSize: 10) { items { id } } } } } }";
        let list = |n: usize| serde_json::json!({"ids": (0..n).map(|i| i.to_string()).collect::<Vec<_>>()});
        assert_eq!(run(ids, list(3)), Ok(()));
        assert_eq!(run(ids, list(100)), Err(ErrorCode::InvalidParameter));
    }

    #[test]
    fn root_fields_list_every_alias() {
        let op = operation(
            "mutation { a: likeAction(videoId: 1, actionType: 1) b: likeAction(videoId: 2, actionType: 1) }",
        );
        assert_eq!(root_fields(&op), vec!["likeAction", "likeAction"]);
    }

    #[test]
    fn expensive_fields_may_appear_once_however_aliased() {
        let one = "mutation { login(username: \"a\", password: \"b\") { accessToken } }";
        assert_eq!(run(one, serde_json::json!({})), Ok(()));
        let two = "mutation { a: login(username: \"a\", password: \"b\") { accessToken }
            b: login(username: \"a\", password: \"c\") { accessToken } }";
        assert_eq!(
            run(two, serde_json::json!({})),
            Err(ErrorCode::InvalidParameter)
        );
        let mixed = "mutation { register(username: \"a\", password: \"b\") { id }
            changePassword(currentPassword: \"x\", newPassword: \"y\") }";
        assert_eq!(
            run(mixed, serde_json::json!({})),
            Ok(()),
            "different fields are fine"
        );
    }
}

//! The `filter:` and `orderBy:` arguments of relation lists, and the one
//! reading of them into the domain's [`RelationConditions`] and
//! [`OrderTerm`]s that both executors use: the compiled planner reads the
//! arguments' values as written, async-graphql's resolvers hand over their
//! typed inputs as values ([`async_graphql::InputType::to_value`]), and
//! [`conditions`] and [`order`] read either.

use async_graphql::{Enum, InputObject, Value};

use super::scalars::DateTime;
use crate::domain::{
    Direction, EdgeFilter, OrderField, OrderTerm, RelationConditions, TextMatch, TextOp, TimeRange,
    Visibility,
};
use crate::error::{AppError, AppResult};

/// Conditions on a relation's own columns, shared by every relation list's
/// filter.
#[derive(InputObject, Default, Debug)]
pub struct RelationConditionsInput {
    /// Only relations whose type has one of these aliases.
    pub types: Option<Vec<String>>,
    /// Only relations whose label matches.
    pub label: Option<TextMatchInput>,
    /// Only relations whose attitude is in this range (relations without
    /// an attitude are left out).
    pub attitude: Option<IntBoundsInput>,
    /// Only pinned (`true`) or unpinned (`false`) relations.
    pub pinned: Option<bool>,
    /// Only private (`true`: admins only) or public (`false`) relations.
    pub is_private: Option<bool>,
    /// Only relations created in this range.
    pub created: Option<TimeRangeInput>,
    /// Only relations last updated in this range.
    pub updated: Option<TimeRangeInput>,
}

/// Which of an entity's relations `Entity.relations` and `Entity.related`
/// list, on top of their other arguments.
#[derive(InputObject, Default, Debug)]
pub struct EdgeFilterInput {
    /// Only relations whose type belongs to this source.
    pub source: Option<String>,
    /// Only relations whose other end has one of these kinds.
    pub other_kinds: Option<Vec<String>>,
    /// Only relations whose other end is in this space.
    pub other_space: Option<String>,
    /// Conditions on the relation itself.
    #[graphql(flatten)]
    pub conditions: RelationConditionsInput,
}

/// A condition on a text: exactly one of `equals`, `prefix`, `contains`.
#[derive(InputObject, Default, Debug)]
pub struct TextMatchInput {
    /// The whole text is this.
    pub equals: Option<String>,
    /// The text starts with this.
    pub prefix: Option<String>,
    /// The text contains this.
    pub contains: Option<String>,
    /// Ignore case (ASCII letters on SQLite, all letters on PostgreSQL).
    #[graphql(default = false)]
    pub case_insensitive: bool,
}

/// Integer bounds; both ends included, open where omitted.
#[derive(InputObject, Default, Debug)]
pub struct IntBoundsInput {
    /// At least this.
    pub min: Option<i32>,
    /// At most this.
    pub max: Option<i32>,
}

/// A time range: `from` included, `until` excluded, open where omitted.
#[derive(InputObject, Default, Debug)]
pub struct TimeRangeInput {
    /// At or after this moment.
    pub from: Option<DateTime>,
    /// Before this moment.
    pub until: Option<DateTime>,
}

/// What a relation list can be ordered by.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RelationOrderField")]
pub enum RelationOrderFieldGql {
    /// When the relation was created.
    Created,
    /// When the relation last changed.
    Updated,
    /// The relation's attitude; relations without one come last either way.
    Attitude,
    /// The relation's label, by code point; relations without one come
    /// last either way.
    Label,
    /// Pinned relations first (`ASC`) or last (`DESC`).
    PinnedFirst,
}

/// Which way an order runs.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum OrderDirection {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// One term of a relation list's order; the row id breaks the last ties.
#[derive(InputObject, Debug)]
#[graphql(name = "RelationOrder")]
pub struct RelationOrderInput {
    /// By what.
    pub field: RelationOrderFieldGql,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// Most terms an `orderBy` may hold: one per field.
const MAX_ORDER_TERMS: usize = 5;

fn bad(message: impl Into<String>) -> AppError {
    AppError::bad_input(message)
}

fn string(v: &Value, field: &str) -> AppResult<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(bad(format!("{field} must be a string"))),
    }
}

fn strings(v: &Value, field: &str) -> AppResult<Vec<String>> {
    match v {
        Value::Null => Ok(Vec::new()),
        // A single value where a list is expected is a list of one.
        Value::String(s) => Ok(vec![s.clone()]),
        Value::List(items) => items
            .iter()
            .map(|i| string(i, field)?.ok_or_else(|| bad(format!("{field} holds a null"))))
            .collect(),
        _ => Err(bad(format!("{field} must be a list of strings"))),
    }
}

fn boolean(v: &Value, field: &str) -> AppResult<Option<bool>> {
    match v {
        Value::Null => Ok(None),
        Value::Boolean(b) => Ok(Some(*b)),
        _ => Err(bad(format!("{field} must be a boolean"))),
    }
}

fn int(v: &Value, field: &str) -> AppResult<Option<i32>> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| bad(format!("{field} must be a 32-bit integer"))),
        _ => Err(bad(format!("{field} must be an integer"))),
    }
}

fn object<'v>(
    v: &'v Value,
    field: &str,
) -> AppResult<Option<&'v async_graphql::indexmap::IndexMap<async_graphql::Name, Value>>> {
    match v {
        Value::Null => Ok(None),
        Value::Object(o) => Ok(Some(o)),
        _ => Err(bad(format!("{field} must be an object"))),
    }
}

fn time(v: &Value, field: &str) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    string(v, field)?
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(&s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| bad(format!("{field} must be an RFC 3339 date-time")))
        })
        .transpose()
}

fn time_range(v: &Value, field: &str) -> AppResult<TimeRange> {
    let mut range = TimeRange::default();
    for (k, v) in object(v, field)?.into_iter().flatten() {
        match k.as_str() {
            "from" => range.from = time(v, "from")?,
            "until" => range.until = time(v, "until")?,
            other => return Err(bad(format!("{field} has no field {other}"))),
        }
    }
    Ok(range)
}

fn text_match(v: &Value) -> AppResult<Option<TextMatch>> {
    let Some(o) = object(v, "label")? else {
        return Ok(None);
    };
    let mut found: Option<TextMatch> = None;
    let mut case_insensitive = false;
    for (k, v) in o {
        let op = match k.as_str() {
            "equals" => TextOp::Equals,
            "prefix" => TextOp::Prefix,
            "contains" => TextOp::Contains,
            "caseInsensitive" => {
                case_insensitive = boolean(v, "caseInsensitive")?.unwrap_or(false);
                continue;
            }
            other => return Err(bad(format!("label has no field {other}"))),
        };
        let Some(value) = string(v, k.as_str())? else {
            continue;
        };
        if found.is_some() {
            return Err(bad("label takes one of equals, prefix or contains"));
        }
        found = Some(TextMatch {
            op,
            value,
            case_insensitive: false,
        });
    }
    let found = found.ok_or_else(|| bad("label takes one of equals, prefix or contains"))?;
    Ok(Some(TextMatch {
        case_insensitive,
        ..found
    }))
}

/// Reads a relation list's `filter:` value (an `EdgeFilterInput`, or the
/// conditions of a `RelationFilterInput`): `BAD_USER_INPUT` when it does
/// not hold, `FORBIDDEN` when a caller who may not see private relations
/// asks for them.
pub fn conditions(value: &Value, visibility: Visibility) -> AppResult<RelationConditions> {
    let mut c = RelationConditions::default();
    for (k, v) in object(value, "filter")?.into_iter().flatten() {
        match k.as_str() {
            "types" => c.types = strings(v, "types")?,
            "otherKinds" => c.other_kinds = strings(v, "otherKinds")?,
            "source" => c.source = string(v, "source")?,
            "otherSpace" => c.other_space = string(v, "otherSpace")?,
            "label" => c.label = text_match(v)?,
            "attitude" => {
                for (k, v) in object(v, "attitude")?.into_iter().flatten() {
                    match k.as_str() {
                        "min" => c.attitude_min = int(v, "min")?,
                        "max" => c.attitude_max = int(v, "max")?,
                        other => return Err(bad(format!("attitude has no field {other}"))),
                    }
                }
            }
            "pinned" => c.pinned = boolean(v, "pinned")?,
            "isPrivate" => c.private = boolean(v, "isPrivate")?,
            "created" => c.created = time_range(v, "created")?,
            "updated" => c.updated = time_range(v, "updated")?,
            other => return Err(bad(format!("filter has no field {other}"))),
        }
    }
    c.allowed_for(visibility)
}

/// The filter of `Entity.relations` or `Entity.related`: their plain
/// arguments, and the `filter:` and `orderBy:` values read as above.
pub fn edge_filter(
    (type_alias, direction, other_kind): (Option<String>, Direction, Option<String>),
    visibility: Visibility,
    filter: &Value,
    order_by: &Value,
) -> AppResult<EdgeFilter> {
    Ok(EdgeFilter {
        type_alias,
        direction,
        other_kind,
        visibility,
        conditions: conditions(filter, visibility)?,
        order: order(order_by)?,
    })
}

/// Reads an `orderBy:` value (a list of `RelationOrder`, or one):
/// `BAD_USER_INPUT` when it does not hold or names a field twice.
pub fn order(value: &Value) -> AppResult<Vec<OrderTerm>> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::List(items) => items.as_slice(),
        one @ Value::Object(_) => std::slice::from_ref(one),
        _ => return Err(bad("orderBy must be a list of RelationOrder")),
    };
    if items.len() > MAX_ORDER_TERMS {
        return Err(bad(format!(
            "orderBy holds at most {MAX_ORDER_TERMS} terms"
        )));
    }
    let mut terms: Vec<OrderTerm> = Vec::with_capacity(items.len());
    for item in items {
        let o = object(item, "orderBy")?.ok_or_else(|| bad("orderBy holds a null"))?;
        let (mut field, mut descending) = (None, false);
        for (k, v) in o {
            let name = match v {
                Value::Enum(n) => n.as_str().to_owned(),
                Value::String(s) => s.clone(),
                Value::Null => continue,
                _ => return Err(bad(format!("orderBy's {k} must be an enum value"))),
            };
            match k.as_str() {
                "field" => {
                    field = Some(match name.as_str() {
                        "CREATED" => OrderField::Created,
                        "UPDATED" => OrderField::Updated,
                        "ATTITUDE" => OrderField::Attitude,
                        "LABEL" => OrderField::Label,
                        "PINNED_FIRST" => OrderField::PinnedFirst,
                        _ => return Err(bad(format!("no RelationOrderField {name}"))),
                    })
                }
                "direction" => {
                    descending = match name.as_str() {
                        "ASC" => false,
                        "DESC" => true,
                        _ => return Err(bad(format!("no OrderDirection {name}"))),
                    }
                }
                other => return Err(bad(format!("RelationOrder has no field {other}"))),
            }
        }
        let field = field.ok_or_else(|| bad("a RelationOrder needs its field"))?;
        if terms.iter().any(|t| t.field == field) {
            return Err(bad(format!("orderBy names {} twice", field.name())));
        }
        terms.push(OrderTerm { field, descending });
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::InputType;

    const ALL: Visibility = Visibility {
        include_private: true,
    };

    /// The typed inputs (async-graphql's path) read to what the same
    /// values written in a document (the compiled planner's) read to.
    #[test]
    fn typed_inputs_read_as_their_values() {
        let typed = EdgeFilterInput {
            source: Some("kanka".into()),
            other_kinds: Some(vec!["character".into()]),
            other_space: None,
            conditions: RelationConditionsInput {
                types: Some(vec!["relation".into()]),
                label: Some(TextMatchInput {
                    prefix: Some("Ri".into()),
                    case_insensitive: true,
                    ..Default::default()
                }),
                attitude: Some(IntBoundsInput {
                    min: Some(-1),
                    max: None,
                }),
                pinned: Some(true),
                ..Default::default()
            },
        };
        let written = Value::from_json(serde_json::json!({
            "source": "kanka", "otherKinds": ["character"], "types": ["relation"],
            "label": {"prefix": "Ri", "caseInsensitive": true},
            "attitude": {"min": -1}, "pinned": true
        }))
        .unwrap();
        let a = conditions(&typed.to_value(), ALL).unwrap();
        assert_eq!(a, conditions(&written, ALL).unwrap());
        assert_eq!(a.attitude_min, Some(-1));
        assert_eq!(a.label.as_ref().map(|m| m.op), Some(TextOp::Prefix));
        let typed = vec![RelationOrderInput {
            field: RelationOrderFieldGql::PinnedFirst,
            direction: OrderDirection::Desc,
        }];
        let written =
            Value::from_json(serde_json::json!([{"field": "PINNED_FIRST", "direction": "DESC"}]))
                .unwrap();
        assert_eq!(order(&typed.to_value()).unwrap(), order(&written).unwrap());
    }

    #[test]
    fn bad_filters_and_orders_are_refused_with_codes() {
        let v = |j| Value::from_json(j).unwrap();
        let code = |r: AppResult<RelationConditions>| r.unwrap_err().code();
        assert_eq!(
            code(conditions(&v(serde_json::json!({"label": {}})), ALL)),
            "BAD_USER_INPUT"
        );
        assert_eq!(
            code(conditions(
                &v(serde_json::json!({"label": {"equals": "a", "prefix": "b"}})),
                ALL
            )),
            "BAD_USER_INPUT"
        );
        let public = Visibility {
            include_private: false,
        };
        assert_eq!(
            code(conditions(
                &v(serde_json::json!({"isPrivate": true})),
                public
            )),
            "FORBIDDEN"
        );
        assert!(conditions(&v(serde_json::json!({"isPrivate": false})), public).is_ok());
        let twice =
            serde_json::json!([{"field": "LABEL"}, {"field": "LABEL", "direction": "DESC"}]);
        assert_eq!(order(&v(twice)).unwrap_err().code(), "BAD_USER_INPUT");
    }
}

//! From a document to a plan: the selected operation's fields, merged by
//! response key in query order, with `@skip`/`@include` and fragments
//! applied and every argument resolved against the request's variables.
//!
//! Planning refuses ([`Bail`]) anything outside the compiled subset: other
//! root fields, other directives, list-typed variables, a variable whose
//! value does not fit its declared type, an argument that does not parse.
//! The request then runs through async-graphql, which answers it as always,
//! errors included.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, FragmentDefinition, OperationDefinition, OperationType,
    Selection, SelectionSet, VariableDefinition,
};
use async_graphql::{Name, Positioned, Value, Variables};

use crate::domain::EntityFilter;
use crate::domain::Visibility;
use crate::domain::{Direction, PageArgs, PageWindow};
use crate::domain::{EdgeColumns, EdgeFilter};
use crate::graphql::PageLimits;

/// The request is not for the compiled executor: async-graphql answers it.
#[derive(Debug)]
pub struct Bail;

/// A field of the plan: its response key and what it resolves to.
#[derive(Debug)]
pub struct Sel<F> {
    /// The response key (alias or name), as it goes into the JSON.
    pub key: Name,
    /// What the field is.
    pub field: F,
}

/// The fields of one selection set.
pub type Sels<F> = Vec<Sel<F>>;

/// What a field reads, besides what its sub-selection reads: the column
/// choice of both executors derives from it (`compiled::entity_shape`,
/// `compiled::edges_shape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// Nothing beyond what its object was found by (ids, names, lists
    /// that are read on their own, cached types).
    Nothing,
    /// The entity's row beyond its id and name.
    EntityRow,
    /// The relation's row, with these columns beyond its id, type and ends.
    Relation(EdgeColumns),
}

/// The field kinds that answer `__typename`.
pub trait Typename {
    /// The `__typename` field of the kind.
    const TYPENAME: Self;
}

/// Declares the fields of a compiled type once: the enum the planner builds
/// and the renderer matches on (exhaustively), the GraphQL name of each
/// field, what each reads, and the fields left to async-graphql (a query
/// that selects one is not compiled). `compiled::tests` walks the served
/// schema and fails when a field of a compiled type is in neither list.
macro_rules! fields {
    (
        $(#[$doc:meta])*
        $name:ident on $gql:literal {
            $(
                $(#[$vdoc:meta])*
                $variant:ident $(($payload:ty))? = $field:literal reads $reads:expr,
            )*
        }
        falls back [$($fallback:literal),* $(,)?]
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $name {
            /// `__typename`.
            Typename,
            $( $(#[$vdoc])* $variant $(($payload))?, )*
        }

        impl Typename for $name {
            const TYPENAME: Self = Self::Typename;
        }

        impl $name {
            /// The GraphQL type.
            pub const TYPE: &'static str = $gql;
            /// Its fields that the compiled executor answers.
            pub const FIELDS: &'static [&'static str] = &[$($field),*];
            /// Its fields left to async-graphql.
            pub const FALLS_BACK: &'static [&'static str] = &[$($fallback),*];

            /// What the field reads (see [`Reads`]).
            pub fn reads(&self) -> Reads {
                match self {
                    Self::Typename => Reads::Nothing,
                    $( Self::$variant { .. } => $reads, )*
                }
            }

            /// The field named `name` if it takes no sub-selection.
            fn leaf(name: &str) -> Option<Self> {
                match name {
                    $( $field => fields!(@leaf $variant $(($payload))?), )*
                    _ => None,
                }
            }
        }
    };
    (@leaf $variant:ident) => { Some(Self::$variant) };
    (@leaf $variant:ident ($payload:ty)) => { None };
}

impl<E> Typename for ListField<E> {
    const TYPENAME: Self = Self::Typename;
}

/// `Query` fields: the two the compiled executor answers (every other one
/// is async-graphql's).
#[derive(Debug)]
pub enum QueryField {
    Typename,
    /// `entity(source, space, kind, externalId)`.
    Entity {
        source: String,
        space: Option<String>,
        kind: Option<String>,
        external_id: String,
        fields: Sels<EntityField>,
    },
    /// `entities(filter, first, after, last, before)`.
    Entities {
        filter: EntityFilter,
        window: PageWindow,
        fields: Sels<ListField<EntityEdgeField>>,
    },
}

impl Typename for QueryField {
    const TYPENAME: Self = Self::Typename;
}

/// The arguments the compiled executor reads, by type and field; any other
/// argument of the field makes a query async-graphql's (and is listed as
/// falling back). `compiled::tests` checks them against the served schema.
pub const ARGUMENTS: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "Query",
        "entity",
        &["source", "space", "kind", "externalId"],
        &[],
    ),
    (
        "Query",
        "entities",
        &["filter", "first", "after", "last", "before"],
        &[],
    ),
    (
        "Entity",
        "relations",
        &[
            "type",
            "direction",
            "otherKind",
            "filter",
            "orderBy",
            "first",
            "after",
            "last",
            "before",
        ],
        &["asOf"],
    ),
    (
        "Entity",
        "related",
        &[
            "kind",
            "type",
            "direction",
            "filter",
            "orderBy",
            "first",
            "after",
            "last",
            "before",
        ],
        &["asOf"],
    ),
];

/// The compiled arguments of `type_name.field`.
fn arguments(type_name: &str, field: &str) -> &'static [&'static str] {
    ARGUMENTS
        .iter()
        .find(|(t, f, _, _)| *t == type_name && *f == field)
        .map_or(&[], |(_, _, args, _)| args)
}

fields! {
    /// `Entity` fields.
    EntityField on "Entity" {
        Id = "id" reads Reads::Nothing,
        Source = "source" reads Reads::EntityRow,
        Space = "space" reads Reads::EntityRow,
        Kind = "kind" reads Reads::EntityRow,
        ExternalId = "externalId" reads Reads::EntityRow,
        Name = "name" reads Reads::Nothing,
        CreatedAt = "createdAt" reads Reads::EntityRow,
        UpdatedAt = "updatedAt" reads Reads::EntityRow,
        /// `relations(...)`.
        Relations(Conn<EntityRelationEdgeField>) = "relations" reads Reads::Nothing,
        /// `related(...)`.
        Related(Conn<EntityEdgeField>) = "related" reads Reads::Nothing,
    }
    falls back ["history", "neighbourhood", "relationCounts"]
}

/// An `Entity.relations` or `Entity.related` field.
#[derive(Debug)]
pub struct Conn<E> {
    /// Numbers the connection fields of a plan: pages are kept by it.
    pub id: usize,
    /// The filter (the caller's visibility included).
    pub filter: EdgeFilter,
    /// The page asked for.
    pub window: PageWindow,
    /// `totalCount` is asked for.
    pub wants_total: bool,
    /// `edges` or `pageInfo` is asked for: the page is read.
    pub reads_page: bool,
    /// The connection's fields.
    pub fields: Sels<ListField<E>>,
}

/// The fields of a connection object (`EntityConnection`,
/// `EntityRelationConnection`, `RelatedEntityConnection`).
#[derive(Debug)]
pub enum ListField<E> {
    Typename,
    Edges(Sels<E>),
    PageInfo(Sels<PageInfoField>),
    TotalCount,
}

impl<E> ListField<E> {
    /// The connection types.
    pub const TYPES: &'static [&'static str] = &[
        "EntityConnection",
        "EntityRelationConnection",
        "RelatedEntityConnection",
    ];
    /// Their fields that the compiled executor answers (all of them).
    pub const FIELDS: &'static [&'static str] = &["edges", "pageInfo", "totalCount"];
}

fields! {
    /// `PageInfo` fields.
    PageInfoField on "PageInfo" {
        HasNextPage = "hasNextPage" reads Reads::Nothing,
        HasPreviousPage = "hasPreviousPage" reads Reads::Nothing,
        StartCursor = "startCursor" reads Reads::Nothing,
        EndCursor = "endCursor" reads Reads::Nothing,
    }
    falls back []
}

fields! {
    /// `EntityEdge` and `RelatedEntityEdge` fields.
    EntityEdgeField on "EntityEdge" {
        Cursor = "cursor" reads Reads::Nothing,
        Node(Sels<EntityField>) = "node" reads Reads::Nothing,
    }
    falls back []
}

fields! {
    /// `EntityRelationEdge` fields.
    EntityRelationEdgeField on "EntityRelationEdge" {
        Cursor = "cursor" reads Reads::Nothing,
        Node(Sels<RelationField>) = "node" reads Reads::Relation(EdgeColumns::NONE),
        Direction = "direction" reads Reads::Relation(EdgeColumns::BIDIRECTIONAL),
        /// The far end, whose id a lean page holds.
        Other(Sels<EntityField>) = "other" reads Reads::Nothing,
    }
    falls back []
}

fields! {
    /// `Relation` fields.
    RelationField on "Relation" {
        Id = "id" reads Reads::Relation(EdgeColumns::NONE),
        LegacyId = "legacyId" reads Reads::Relation(EdgeColumns::NONE),
        Type(Sels<RelationTypeField>) = "type" reads Reads::Relation(EdgeColumns::NONE),
        From(Sels<EntityField>) = "from" reads Reads::Relation(EdgeColumns::NONE),
        To(Sels<EntityField>) = "to" reads Reads::Relation(EdgeColumns::NONE),
        Label = "label" reads Reads::Relation(EdgeColumns::ATTRIBUTES),
        Comment = "comment" reads Reads::Relation(EdgeColumns::ATTRIBUTES),
        Attitude = "attitude" reads Reads::Relation(EdgeColumns::ATTRIBUTES),
        Colour = "colour" reads Reads::Relation(EdgeColumns::ATTRIBUTES),
        Pinned = "pinned" reads Reads::Relation(EdgeColumns::ATTRIBUTES),
        IsPrivate = "isPrivate" reads Reads::Relation(EdgeColumns::ATTRIBUTES),
        CreatedAt = "createdAt" reads Reads::Relation(EdgeColumns::TIMES),
        UpdatedAt = "updatedAt" reads Reads::Relation(EdgeColumns::TIMES),
    }
    falls back ["mirror", "history"]
}

fields! {
    /// `RelationType` fields (its contract's nested objects are left to
    /// async-graphql).
    RelationTypeField on "RelationType" {
        Id = "id" reads Reads::Nothing,
        Source = "source" reads Reads::Nothing,
        Alias = "alias" reads Reads::Nothing,
        Name = "name" reads Reads::Nothing,
        Bidirectional = "bidirectional" reads Reads::Nothing,
        Updatable = "updatable" reads Reads::Nothing,
        SystemManaged = "systemManaged" reads Reads::Nothing,
        BuiltIn = "builtIn" reads Reads::Nothing,
        SameSpace = "sameSpace" reads Reads::Nothing,
        AllowSelf = "allowSelf" reads Reads::Nothing,
        Symmetric = "symmetric" reads Reads::Nothing,
        CreatedAt = "createdAt" reads Reads::Nothing,
        UpdatedAt = "updatedAt" reads Reads::Nothing,
    }
    falls back ["allowedPairs", "limits", "duplicates", "attributes"]
}

/// What planning needs besides the document.
pub struct Env<'a> {
    /// The page sizes.
    pub limits: PageLimits,
    /// What the caller may see.
    pub visibility: Visibility,
    /// The request's variables.
    pub variables: &'a Variables,
}

/// A query operation's plan.
#[derive(Debug)]
pub struct Plan {
    /// The root fields.
    pub fields: Sels<QueryField>,
}

/// The operation `name` selects in `doc`, if it is a query.
fn operation<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<&'d OperationDefinition, Bail> {
    let op = match name {
        Some(n) => doc
            .operations
            .iter()
            .find(|(k, _)| k.map(|k| k.as_str()) == Some(n)),
        None => {
            let mut ops = doc.operations.iter();
            match (ops.next(), ops.next()) {
                (Some(op), None) => Some(op),
                _ => None,
            }
        }
    };
    let (_, op) = op.ok_or(Bail)?;
    if op.node.ty != OperationType::Query || !op.node.directives.is_empty() {
        return Err(Bail);
    }
    Ok(&op.node)
}

/// What a complexity-limited field costs (see `context::page_cost`): the
/// same sum async-graphql's validation makes, over the document as written
/// (fragments inlined, directives not applied).
fn complexity(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    vars: &Vars,
    depth: usize,
) -> Result<usize, Bail> {
    if depth > 64 {
        return Err(Bail);
    }
    let mut total = 0usize;
    for item in &set.items {
        let n = match &item.node {
            Selection::Field(f) => {
                let children = complexity(doc, &f.node.selection_set.node, vars, depth + 1)?;
                match f.node.name.node.as_str() {
                    // async-graphql's count does not visit `__typename`.
                    "__typename" => 0,
                    "relations" | "related" | "entities" => {
                        let args = Args {
                            arguments: &f.node.arguments,
                            vars,
                        };
                        crate::graphql::context::page_cost(
                            args.int("first")?,
                            args.int("last")?,
                            children,
                        )
                    }
                    _ => children.saturating_add(1),
                }
            }
            Selection::InlineFragment(i) => {
                complexity(doc, &i.node.selection_set.node, vars, depth + 1)?
            }
            Selection::FragmentSpread(s) => {
                let frag = doc.fragments.get(&s.node.fragment_name.node).ok_or(Bail)?;
                complexity(doc, &frag.node.selection_set.node, vars, depth + 1)?
            }
        };
        total = total.saturating_add(n);
    }
    Ok(total)
}

/// Plans operation `name` of `doc`, a document async-graphql has validated;
/// `Bail` when it is not a compiled read or its complexity is over
/// `max_complexity`.
pub fn plan(
    doc: &ExecutableDocument,
    name: Option<&str>,
    env: &Env<'_>,
    max_complexity: usize,
) -> Result<Plan, Bail> {
    // async-graphql's complexity limit counts every operation of the
    // document; the compiled executor answers single-operation documents.
    if doc.operations.iter().nth(1).is_some() {
        return Err(Bail);
    }
    let op = operation(doc, name)?;
    let vars = Vars::new(&op.variable_definitions, env.variables)?;
    if complexity(doc, &op.selection_set.node, &vars, 0)? > max_complexity {
        return Err(Bail);
    }
    let mut planner = Planner {
        fragments: &doc.fragments,
        vars: &vars,
        env,
        conns: 0,
    };
    let fields = planner.fields(
        &[(&op.selection_set.node, true)],
        "Query",
        Planner::query_field,
    )?;
    Ok(Plan { fields })
}

/// Where a field being resolved by async-graphql sits: its operation's
/// variable definitions and fragments. The general path plans a field's
/// sub-selection with it, to read what the compiled executor would read
/// for the same selection ([`sub_selection`]).
pub struct Scope<'d> {
    /// The operation's variable definitions.
    pub variable_definitions: &'d [Positioned<VariableDefinition>],
    /// The document's fragments.
    pub fragments: &'d Fragments,
}

/// Which type a sub-selection is planned as.
pub enum Of {
    /// An `Entity`.
    Entity,
    /// The fields of one `EntityRelationEdge`.
    RelationEdge,
    /// An `EntityConnection` (`Query.entities`).
    EntityConnection,
}

/// A planned sub-selection (see [`Of`]).
pub enum Planned {
    /// `Of::Entity`.
    Entity(Sels<EntityField>),
    /// `Of::RelationEdge`.
    RelationEdge(Sels<EntityRelationEdgeField>),
    /// `Of::EntityConnection`.
    EntityConnection(Sels<ListField<EntityEdgeField>>),
}

/// Plans `set`, the selection of a field async-graphql resolves, as the
/// compiled executor plans the same selection; `Bail` when it holds what the
/// compiled executor does not answer (the caller then reads everything).
pub fn sub_selection(
    scope: &Scope<'_>,
    env: &Env<'_>,
    set: &SelectionSet,
    of: Of,
) -> Result<Planned, Bail> {
    let vars = Vars::new(scope.variable_definitions, env.variables)?;
    let mut planner = Planner {
        fragments: scope.fragments,
        vars: &vars,
        env,
        conns: 0,
    };
    let sets = [(set, true)];
    Ok(match of {
        Of::Entity => Planned::Entity(planner.fields(&sets, "Entity", Planner::entity_field)?),
        Of::RelationEdge => Planned::RelationEdge(planner.fields(
            &sets,
            "EntityRelationEdge",
            Planner::relation_edge_field,
        )?),
        Of::EntityConnection => {
            Planned::EntityConnection(planner.fields(&sets, "EntityConnection", |p, f, s| {
                p.list_field(f, s, "EntityEdge", Planner::entity_edge_field)
            })?)
        }
    })
}

/// The request's variables, defaults applied, each checked against its
/// declared type.
struct Vars(HashMap<Name, Value>);

/// Whether `value` fits the named input type (nullable or not).
fn fits(ty: &str, value: &Value) -> bool {
    match (ty, value) {
        (_, Value::Null) => true,
        ("Int", Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        ("String", Value::String(_)) | ("Boolean", Value::Boolean(_)) => true,
        ("ID", Value::String(_)) => true,
        ("Direction", Value::String(s)) => direction(s).is_some(),
        ("Direction", Value::Enum(s)) => direction(s).is_some(),
        ("EntityFilterInput", Value::Object(o)) => o.iter().all(|(k, v)| {
            matches!(k.as_str(), "source" | "space" | "kind" | "nameContains")
                && matches!(v, Value::String(_) | Value::Null)
        }),
        // Read in full where they are used (`filters::edge_filter`): a
        // value that does not hold makes the plan bail there.
        ("EdgeFilterInput" | "RelationOrder", Value::Object(_)) => true,
        ("[RelationOrder]", Value::List(items)) => items.iter().all(|i| fits("RelationOrder", i)),
        // A single value where a list is expected is a list of one.
        ("[RelationOrder]", one) => fits("RelationOrder", one),
        _ => false,
    }
}

impl Vars {
    fn new(defs: &[Positioned<VariableDefinition>], given: &Variables) -> Result<Self, Bail> {
        let mut out = HashMap::with_capacity(defs.len());
        for def in defs {
            let def = &def.node;
            if !def.directives.is_empty() {
                return Err(Bail);
            }
            let ty = match &def.var_type.node.base {
                BaseType::Named(ty) => ty.as_str(),
                // The one list-typed argument the compiled fields take.
                BaseType::List(inner) if matches!(&inner.base, BaseType::Named(n) if n == "RelationOrder") => {
                    "[RelationOrder]"
                }
                BaseType::List(_) => return Err(Bail),
            };
            let value = given
                .get(&def.name.node)
                .cloned()
                .or_else(|| def.default_value.as_ref().map(|d| d.node.clone()));
            match value {
                Some(v) if fits(ty, &v) => {
                    if v == Value::Null && !def.var_type.node.nullable {
                        return Err(Bail);
                    }
                    out.insert(def.name.node.clone(), v);
                }
                Some(_) => return Err(Bail),
                None if !def.var_type.node.nullable => return Err(Bail),
                // async-graphql reads it as null (an argument given as null:
                // for the compiled fields, as if not given).
                None => {
                    out.insert(def.name.node.clone(), Value::Null);
                }
            }
        }
        Ok(Self(out))
    }
}

fn direction(s: &str) -> Option<Direction> {
    match s {
        "OUTGOING" => Some(Direction::Outgoing),
        "INCOMING" => Some(Direction::Incoming),
        "BOTH" => Some(Direction::Both),
        _ => None,
    }
}

/// A field's arguments, variables resolved; a missing argument and a null
/// one read the same (every argument of the compiled fields is optional or
/// checked by validation, and null means "not given" for each).
struct Args<'a> {
    arguments: &'a [(Positioned<Name>, Positioned<async_graphql_value::Value>)],
    vars: &'a Vars,
}

impl Args<'_> {
    /// Refuses arguments other than `known`.
    fn only(&self, known: &[&str]) -> Result<(), Bail> {
        if self
            .arguments
            .iter()
            .all(|(n, _)| known.contains(&n.node.as_str()))
        {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn value(&self, name: &str) -> Result<Option<Value>, Bail> {
        let Some((_, v)) = self.arguments.iter().find(|(n, _)| n.node == name) else {
            return Ok(None);
        };
        let value = v
            .node
            .clone()
            .into_const_with(|var| self.vars.0.get(&var).cloned().ok_or(()))
            .unwrap_or(Value::Null);
        Ok((value != Value::Null).then_some(value))
    }

    fn int(&self, name: &str) -> Result<Option<i32>, Bail> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or(Bail),
            Some(_) => Err(Bail),
        }
    }

    fn string(&self, name: &str) -> Result<Option<String>, Bail> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Bail),
        }
    }

    fn required_string(&self, name: &str) -> Result<String, Bail> {
        self.string(name)?.ok_or(Bail)
    }

    fn direction(&self) -> Result<Direction, Bail> {
        match self.value("direction")? {
            None => Ok(Direction::Both),
            Some(Value::Enum(s)) => direction(&s).ok_or(Bail),
            Some(Value::String(s)) => direction(&s).ok_or(Bail),
            Some(_) => Err(Bail),
        }
    }

    fn window(&self, limits: PageLimits) -> Result<PageWindow, Bail> {
        self.window_in(limits, &[])
    }

    fn window_in(
        &self,
        limits: PageLimits,
        order: &[crate::domain::OrderTerm],
    ) -> Result<PageWindow, Bail> {
        PageArgs {
            first: self.int("first")?,
            after: self.string("after")?,
            last: self.int("last")?,
            before: self.string("before")?,
        }
        .window_in(limits.default_size, limits.max_size, order)
        .map_err(|_| Bail)
    }

    fn entity_filter(&self) -> Result<EntityFilter, Bail> {
        let Some(value) = self.value("filter")? else {
            return Ok(EntityFilter::default());
        };
        let Value::Object(o) = value else {
            return Err(Bail);
        };
        let mut filter = EntityFilter::default();
        for (k, v) in o {
            let v = match v {
                Value::String(s) => Some(s),
                Value::Null => None,
                _ => return Err(Bail),
            };
            match k.as_str() {
                "source" => filter.source = v,
                "space" => filter.space = v,
                "kind" => filter.kind = v,
                "nameContains" => filter.name_contains = v,
                _ => return Err(Bail),
            }
        }
        Ok(filter)
    }
}

/// Whether two fields' arguments are the same (in any order), as written.
fn same_arguments(
    a: &[(Positioned<Name>, Positioned<async_graphql_value::Value>)],
    b: &[(Positioned<Name>, Positioned<async_graphql_value::Value>)],
) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(n, v)| b.iter().any(|(m, w)| m.node == n.node && w.node == v.node))
}

/// The response keys of a list of selection sets, in query order, each with
/// the fields that share it and whether each is live (see
/// `Planner::collect`).
type Merged<'d> = Vec<(Name, Vec<(&'d Field, bool)>)>;

/// The sub-selections of a response key's fields, each with whether it is
/// live.
type Subs<'d> = Vec<(&'d SelectionSet, bool)>;

/// A document's fragments, by name.
type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

struct Planner<'d, 'e> {
    fragments: &'d Fragments,
    vars: &'e Vars,
    env: &'e Env<'e>,
    conns: usize,
}

/// Plans one field of a type: gets the field and its merged sub-selections.
trait FieldPlanner<'d, 'e, F>:
    Fn(&mut Planner<'d, 'e>, &'d Field, Subs<'d>) -> Result<F, Bail>
{
}

impl<'d, 'e, F, P> FieldPlanner<'d, 'e, F> for P where
    P: Fn(&mut Planner<'d, 'e>, &'d Field, Subs<'d>) -> Result<F, Bail>
{
}

impl<'d, 'e> Planner<'d, 'e> {
    /// Whether a selection's directives keep it (`@skip`, `@include`; any
    /// other directive bails). As async-graphql decides it: `if` is read
    /// from the request's variables as sent (a variable's default does not
    /// count), and anything but `true` is false.
    fn kept(
        &self,
        directives: &[Positioned<async_graphql::parser::types::Directive>],
    ) -> Result<bool, Bail> {
        for d in directives {
            let include = match d.node.name.node.as_str() {
                "skip" => false,
                "include" => true,
                _ => return Err(Bail),
            };
            if let Some((_, cond)) = d.node.arguments.iter().find(|(n, _)| n.node == "if") {
                let cond = cond
                    .node
                    .clone()
                    .into_const_with(|name| self.env.variables.get(&name).cloned().ok_or(()))
                    .unwrap_or_default();
                if include != (cond == Value::Boolean(true)) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Collects the fields of `sets` by response key. Every field of the
    /// document as written takes a key's place in the order, as
    /// `ordering::reorder_response` places them for async-graphql: skipped
    /// ones, and those of fragments on other types, are collected as not
    /// live (their keys keep their place, their fields are not answered).
    fn collect(
        &self,
        sets: &[(&'d SelectionSet, bool)],
        type_name: &str,
        out: &mut Merged<'d>,
        depth: usize,
    ) -> Result<(), Bail> {
        if depth > 64 {
            return Err(Bail);
        }
        // Node is the one interface; every compiled object type but the
        // connection pieces implements it.
        let applies = |cond: &str| {
            cond == type_name
                || (cond == "Node" && matches!(type_name, "Entity" | "Relation" | "RelationType"))
        };
        for &(set, live) in sets {
            for item in &set.items {
                match &item.node {
                    Selection::Field(f) => {
                        let live = live && self.kept(&f.node.directives)?;
                        let key = f.node.response_key().node.clone();
                        match out.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, fields)) => fields.push((&f.node, live)),
                            None => out.push((key, vec![(&f.node, live)])),
                        }
                    }
                    Selection::InlineFragment(i) => {
                        let on = i
                            .node
                            .type_condition
                            .as_ref()
                            .map(|c| c.node.on.node.as_str());
                        let live = live && self.kept(&i.node.directives)? && on.is_none_or(applies);
                        let set = (&i.node.selection_set.node, live);
                        self.collect(&[set], type_name, out, depth + 1)?;
                    }
                    Selection::FragmentSpread(s) => {
                        let frag = self.fragments.get(&s.node.fragment_name.node).ok_or(Bail)?;
                        if !frag.node.directives.is_empty() {
                            return Err(Bail);
                        }
                        let live = live
                            && self.kept(&s.node.directives)?
                            && applies(frag.node.type_condition.node.on.node.as_str());
                        let set = (&frag.node.selection_set.node, live);
                        self.collect(&[set], type_name, out, depth + 1)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Plans the fields of `sets` on `type_name` with `one`, which gets each
    /// response key's first field and the sub-selections of all of them.
    fn fields<F: Typename>(
        &mut self,
        sets: &[(&'d SelectionSet, bool)],
        type_name: &str,
        one: impl FieldPlanner<'d, 'e, F>,
    ) -> Result<Sels<F>, Bail> {
        let mut merged = Merged::new();
        self.collect(sets, type_name, &mut merged, 0)?;
        let mut out = Vec::with_capacity(merged.len());
        for (key, fields) in merged {
            let Some(&(first, _)) = fields.iter().find(|(_, live)| *live) else {
                continue;
            };
            // Fields that merge under one key have one name and the same
            // arguments (validation does not always hold async-graphql to
            // that when they merge from occurrences of their parent; it then
            // answers each occurrence with its own arguments).
            if fields.iter().any(|(f, _)| {
                f.name.node != first.name.node || !same_arguments(&f.arguments, &first.arguments)
            }) {
                return Err(Bail);
            }
            // Not-live sub-selections still place their keys (see `collect`).
            let subs = fields
                .iter()
                .map(|(f, live)| (&f.selection_set.node, *live))
                .collect();
            let field = if first.name.node == "__typename" {
                Self::no_args(first)?;
                F::TYPENAME
            } else {
                one(self, first, subs)?
            };
            out.push(Sel { key, field });
        }
        Ok(out)
    }

    fn args<'a>(&'a self, field: &'a Field) -> Args<'a> {
        Args {
            arguments: &field.arguments,
            vars: self.vars,
        }
    }

    fn query_field(&mut self, f: &'d Field, subs: Subs<'d>) -> Result<QueryField, Bail> {
        let name = f.name.node.as_str();
        let args = self.args(f);
        args.only(arguments("Query", name))?;
        Ok(match name {
            "entity" => {
                let (source, space, kind, external_id) = (
                    args.required_string("source")?,
                    args.string("space")?,
                    args.string("kind")?,
                    args.required_string("externalId")?,
                );
                QueryField::Entity {
                    source,
                    space,
                    kind,
                    external_id,
                    fields: self.fields(&subs, "Entity", Self::entity_field)?,
                }
            }
            "entities" => {
                let (filter, window) = (args.entity_filter()?, args.window(self.env.limits)?);
                QueryField::Entities {
                    filter,
                    window,
                    fields: self.fields(&subs, "EntityConnection", |p, f, s| {
                        p.list_field(f, s, "EntityEdge", Self::entity_edge_field)
                    })?,
                }
            }
            _ => return Err(Bail),
        })
    }

    fn no_args(f: &Field) -> Result<(), Bail> {
        if f.arguments.is_empty() {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// A field of the table's leaves (no arguments, no sub-selection).
    fn leaf<F>(f: &Field, leaf: fn(&str) -> Option<F>) -> Result<Option<F>, Bail> {
        match leaf(f.name.node.as_str()) {
            Some(field) => Self::no_args(f).map(|()| Some(field)),
            None => Ok(None),
        }
    }

    fn entity_field(&mut self, f: &'d Field, subs: Subs<'d>) -> Result<EntityField, Bail> {
        if let Some(field) = Self::leaf(f, EntityField::leaf)? {
            return Ok(field);
        }
        Ok(match f.name.node.as_str() {
            "relations" => {
                let (filter, window) = self.edge_args(f, "relations", "otherKind")?;
                EntityField::Relations(self.conn(
                    filter,
                    window,
                    subs,
                    "EntityRelationConnection",
                    "EntityRelationEdge",
                    Self::relation_edge_field,
                )?)
            }
            "related" => {
                let (filter, window) = self.edge_args(f, "related", "kind")?;
                EntityField::Related(self.conn(
                    filter,
                    window,
                    subs,
                    "RelatedEntityConnection",
                    "RelatedEntityEdge",
                    Self::entity_edge_field,
                )?)
            }
            _ => return Err(Bail),
        })
    }

    /// The filter and window of `Entity.relations` or `Entity.related`
    /// (`field`), whose far-end kind argument is `kind_arg`.
    fn edge_args(
        &self,
        f: &Field,
        field: &str,
        kind_arg: &str,
    ) -> Result<(EdgeFilter, PageWindow), Bail> {
        let args = self.args(f);
        args.only(arguments("Entity", field))?;
        let plain = (
            args.string("type")?,
            args.direction()?,
            args.string(kind_arg)?,
        );
        let (filter, order) = (args.value("filter")?, args.value("orderBy")?);
        // Refusals (a bad filter, a cursor of another order) are left to
        // async-graphql's resolvers, which read them the same way.
        let filter = crate::graphql::types::filters::edge_filter(
            plain,
            self.env.visibility,
            filter.as_ref().unwrap_or(&Value::Null),
            order.as_ref().unwrap_or(&Value::Null),
        )
        .map_err(|_| Bail)?;
        let window = args.window_in(self.env.limits, &filter.order)?;
        Ok((filter, window))
    }

    #[allow(clippy::too_many_arguments)]
    fn conn<E: Typename>(
        &mut self,
        filter: EdgeFilter,
        window: PageWindow,
        subs: Subs<'d>,
        conn_type: &str,
        edge_type: &'static str,
        edge: impl FieldPlanner<'d, 'e, E> + Copy,
    ) -> Result<Conn<E>, Bail> {
        let id = self.conns;
        self.conns += 1;
        let fields = self.fields(&subs, conn_type, |p, f, s| {
            p.list_field(f, s, edge_type, edge)
        })?;
        let has = |pred: fn(&ListField<E>) -> bool| fields.iter().any(|s| pred(&s.field));
        let wants_total = has(|f| matches!(f, ListField::TotalCount));
        let reads_page = has(|f| matches!(f, ListField::Edges(_) | ListField::PageInfo(_)));
        Ok(Conn {
            id,
            filter,
            window,
            wants_total,
            reads_page,
            fields,
        })
    }

    fn list_field<E: Typename>(
        &mut self,
        f: &'d Field,
        subs: Subs<'d>,
        edge_type: &str,
        edge: impl FieldPlanner<'d, 'e, E> + Copy,
    ) -> Result<ListField<E>, Bail> {
        Self::no_args(f)?;
        Ok(match f.name.node.as_str() {
            "edges" => ListField::Edges(self.fields(&subs, edge_type, edge)?),
            "pageInfo" => ListField::PageInfo(self.fields(&subs, "PageInfo", |_, f, _| {
                Self::leaf(f, PageInfoField::leaf)?.ok_or(Bail)
            })?),
            "totalCount" => ListField::TotalCount,
            _ => return Err(Bail),
        })
    }

    fn entity_edge_field(&mut self, f: &'d Field, subs: Subs<'d>) -> Result<EntityEdgeField, Bail> {
        if let Some(field) = Self::leaf(f, EntityEdgeField::leaf)? {
            return Ok(field);
        }
        Self::no_args(f)?;
        Ok(match f.name.node.as_str() {
            "node" => EntityEdgeField::Node(self.fields(&subs, "Entity", Self::entity_field)?),
            _ => return Err(Bail),
        })
    }

    fn relation_edge_field(
        &mut self,
        f: &'d Field,
        subs: Subs<'d>,
    ) -> Result<EntityRelationEdgeField, Bail> {
        if let Some(field) = Self::leaf(f, EntityRelationEdgeField::leaf)? {
            return Ok(field);
        }
        Self::no_args(f)?;
        Ok(match f.name.node.as_str() {
            "node" => EntityRelationEdgeField::Node(self.fields(
                &subs,
                "Relation",
                Self::relation_field,
            )?),
            "other" => {
                EntityRelationEdgeField::Other(self.fields(&subs, "Entity", Self::entity_field)?)
            }
            _ => return Err(Bail),
        })
    }

    fn relation_field(&mut self, f: &'d Field, subs: Subs<'d>) -> Result<RelationField, Bail> {
        if let Some(field) = Self::leaf(f, RelationField::leaf)? {
            return Ok(field);
        }
        Self::no_args(f)?;
        Ok(match f.name.node.as_str() {
            "type" => RelationField::Type(self.fields(&subs, "RelationType", |_, f, _| {
                Self::leaf(f, RelationTypeField::leaf)?.ok_or(Bail)
            })?),
            "from" => RelationField::From(self.fields(&subs, "Entity", Self::entity_field)?),
            "to" => RelationField::To(self.fields(&subs, "Entity", Self::entity_field)?),
            _ => return Err(Bail),
        })
    }
}

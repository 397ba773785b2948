//! Writing the response: the plan's fields over the fetched data, straight
//! into a JSON string, in query order, with the values formatted as
//! async-graphql formats them (global ids and cursors as the resolvers make
//! them, `DateTime` as RFC 3339, strings escaped as serde_json does).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::plan::{
    Bail, EntityEdgeField, EntityField, EntityRelationEdgeField, ListField, PageInfoField, Plan,
    QueryField, RelationField, RelationTypeField, Sels,
};
use super::{Data, Root, entity_shape};
use crate::domain::Edge;
use crate::domain::EntityShape;
use crate::domain::page::Page;
use crate::domain::{Cursor, Direction, Entity, GlobalId, NodeType, Relation, RelationType};
use crate::read::level::Held;

/// The whole response body for `plan` over `data`.
pub fn response(plan: &Plan, data: &Data) -> Result<String, Bail> {
    let mut w = Writer {
        out: String::with_capacity(4096),
        data,
    };
    w.out.push_str("{\"data\":{");
    for (i, (sel, root)) in plan.fields.iter().zip(&data.roots).enumerate() {
        if i > 0 {
            w.out.push(',');
        }
        push_str(&mut w.out, sel.key.as_str());
        w.out.push(':');
        w.root(&sel.field, root)?;
    }
    w.out.push_str("}}");
    Ok(w.out)
}

struct Writer<'d> {
    out: String,
    data: &'d Data,
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The page of connection `conn` at `anchor`; an empty one when the query
/// reads no page of it (only its `totalCount`).
fn page<T>(
    pages: &HashMap<(usize, i64), Arc<Page<T>>>,
    reads_page: bool,
    conn: usize,
    anchor: i64,
) -> Result<Arc<Page<T>>, Bail> {
    if !reads_page {
        return Ok(Arc::new(Page::empty()));
    }
    pages.get(&(conn, anchor)).cloned().ok_or(Bail)
}

/// An entity to render: a whole row, or the name read for it.
#[derive(Clone, Copy)]
enum EntityRef<'a> {
    Full(&'a Entity),
    Named(i64, Option<&'a str>),
}

impl<'a> EntityRef<'a> {
    /// `e` as read for `shape`: only its id and name when that is all the
    /// shape reads (whatever else the row holds).
    fn of(e: &'a Entity, shape: EntityShape) -> Self {
        match shape {
            EntityShape::Row => Self::Full(e),
            EntityShape::Named => Self::Named(e.id, e.name.as_deref()),
        }
    }

    fn id(self) -> i64 {
        match self {
            Self::Full(e) => e.id,
            Self::Named(id, _) => id,
        }
    }

    fn name(self) -> Option<&'a str> {
        match self {
            Self::Full(e) => e.name.as_deref(),
            Self::Named(_, name) => name,
        }
    }

    /// The whole row; only read by id as a name when the plan asks for no
    /// more (see `names_only`), so never missing.
    fn full(self) -> Result<&'a Entity, Bail> {
        match self {
            Self::Full(e) => Ok(e),
            Self::Named(..) => Err(Bail),
        }
    }
}

impl Writer<'_> {
    /// Writes an object of `fields`, each value by `value`.
    fn object<F>(
        &mut self,
        fields: &Sels<F>,
        mut value: impl FnMut(&mut Self, &F) -> Result<(), Bail>,
    ) -> Result<(), Bail> {
        self.out.push('{');
        for (i, sel) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_str(&mut self.out, sel.key.as_str());
            self.out.push(':');
            value(self, &sel.field)?;
        }
        self.out.push('}');
        Ok(())
    }

    fn str(&mut self, s: &str) {
        push_str(&mut self.out, s);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => push_str(&mut self.out, s),
            None => self.out.push_str("null"),
        }
    }

    fn int(&mut self, n: impl std::fmt::Display) {
        let _ = write!(self.out, "{n}");
    }

    fn bool(&mut self, b: bool) {
        self.out.push_str(if b { "true" } else { "false" });
    }

    fn time(&mut self, t: &DateTime<Utc>) {
        push_str(&mut self.out, &t.to_rfc3339());
    }

    fn global_id(&mut self, ty: NodeType, id: i64) {
        push_str(&mut self.out, &GlobalId::new(ty, id).encode());
    }

    fn cursor(&mut self, cursor: String) {
        push_str(&mut self.out, &cursor);
    }

    /// A root field over its data.
    fn root(&mut self, field: &QueryField, root: &Root) -> Result<(), Bail> {
        match (field, root) {
            (QueryField::Typename, _) => self.str("Query"),
            (QueryField::Entity { fields, .. }, Root::Entity(id)) => {
                self.entity(fields, EntityRef::Full(id))?
            }
            (QueryField::Entities { fields, .. }, Root::Entities(page, shape, total)) => self
                .list(
                    fields,
                    "EntityConnection",
                    page,
                    *total,
                    |e| Cursor(e.id).encode(),
                    |w, sels, e| {
                        let e = EntityRef::of(e, *shape);
                        let id = e.id();
                        w.entity_edge(sels, "EntityEdge", || Cursor(id).encode(), id, Some(e))
                    },
                )?,
            _ => return Err(Bail),
        }
        Ok(())
    }

    fn entity(&mut self, fields: &Sels<EntityField>, e: EntityRef<'_>) -> Result<(), Bail> {
        let id = e.id();
        self.object(fields, |w, f| {
            match f {
                EntityField::Typename => w.str("Entity"),
                EntityField::Id => w.global_id(NodeType::Entity, id),
                EntityField::Name => w.opt_str(e.name()),
                EntityField::Source => w.str(&e.full()?.source),
                EntityField::Space => w.str(&e.full()?.space),
                EntityField::Kind => w.str(&e.full()?.kind),
                EntityField::ExternalId => w.str(&e.full()?.external_id),
                EntityField::CreatedAt => w.time(&e.full()?.created_at),
                EntityField::UpdatedAt => w.time(&e.full()?.updated_at),
                EntityField::Relations(conn) => {
                    const TYPE: &str = "EntityRelationConnection";
                    let order = &conn.filter.order;
                    if let Some(keys) = w.data.relation_keys.get(&(conn.id, id)).cloned() {
                        // A lean page: the edges read only ids and far ends.
                        let total = w.total(conn.id, id);
                        w.list(
                            &conn.fields,
                            TYPE,
                            &keys,
                            total,
                            |r| Cursor::keyed(order, &r.sort, r.key),
                            |w, f, r| {
                                let cursor = || Cursor::keyed(order, &r.sort, r.key);
                                w.relation_edge(f, id, cursor, r.other_id, None)
                            },
                        )?;
                    } else {
                        let page = page(&w.data.relation_pages, conn.reads_page, conn.id, id)?;
                        let total = w.total(conn.id, id);
                        w.list(
                            &conn.fields,
                            TYPE,
                            &page,
                            total,
                            |e| Cursor::keyed(order, &e.sort, e.relation.id),
                            |w, f, e| {
                                let cursor = || Cursor::keyed(order, &e.sort, e.relation.id);
                                w.relation_edge(f, id, cursor, e.relation.other_end(id), Some(e))
                            },
                        )?;
                    }
                }
                EntityField::Related(conn) => {
                    let order = &conn.filter.order;
                    let page = page(&w.data.related_pages, conn.reads_page, conn.id, id)?;
                    let total = w.total(conn.id, id);
                    w.list(
                        &conn.fields,
                        "RelatedEntityConnection",
                        &page,
                        total,
                        |row| Cursor::keyed(order, &row.sort, row.key),
                        |w, sels, row| {
                            let cursor = || Cursor::keyed(order, &row.sort, row.key);
                            w.entity_edge(sels, "RelatedEntityEdge", cursor, row.other_id, None)
                        },
                    )?;
                }
            }
            Ok(())
        })
    }

    /// An edge whose node is entity `id` (`row` when at hand, else read by
    /// id), at `cursor`.
    fn entity_edge(
        &mut self,
        fields: &Sels<EntityEdgeField>,
        type_name: &str,
        cursor: impl Fn() -> String,
        id: i64,
        row: Option<EntityRef<'_>>,
    ) -> Result<(), Bail> {
        self.object(fields, |w, f| {
            match f {
                EntityEdgeField::Typename => w.str(type_name),
                EntityEdgeField::Cursor => w.cursor(cursor()),
                EntityEdgeField::Node(sels) => match row {
                    Some(e) => w.entity(sels, e)?,
                    None => w.entity_by_id(sels, id)?,
                },
            }
            Ok(())
        })
    }

    /// The `totalCount` of connection `conn` at `anchor`.
    fn total(&self, conn: usize, anchor: i64) -> Option<u64> {
        self.data.counts.get(&(conn, anchor)).copied()
    }

    fn entity_by_id(&mut self, fields: &Sels<EntityField>, id: i64) -> Result<(), Bail> {
        let data = self.data;
        let shape = entity_shape(fields);
        let e = match (data.entities.get(id, shape).ok_or(Bail)?, shape) {
            (Held::Row(e), EntityShape::Row) => EntityRef::Full(e),
            (held, _) => EntityRef::Named(id, held.name()),
        };
        self.entity(fields, e)
    }

    /// A connection object over `page`.
    #[allow(clippy::too_many_arguments)]
    fn list<T, E>(
        &mut self,
        fields: &Sels<ListField<E>>,
        type_name: &str,
        page: &Page<T>,
        total: Option<u64>,
        cursor: impl Fn(&T) -> String,
        mut edge: impl FnMut(&mut Self, &Sels<E>, &T) -> Result<(), Bail>,
    ) -> Result<(), Bail> {
        self.object(fields, |w, f| {
            match f {
                ListField::Typename => w.str(type_name),
                ListField::TotalCount => w.int(total.ok_or(Bail)?),
                ListField::PageInfo(sels) => w.object(sels, |w, f| {
                    match f {
                        PageInfoField::Typename => w.str("PageInfo"),
                        PageInfoField::HasNextPage => w.bool(page.has_next),
                        PageInfoField::HasPreviousPage => w.bool(page.has_previous),
                        PageInfoField::StartCursor => match page.items.first() {
                            Some(t) => w.cursor(cursor(t)),
                            None => w.out.push_str("null"),
                        },
                        PageInfoField::EndCursor => match page.items.last() {
                            Some(t) => w.cursor(cursor(t)),
                            None => w.out.push_str("null"),
                        },
                    }
                    Ok(())
                })?,
                ListField::Edges(sels) => {
                    w.out.push('[');
                    for (i, item) in page.items.iter().enumerate() {
                        if i > 0 {
                            w.out.push(',');
                        }
                        edge(w, sels, item)?;
                    }
                    w.out.push(']');
                }
            }
            Ok(())
        })
    }

    /// An edge of `Entity.relations` seen from `anchor`, at `cursor`, to
    /// `other`; `edge` is the relation's row, when the page read it (not
    /// for lean pages, whose edges ask for no more).
    fn relation_edge(
        &mut self,
        fields: &Sels<EntityRelationEdgeField>,
        anchor: i64,
        cursor: impl Fn() -> String,
        other: i64,
        edge: Option<&Edge>,
    ) -> Result<(), Bail> {
        self.object(fields, |w, f| {
            match f {
                EntityRelationEdgeField::Typename => w.str("EntityRelationEdge"),
                EntityRelationEdgeField::Cursor => w.cursor(cursor()),
                EntityRelationEdgeField::Direction => {
                    let edge = edge.ok_or(Bail)?;
                    w.str(
                        match edge.relation.direction_from(anchor, edge.bidirectional) {
                            Direction::Outgoing => "OUTGOING",
                            Direction::Incoming => "INCOMING",
                            Direction::Both => "BOTH",
                        },
                    )
                }
                EntityRelationEdgeField::Other(sels) => w.entity_by_id(sels, other)?,
                EntityRelationEdgeField::Node(sels) => {
                    w.relation(sels, &edge.ok_or(Bail)?.relation)?
                }
            }
            Ok(())
        })
    }

    fn relation(&mut self, fields: &Sels<RelationField>, r: &Relation) -> Result<(), Bail> {
        self.object(fields, |w, f| {
            match f {
                RelationField::Typename => w.str("Relation"),
                RelationField::Id => w.global_id(NodeType::Relation, r.id),
                RelationField::LegacyId => w.int(r.id),
                RelationField::Type(sels) => {
                    let data = w.data;
                    w.relation_type(sels, data.types.get(&r.type_id).ok_or(Bail)?)?
                }
                RelationField::From(sels) => w.entity_by_id(sels, r.from_id)?,
                RelationField::To(sels) => w.entity_by_id(sels, r.to_id)?,
                RelationField::Label => w.opt_str(r.attributes.label.as_deref()),
                RelationField::Comment => w.opt_str(r.attributes.comment.as_deref()),
                RelationField::Attitude => match r.attributes.attitude {
                    Some(a) => w.int(a),
                    None => w.out.push_str("null"),
                },
                RelationField::Colour => w.opt_str(r.attributes.colour.as_deref()),
                RelationField::Pinned => w.bool(r.attributes.pinned),
                RelationField::IsPrivate => w.bool(r.attributes.is_private),
                RelationField::CreatedAt => w.time(&r.created_at),
                RelationField::UpdatedAt => w.time(&r.updated_at),
            }
            Ok(())
        })
    }

    fn relation_type(
        &mut self,
        fields: &Sels<RelationTypeField>,
        t: &RelationType,
    ) -> Result<(), Bail> {
        self.object(fields, |w, f| {
            match f {
                RelationTypeField::Typename => w.str("RelationType"),
                RelationTypeField::Id => w.global_id(NodeType::RelationType, t.id),
                RelationTypeField::Source => w.str(&t.source),
                RelationTypeField::Alias => w.str(&t.alias),
                RelationTypeField::Name => w.str(&t.name),
                RelationTypeField::Bidirectional => w.bool(t.bidirectional),
                RelationTypeField::Updatable => w.bool(t.updatable),
                RelationTypeField::SystemManaged => w.bool(t.system_managed),
                RelationTypeField::BuiltIn => w.bool(t.built_in),
                RelationTypeField::SameSpace => w.bool(t.contract.same_space),
                RelationTypeField::AllowSelf => w.bool(t.contract.allow_self),
                RelationTypeField::Symmetric => w.bool(t.contract.symmetric),
                RelationTypeField::CreatedAt => w.time(&t.created_at),
                RelationTypeField::UpdatedAt => w.time(&t.updated_at),
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::push_str;

    /// Strings are escaped byte for byte as serde_json (and so async-graphql's
    /// responses) escape them.
    #[test]
    fn strings_escape_as_serde_json_does() {
        let samples = [
            "plain",
            "quote \" and backslash \\",
            "lines\nand\ttabs\r",
            "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f}",
            "unicode: é ü 漢字 🙂 / </script>",
            "",
        ];
        for s in samples {
            let mut ours = String::new();
            push_str(&mut ours, s);
            assert_eq!(ours, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }
}

//! Opaque global ids (`Node.id`) and their parsing.
//!
//! A global id is the URL-safe base64 of `Type:rowid`. Clients must treat it as
//! opaque; the encoding is an implementation detail that may change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};

/// The kinds of node a global id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeType {
    /// An [`crate::domain::Entity`].
    Entity,
    /// A [`crate::domain::Relation`].
    Relation,
    /// A [`crate::domain::RelationType`].
    RelationType,
}

impl NodeType {
    fn as_str(self) -> &'static str {
        match self {
            NodeType::Entity => "Entity",
            NodeType::Relation => "Relation",
            NodeType::RelationType => "RelationType",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "Entity" => Some(NodeType::Entity),
            "Relation" => Some(NodeType::Relation),
            "RelationType" => Some(NodeType::RelationType),
            _ => None,
        }
    }
}

/// A decoded global id: which table, which row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId {
    /// The node's type.
    pub node_type: NodeType,
    /// The row id in the store.
    pub id: i64,
}

impl GlobalId {
    /// The global id of row `id` of `node_type`.
    pub fn new(node_type: NodeType, id: i64) -> Self {
        Self { node_type, id }
    }

    /// The opaque string form.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.node_type.as_str(), self.id))
    }

    /// Parses any global id; `BAD_USER_INPUT` when it is not one of ours.
    pub fn decode(raw: &str) -> AppResult<Self> {
        let malformed = || AppError::bad_input(format!("malformed global id {raw:?}"));
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim_end_matches('='))
            .map_err(|_| malformed())?;
        let text = String::from_utf8(bytes).map_err(|_| malformed())?;
        let (ty, id) = text.split_once(':').ok_or_else(malformed)?;
        let node_type = NodeType::parse(ty).ok_or_else(malformed)?;
        let id = id.parse::<i64>().map_err(|_| malformed())?;
        if id <= 0 {
            return Err(malformed());
        }
        Ok(Self { node_type, id })
    }

    /// Parses a global id that must name a node of `expected` type; `field`
    /// names the argument in the error message.
    pub fn decode_as(raw: &str, expected: NodeType, field: &str) -> AppResult<i64> {
        let id = Self::decode(raw)?;
        if id.node_type != expected {
            return Err(AppError::bad_input(format!(
                "{field} must be the id of a {}, got the id of a {}",
                expected.as_str(),
                id.node_type.as_str()
            )));
        }
        Ok(id.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_id_round_trips() {
        let id = GlobalId::new(NodeType::Relation, 42);
        assert_eq!(GlobalId::decode(&id.encode()).unwrap(), id);
    }

    #[test]
    fn malformed_global_ids_are_bad_input() {
        for raw in [
            "",
            "!!!",
            "RW50aXR5",
            "Rm9vOjE",
            "RW50aXR5Ong",
            "RW50aXR5Oi0x",
        ] {
            let err = GlobalId::decode(raw).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT", "{raw}");
        }
    }

    #[test]
    fn an_id_of_the_wrong_type_is_bad_input() {
        let raw = GlobalId::new(NodeType::Entity, 1).encode();
        let err = GlobalId::decode_as(&raw, NodeType::Relation, "id").unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }
}

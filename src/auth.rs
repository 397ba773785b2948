//! Who is calling, and what they may do.
//!
//! Every request runs as a [`Principal`] with a [`Role`]. Until tokens exist
//! the server runs in open development mode, where everyone is an admin (and
//! the server listens on loopback only).

/// What a caller may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Queries.
    Read,
    /// Queries, and writes of entities and relations.
    Write,
    /// Everything, including relation types and private relations.
    Admin,
}

impl Role {
    /// The role's name as the command line and errors spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Name of the token (or `open-mode`).
    pub name: String,
    /// What it may do.
    pub role: Role,
}

impl Principal {
    /// The caller in open development mode: an admin.
    pub fn open_mode() -> Self {
        Self {
            name: "open-mode".to_owned(),
            role: Role::Admin,
        }
    }

    /// May this caller see private relations?
    pub fn sees_private(&self) -> bool {
        self.role >= Role::Admin
    }

    /// `FORBIDDEN` unless the caller has at least `role`.
    pub fn require(&self, role: Role, action: &str) -> crate::error::AppResult<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(crate::error::AppError::Forbidden(format!(
                "{action} needs the {} role; this token has {}",
                role.as_str(),
                self.role.as_str()
            )))
        }
    }
}

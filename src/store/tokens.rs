//! Queries on `api_tokens`. The reads go through a [`super::Reader`], so
//! they fail fast and run again on a broken connection as every read does.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Store;
use super::models::api_token::{self, Column, Model};
use crate::error::AppResult;

pub use super::models::api_token::Model as TokenRow;

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Public key id.
    pub key_id: String,
    /// Unique name.
    pub name: String,
    /// `read`, `write`, `admin`.
    pub role: String,
    /// Optional email bound to the token.
    pub email: Option<String>,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts a token.
pub async fn insert(store: &Store, t: &NewToken) -> AppResult<Model> {
    let db = store.db();
    let row = api_token::ActiveModel {
        key_id: Set(t.key_id.clone()),
        name: Set(t.name.clone()),
        role: Set(t.role.clone()),
        email: Set(t.email.clone()),
        secret_hash: Set(t.secret_hash.clone()),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        expires_at: Set(t.expires_at),
        revoked_at: Set(None),
        ..Default::default()
    };
    Ok(api_token::Entity::insert(row)
        .exec_with_returning(db)
        .await?)
}

/// The token with this key id.
pub async fn by_key_id(store: &Store, key_id: &str) -> AppResult<Option<Model>> {
    let db = &super::Reader::new(store);
    Ok(api_token::Entity::find()
        .filter(Column::KeyId.eq(key_id))
        .one(db)
        .await?)
}

/// The token with this name.
pub async fn by_name(store: &Store, name: &str) -> AppResult<Option<Model>> {
    let db = &super::Reader::new(store);
    Ok(api_token::Entity::find()
        .filter(Column::Name.eq(name))
        .one(db)
        .await?)
}

/// Every token, oldest first.
pub async fn all(store: &Store) -> AppResult<Vec<Model>> {
    let db = &super::Reader::new(store);
    Ok(api_token::Entity::find()
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Is there any token (revoked or not)? While there is none, the server runs
/// in open development mode.
pub async fn any(store: &Store) -> AppResult<bool> {
    let db = &super::Reader::new(store);
    Ok(api_token::Entity::find()
        .select_only()
        .column(Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// Marks token `id` revoked now; false if it was already revoked.
pub async fn revoke(store: &Store, id: i64) -> AppResult<bool> {
    let db = store.db();
    let res = api_token::Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Records that token `id` was used now.
pub async fn touch(store: &Store, id: i64) -> AppResult<()> {
    let db = store.db();
    api_token::Entity::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The names of the tokens that no longer authenticate: revoked, or
/// expired by `now`.
pub async fn ended(store: &Store, now: DateTime<Utc>) -> AppResult<Vec<String>> {
    let db = &super::Reader::new(store);
    Ok(api_token::Entity::find()
        .select_only()
        .column(Column::Name)
        .filter(
            sea_orm::Condition::any()
                .add(Column::RevokedAt.is_not_null())
                .add(Column::ExpiresAt.lte(now)),
        )
        .into_tuple::<String>()
        .all(db)
        .await?)
}

//! Users and login tokens.
//!
//! A user is the record `user:⟨username⟩` and a token `token:⟨token_hash⟩`, so every lookup is
//! a single-record read. Only the hash of a token is ever stored. These writes are rare and go
//! straight to SurrealDB rather than through the event writer.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use super::{Store, StoreError};

/// A user account.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, SurrealValue)]
pub struct UserRecord {
    pub username: String,
    pub password_hash: String,
    pub role: String,
    /// The region code the user belongs to.
    pub region: String,
    pub display_name: String,
}

/// A login token, stored by the hash of its secret.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, SurrealValue)]
pub struct TokenRecord {
    pub token_hash: String,
    pub username: String,
    pub expires_at: DateTime<Utc>,
}

const USER_FIELDS: &str = "username, password_hash, role, region, display_name";

impl Store {
    /// Inserts a user, or replaces the one with the same username.
    pub async fn put_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        let id = RecordId::new("user", user.username.as_str());
        let mut response = self
            .db
            .query("UPSERT $id CONTENT $record RETURN NONE")
            .bind(("id", id))
            .bind(("record", user.clone()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    pub async fn get_user(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let id = RecordId::new("user", username);
        let query = format!("SELECT {USER_FIELDS} FROM ONLY $id");
        let mut response = self.db.query(query).bind(("id", id)).await?;
        Ok(response.take(0)?)
    }

    /// Every user, ordered by username.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let query = format!("SELECT {USER_FIELDS} FROM user ORDER BY username");
        let mut response = self.db.query(query).await?;
        Ok(response.take(0)?)
    }

    /// Inserts a token, or replaces the one with the same hash.
    pub async fn put_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        let id = RecordId::new("token", token.token_hash.as_str());
        let mut response = self
            .db
            .query("UPSERT $id CONTENT $record RETURN NONE")
            .bind(("id", id))
            .bind(("record", token.clone()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Removes a token (a sign-out); removing one that is not there is not an error.
    pub async fn delete_token(&self, token_hash: &str) -> Result<(), StoreError> {
        let id = RecordId::new("token", token_hash);
        let mut response = self
            .db
            .query("DELETE $id RETURN NONE")
            .bind(("id", id))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    pub async fn get_token(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let id = RecordId::new("token", token_hash);
        let mut response = self
            .db
            .query("SELECT token_hash, username, expires_at FROM ONLY $id")
            .bind(("id", id))
            .await?;
        Ok(response.take(0)?)
    }
}

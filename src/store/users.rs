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
    /// When the token was last used, as of the last time that was written down (at most
    /// once a minute); `None` for tokens from before idle sessions were ended.
    #[serde(default)]
    pub last_used: Option<DateTime<Utc>>,
}

/// An account's recent wrong passwords and lock (see `auth::lockout`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, SurrealValue)]
pub struct LockoutRecord {
    pub failures: Vec<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
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
            .query("SELECT token_hash, username, expires_at, last_used FROM ONLY $id")
            .bind(("id", id))
            .await?;
        Ok(response.take(0)?)
    }

    /// Notes that a token was used at `at` (a token already removed stays removed).
    pub async fn touch_token(&self, token_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let id = RecordId::new("token", token_hash);
        let mut response = self
            .db
            .query("UPDATE $id SET last_used = $at RETURN NONE")
            .bind(("id", id))
            .bind(("at", at))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Removes every token that expired before `now`; returns how many there were.
    pub async fn purge_expired_tokens(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut response = self
            .db
            .query("DELETE token WHERE expires_at < $now RETURN BEFORE")
            .bind(("now", now))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        let removed: Vec<TokenRecord> = response.take(0)?;
        Ok(removed.len())
    }

    /// Removes every token of a user (their sessions end: a password change, an unlock).
    pub async fn delete_tokens_of(&self, username: &str) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("DELETE token WHERE username = $username RETURN NONE")
            .bind(("username", username.to_owned()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// An account's lockout record (empty when it has none).
    pub async fn get_lockout(&self, username: &str) -> Result<LockoutRecord, StoreError> {
        let id = RecordId::new("login_guard", username);
        let mut response = self
            .db
            .query("SELECT failures, locked_until FROM ONLY $id")
            .bind(("id", id))
            .await?;
        let record: Option<LockoutRecord> = response.take(0)?;
        Ok(record.unwrap_or_default())
    }

    /// Replaces an account's lockout record.
    pub async fn put_lockout(
        &self,
        username: &str,
        record: &LockoutRecord,
    ) -> Result<(), StoreError> {
        let id = RecordId::new("login_guard", username);
        let mut response = self
            .db
            .query("UPSERT $id CONTENT $record RETURN NONE")
            .bind(("id", id))
            .bind(("record", record.clone()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Forgets an account's failures and lock (a good sign-in, `users unlock`).
    pub async fn clear_lockout(&self, username: &str) -> Result<(), StoreError> {
        let id = RecordId::new("login_guard", username);
        let mut response = self
            .db
            .query("DELETE $id RETURN NONE")
            .bind(("id", id))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }
}

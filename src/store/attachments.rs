//! Photos attached to a warning (a steward's proof of rectification).
//!
//! Each attachment is the record `attachment:⟨id⟩` holding its metadata and its bytes as
//! base64 text: SurrealDB keeps one string field cheaply, and the store never looks inside.
//! Attachments are written once and never changed, so they go straight to SurrealDB rather
//! than through the event writer; the event that cites them (`rectification_submitted`)
//! names their ids.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use super::{Store, StoreError};

/// One stored file.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    pub id: String,
    /// The id of the warning it belongs to.
    pub warning: String,
    /// The file name the uploader gave.
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub uploaded_by: String,
    pub at: DateTime<Utc>,
}

/// What is known of an attachment without its bytes.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, SurrealValue)]
pub struct AttachmentInfo {
    pub warning: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

/// The record as stored.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, SurrealValue)]
struct AttachmentRecord {
    warning: String,
    name: String,
    content_type: String,
    size: u64,
    data: String,
    uploaded_by: String,
    at: DateTime<Utc>,
}

impl Store {
    /// Stores an attachment under its id.
    pub async fn put_attachment(&self, attachment: &Attachment) -> Result<(), StoreError> {
        let record = AttachmentRecord {
            warning: attachment.warning.clone(),
            name: attachment.name.clone(),
            content_type: attachment.content_type.clone(),
            size: attachment.bytes.len() as u64,
            data: STANDARD.encode(&attachment.bytes),
            uploaded_by: attachment.uploaded_by.clone(),
            at: attachment.at,
        };
        let mut response = self
            .db
            .query("CREATE $id CONTENT $record RETURN NONE")
            .bind(("id", RecordId::new("attachment", attachment.id.as_str())))
            .bind(("record", record))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// An attachment with its bytes, if it exists.
    pub async fn get_attachment(&self, id: &str) -> Result<Option<Attachment>, StoreError> {
        let mut response = self
            .db
            .query("SELECT warning, name, content_type, size, data, uploaded_by, at FROM ONLY $id")
            .bind(("id", RecordId::new("attachment", id)))
            .await?;
        let record: Option<AttachmentRecord> = response.take(0)?;
        record
            .map(|r| {
                let bytes = STANDARD.decode(&r.data).map_err(|e| {
                    StoreError::Database(format!("attachment {id} holds corrupt data: {e}"))
                })?;
                Ok(Attachment {
                    id: id.to_string(),
                    warning: r.warning,
                    name: r.name,
                    content_type: r.content_type,
                    bytes,
                    uploaded_by: r.uploaded_by,
                    at: r.at,
                })
            })
            .transpose()
    }

    /// An attachment's metadata without reading its bytes, if it exists.
    pub async fn attachment_info(&self, id: &str) -> Result<Option<AttachmentInfo>, StoreError> {
        let mut response = self
            .db
            .query("SELECT warning, name, content_type, size FROM ONLY $id")
            .bind(("id", RecordId::new("attachment", id)))
            .await?;
        Ok(response.take(0)?)
    }

    /// How many photos the warning holds, and how many the user uploaded at or after
    /// `since`: what the photo quotas are checked against. Both are read through indexes.
    pub async fn attachment_counts(
        &self,
        warning: &str,
        uploader: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, u64), StoreError> {
        let mut response = self
            .db
            .query(
                "(SELECT count() AS n FROM attachment WHERE warning = $warning GROUP ALL)[0].n ?? 0;
                 (SELECT count() AS n FROM attachment
                    WHERE uploaded_by = $uploader AND at >= $since GROUP ALL)[0].n ?? 0;",
            )
            .bind(("warning", warning.to_string()))
            .bind(("uploader", uploader.to_string()))
            .bind(("since", since))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        let on_warning: Option<u64> = response.take(0)?;
        let by_user: Option<u64> = response.take(1)?;
        Ok((on_warning.unwrap_or(0), by_user.unwrap_or(0)))
    }
}

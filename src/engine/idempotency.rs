//! Idempotency keys: a command sent again with the same key is answered with its first
//! result instead of running twice; the same key with another request is refused.

use super::*;

impl Engine {
    /// Scopes an idempotency key to its issuer and looks up a stored first result.
    pub(super) async fn prepare_key(
        &self,
        issuer: Issuer<'_>,
        key: Option<&str>,
        request: &serde_json::Value,
    ) -> Result<Option<PreparedKey>, EngineError> {
        let Some(key) = key else { return Ok(None) };
        let scoped = format!("{}:{}", issuer.name(), key);
        let request_hash = hex::encode(Sha256::digest(
            fingerprint::canonical_json(request).as_bytes(),
        ));
        let replay = match self.store.find_command(&scoped).await? {
            None => None,
            Some((stored_hash, result)) => {
                if stored_hash != request_hash {
                    return Err(EngineError::KeyReused(key.to_string()));
                }
                let warning: Warning = serde_json::from_value(result)
                    .map_err(|e| EngineError::Store(StoreError::Database(e.to_string())))?;
                Some(Outcome {
                    warning,
                    replayed: true,
                })
            }
        };
        Ok(Some(PreparedKey {
            key: scoped,
            request_hash,
            replay,
        }))
    }
}

/// An idempotency key scoped to its issuer, the hash of the request it came with, and the
/// stored first result if the command was already executed.
#[derive(Clone, Debug)]
pub(super) struct PreparedKey {
    pub(super) key: String,
    pub(super) request_hash: String,
    pub(super) replay: Option<Outcome>,
}

/// A retried command raced its first execution: answer with the stored first result.
pub(super) fn replay_result(
    ours: Option<(String, String)>,
    stored_hash: &str,
    result: serde_json::Value,
) -> Result<Outcome, EngineError> {
    let (key, hash) = ours.unwrap_or_default();
    if hash != stored_hash {
        return Err(EngineError::KeyReused(key));
    }
    let warning: Warning = serde_json::from_value(result)
        .map_err(|e| EngineError::Store(StoreError::Database(e.to_string())))?;
    Ok(Outcome {
        warning,
        replayed: true,
    })
}

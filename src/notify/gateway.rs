//! What the HTTP channels share: a client that follows no redirects and gives up in
//! time, a response body read only up to a cap, and what an HTTP status means for a
//! retry.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::channel::SendError;

/// The most of a gateway's answer that is read: theirs are a few hundred bytes, and a
/// hostile or broken one must not cost unbounded memory.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A client for one channel. Redirects are not followed: a gateway that redirects is
/// misconfigured, and following would send the message (and a signed URL) elsewhere.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("qingfeng/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with rustls and no custom roots builds")
}

/// A gateway's answer, its body cut off at [`MAX_RESPONSE_BYTES`].
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub retry_after: Option<Duration>,
}

/// Sends `request` and reads the answer. A connection that fails or times out is
/// retryable: the message may be sent again later. An answer over the cap is retryable
/// too (it cannot be read, so whether the gateway took the message is unknown, and a
/// duplicate notice is better than a lost one).
pub async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, SendError> {
    let mut response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(SendError::retryable(format!(
                "HTTP {status}: the answer is over {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        body,
        retry_after,
    })
}

fn transport_error(error: reqwest::Error) -> SendError {
    // The URL is left out: a webhook's carries its access token.
    let error = error.without_url();
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "transport failed"
    };
    SendError::retryable(format!("{what}: {error}"))
}

/// `Retry-After` in seconds (the HTTP-date form is not used by these gateways).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds.min(24 * 3600)))
}

/// The error an HTTP status means when the body says nothing better: 429 is a rate
/// limit, 408 and 5xx may pass, anything else will not.
pub fn status_error(answer: &Answer) -> SendError {
    let status = answer.status;
    if status == StatusCode::TOO_MANY_REQUESTS {
        SendError::RateLimited {
            retry_after: answer.retry_after,
        }
    } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        SendError::Retryable {
            reason: format!("HTTP {status}"),
            retry_after: answer.retry_after,
        }
    } else {
        SendError::permanent(format!("HTTP {status}"))
    }
}

/// The first `max` bytes of `text` at most, cut at a character boundary, with an
/// ellipsis when anything was cut (the robots refuse longer messages).
pub fn truncate_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let ellipsis = "…";
    let mut end = max.saturating_sub(ellipsis.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ellipsis}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_characters_within_the_limit() {
        let text = "清风".repeat(10); // 60 bytes
        assert_eq!(truncate_bytes(&text, 60), text);
        let cut = truncate_bytes(&text, 10);
        assert!(cut.len() <= 10, "{}", cut.len());
        assert_eq!(cut, "清风…");
    }

    #[test]
    fn statuses_map_to_what_a_retry_can_do() {
        let answer = |status: u16| Answer {
            status: StatusCode::from_u16(status).unwrap(),
            body: Vec::new(),
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(
            status_error(&answer(429)),
            SendError::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert!(matches!(
            status_error(&answer(503)),
            SendError::Retryable { .. }
        ));
        assert!(matches!(
            status_error(&answer(404)),
            SendError::Permanent { .. }
        ));
    }
}

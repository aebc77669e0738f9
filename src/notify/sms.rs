//! SMS through a gateway shaped like Alibaba Cloud's `SendSms` (Dysmsapi, version
//! 2017-05-25), called RPC style and signed with signature version 1.0:
//!
//! 1. every parameter but `Signature`, sorted by name, each name and value
//!    percent-encoded by RFC 3986 (only `A–Z a–z 0–9 - _ . ~` left as they are, a space
//!    as `%20`), joined as `name=value&…`: the canonical query;
//! 2. `StringToSign = METHOD & percent("/") & percent(canonical query)`;
//! 3. `Signature = base64(HMAC-SHA1(key = secret + "&", StringToSign))`.
//!
//! The request is a POST with the parameters as a form body (the documented alternative
//! to a GET query), so phone numbers do not appear in any proxy's access log of URLs.
//! A message carries a template code and the values of its variables, never free text:
//! the wording is the approved template's (see `render`).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use sha1::Sha1;

use super::channel::{Address, Channel, Outgoing, Receipt, SendError};
use super::channel_settings::{SmsSettings, timeout};
use super::event::ChannelKind;
use super::gateway;
use super::render::Rendered;
use crate::clock::Clock;

/// RFC 3986's unreserved characters are the only ones left unencoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes as the signature requires (upper-case hex, `%20` for a space).
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// The parameters sorted by name, encoded and joined.
pub fn canonical_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature of a request made with `method` carrying `params` (without
/// `Signature`), base64 and not yet encoded for the query.
pub fn sign(method: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
    let string_to_sign = format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    );
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// Sends SMS through the gateway of `[channels.sms]`.
pub struct SmsChannel {
    endpoint: String,
    access_key_id: String,
    secret: String,
    sign_name: String,
    region: String,
    param_max_chars: usize,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
}

/// The gateway's answer; the same shape for success and refusal.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SmsAnswer {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    biz_id: Option<String>,
}

impl SmsChannel {
    /// `secret` is the AccessKey secret itself; `clock` dates the requests (real time).
    pub fn new(settings: &SmsSettings, secret: String, clock: Arc<dyn Clock>) -> SmsChannel {
        SmsChannel {
            endpoint: settings.endpoint.clone(),
            access_key_id: settings.access_key_id.clone(),
            secret,
            sign_name: settings.sign_name.clone(),
            region: settings.region.clone(),
            param_max_chars: settings.param_max_chars,
            client: gateway::client(timeout(settings.timeout_seconds)),
            clock,
        }
    }

    /// Every parameter of the request but its signature.
    fn params(
        &self,
        msg: &Outgoing,
        phone: &str,
        code: &str,
        values: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let template_param: BTreeMap<&str, String> = values
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str(),
                    value.chars().take(self.param_max_chars).collect(),
                )
            })
            .collect();
        let timestamp = self.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        [
            ("AccessKeyId", self.access_key_id.clone()),
            ("Action", "SendSms".to_owned()),
            ("Format", "JSON".to_owned()),
            ("OutId", msg.key.clone()),
            ("PhoneNumbers", phone.to_owned()),
            ("RegionId", self.region.clone()),
            ("SignName", self.sign_name.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_owned()),
            ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
            ("SignatureVersion", "1.0".to_owned()),
            ("TemplateCode", code.to_owned()),
            (
                "TemplateParam",
                serde_json::to_string(&template_param).expect("a map of strings serializes"),
            ),
            ("Timestamp", timestamp),
            ("Version", "2017-05-25".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    async fn deliver(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let Address::Mobile(phone) = &msg.recipient else {
            return Err(SendError::permanent(format!(
                "SMS cannot reach {:?}",
                msg.recipient
            )));
        };
        let phone = mainland_mobile(phone).ok_or_else(|| {
            SendError::permanent(format!(
                "{} is not a mainland mobile number",
                msg.recipient.masked()
            ))
        })?;
        let Rendered::Sms {
            template_code,
            params,
        } = &msg.rendered
        else {
            return Err(SendError::permanent(
                "SMS sends only an approved template with parameters",
            ));
        };
        let params = self.params(msg, phone, template_code, params);
        let signature = sign("POST", &params, &self.secret);
        let body = format!(
            "{}&Signature={}",
            canonical_query(&params),
            percent_encode(&signature)
        );
        let request = self
            .client
            .post(&self.endpoint)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        let answer = gateway::exchange(request).await?;
        let Ok(parsed) = serde_json::from_slice::<SmsAnswer>(&answer.body) else {
            return Err(gateway::status_error(&answer));
        };
        match classify(&parsed.code) {
            None => Ok(Receipt {
                channel: ChannelKind::Sms,
                provider_id: parsed.biz_id,
            }),
            Some(Refusal::RateLimited) => Err(SendError::RateLimited {
                retry_after: answer.retry_after,
            }),
            Some(Refusal::Retryable) => Err(SendError::Retryable {
                reason: format!("{}: {}", parsed.code, parsed.message),
                retry_after: answer.retry_after,
            }),
            Some(Refusal::Permanent) => Err(SendError::permanent(format!(
                "{}: {}",
                parsed.code, parsed.message
            ))),
        }
    }
}

/// The number as the gateway takes it (11 digits starting with 1), from a number that
/// may carry `+86` or `86` in front.
fn mainland_mobile(number: &str) -> Option<&str> {
    let number = number.trim();
    let digits = number
        .strip_prefix("+86")
        .or_else(|| number.strip_prefix("86").filter(|rest| rest.len() == 11))
        .unwrap_or(number);
    let valid =
        digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then_some(digits)
}

enum Refusal {
    RateLimited,
    Retryable,
    Permanent,
}

/// What the gateway's `Code` means; `None` is success. The limits on one number (a
/// minute, an hour, a day) and on the account's call rate pass with time; system errors
/// and a reused nonce (a fresh one is drawn each attempt) may pass; every other code (a
/// wrong key or signature, an invalid number, an unapproved template or signature, an
/// empty balance) needs a person, so the message becomes a dead letter.
fn classify(code: &str) -> Option<Refusal> {
    match code {
        "OK" => None,
        "isv.BUSINESS_LIMIT_CONTROL"
        | "isv.DAY_LIMIT_CONTROL"
        | "isv.MONTH_LIMIT_CONTROL"
        | "Throttling"
        | "Throttling.User"
        | "Throttling.Api" => Some(Refusal::RateLimited),
        "isp.SYSTEM_ERROR" | "isp.GATEWAY_ERROR" | "InternalError" | "ServiceUnavailable"
        | "SignatureNonceUsed" => Some(Refusal::Retryable),
        _ => Some(Refusal::Permanent),
    }
}

impl Channel for SmsChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(self.deliver(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the gateway's documentation: these parameters, method GET
    /// and the secret `testSecret` sign to `zJDF+Lrzhj/ThnlvIToysFRq6t4=`.
    #[test]
    fn the_documented_example_signs_to_the_documented_signature() {
        let params: BTreeMap<String, String> = [
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert!(canonical_query(&params).contains(
            "SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8"
        ));
        assert!(
            canonical_query(&params).contains("TemplateParam=%7B%22customer%22%3A%22test%22%7D")
        );
        assert_eq!(
            sign("GET", &params, "testSecret"),
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="
        );
    }

    #[test]
    fn encoding_follows_rfc_3986_not_forms() {
        assert_eq!(percent_encode("a b*c~d+e/"), "a%20b%2Ac~d%2Be%2F");
        assert_eq!(percent_encode("-_."), "-_.");
    }

    #[test]
    fn mainland_numbers_are_recognised_with_or_without_the_country_code() {
        assert_eq!(mainland_mobile("13800138000"), Some("13800138000"));
        assert_eq!(mainland_mobile("+8613800138000"), Some("13800138000"));
        assert_eq!(mainland_mobile("8613800138000"), Some("13800138000"));
        for bad in [
            "",
            "1380013800",
            "23800138000",
            "1380013800x",
            "+85213800138000",
        ] {
            assert_eq!(mainland_mobile(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_are_classified_by_what_a_retry_can_do() {
        assert!(classify("OK").is_none());
        assert!(matches!(
            classify("isv.BUSINESS_LIMIT_CONTROL"),
            Some(Refusal::RateLimited)
        ));
        assert!(matches!(
            classify("isp.SYSTEM_ERROR"),
            Some(Refusal::Retryable)
        ));
        for code in [
            "isv.MOBILE_NUMBER_ILLEGAL",
            "isv.SMS_TEMPLATE_ILLEGAL",
            "SignatureDoesNotMatch",
            "isv.NEW_CODE",
        ] {
            assert!(matches!(classify(code), Some(Refusal::Permanent)), "{code}");
        }
    }
}

//! The SMS channel against a fake `SendSms` gateway that recomputes the signature.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use chrono::{TimeZone, Utc};
use hmac::{Hmac, Mac};
use qingfeng::notify::render::{deadline_text, severity_zh};
use qingfeng::notify::{
    Address, ChannelKind, NotifySettings, Outgoing, Rendered, SendError, Values,
};
use qingfeng::workflow::fact::{Fact, Origin, Severity};
use serde_json::json;
use sha1::Sha1;

use super::fake_gateway::{Gateway, rfc3986, serve};
use super::{channel, closed_port_url};

pub(super) const KEY_ID: &str = "LTAI-test";
pub(super) const SECRET: &str = "sms-secret-for-tests";
const TEMPLATES: [&str; 1] = ["SMS_470000001"];

#[derive(Default)]
pub(super) struct FakeSms {
    pub(super) gateway: Gateway,
    nonces: Mutex<HashSet<String>>,
}

/// The gateway's answer: its JSON shape with `Code` and `Message`.
fn answer(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"Code": code, "Message": message, "RequestId": "fake-request"});
    (status, axum::Json(body)).into_response()
}

/// The signature as the documentation describes it, computed here independently.
fn expected_signature(params: &BTreeMap<String, String>, secret: &str) -> String {
    let canonical = params
        .iter()
        .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("POST&%2F&{}", rfc3986(&canonical));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn send_sms(State(fake): State<Arc<FakeSms>>, uri: Uri, body: Bytes) -> Response {
    if let Some(response) = fake.gateway.intercept(&uri, &body).await {
        return response;
    }
    let mut params: BTreeMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(signature) = params.remove("Signature") else {
        return answer(
            StatusCode::BAD_REQUEST,
            "MissingSignature",
            "Signature is mandatory",
        );
    };
    let fixed = [
        ("Action", "SendSms"),
        ("Version", "2017-05-25"),
        ("Format", "JSON"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
    ];
    for (name, value) in fixed {
        if params.get(name).map(String::as_str) != Some(value) {
            return answer(StatusCode::BAD_REQUEST, "InvalidParameter", name);
        }
    }
    if params.get("AccessKeyId").map(String::as_str) != Some(KEY_ID) {
        return answer(
            StatusCode::NOT_FOUND,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        );
    }
    let Some(stamp) = params
        .get("Timestamp")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    else {
        return answer(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Format",
            "Timestamp",
        );
    };
    if (Utc::now() - stamp.with_timezone(&Utc)).num_minutes().abs() > 15 {
        return answer(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Expired",
            "Timestamp",
        );
    }
    if signature != expected_signature(&params, SECRET) {
        let message = "Specified signature is not matched with our calculation.";
        return answer(StatusCode::BAD_REQUEST, "SignatureDoesNotMatch", message);
    }
    let nonce = params.get("SignatureNonce").cloned().unwrap_or_default();
    if nonce.is_empty() || !fake.nonces.lock().unwrap().insert(nonce) {
        return answer(
            StatusCode::BAD_REQUEST,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        );
    }
    let phone = params.get("PhoneNumbers").cloned().unwrap_or_default();
    if phone.len() != 11 || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return answer(StatusCode::OK, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
    }
    if !TEMPLATES.contains(&params.get("TemplateCode").map(String::as_str).unwrap_or("")) {
        return answer(StatusCode::OK, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法");
    }
    let template_param = params
        .get("TemplateParam")
        .map(String::as_str)
        .unwrap_or("{}");
    if serde_json::from_str::<BTreeMap<String, String>>(template_param).is_err() {
        return answer(StatusCode::OK, "isv.INVALID_JSON_PARAM", "JSON参数不合法");
    }
    // One message a minute to the same number: the gateway's own flow control.
    if !fake.gateway.admit(1) {
        return answer(
            StatusCode::OK,
            "isv.BUSINESS_LIMIT_CONTROL",
            "触发分钟级流控Permits:1",
        );
    }
    let body = json!({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "fake"});
    axum::Json(body).into_response()
}

pub(super) async fn fake_sms() -> (Arc<FakeSms>, String) {
    let fake = Arc::new(FakeSms::default());
    let router = Router::new()
        .route("/", post(send_sms))
        .with_state(fake.clone());
    let addr = serve(router).await;
    (fake, format!("http://{addr}/"))
}

fn tables(endpoint: &str, extra: &str) -> String {
    format!(
        "[channels.sms]\nendpoint = \"{endpoint}\"\naccess_key_id = \"{KEY_ID}\"\naccess_key_secret_env = \"SMS_SECRET\"\nsign_name = \"清风监督\"\n{extra}"
    )
}

fn message(phone: &str, code: &str) -> Outgoing {
    Outgoing {
        key: "event-17:village_steward".into(),
        recipient: Address::Mobile(phone.into()),
        rendered: Rendered::Sms {
            template_code: code.into(),
            params: BTreeMap::from([
                ("code".into(), "YJ-2026-000017".into()),
                ("village".into(), "柳塘村".into()),
            ]),
        },
    }
}

#[tokio::test]
async fn a_signed_message_is_accepted_and_carries_its_key() {
    let (fake, endpoint) = fake_sms().await;
    let sms = channel(
        &tables(&endpoint, ""),
        &[("SMS_SECRET", SECRET)],
        ChannelKind::Sms,
    );
    let receipt = sms
        .send(&message("+8613800138000", TEMPLATES[0]))
        .await
        .unwrap();
    assert_eq!(receipt.provider_id.as_deref(), Some("900619746936498440^0"));
    let form = fake.gateway.requests()[0].form();
    assert_eq!(form["PhoneNumbers"], "13800138000");
    assert_eq!(form["OutId"], "event-17:village_steward");
    assert_eq!(form["SignName"], "清风监督");
    assert_eq!(form["RegionId"], "cn-hangzhou");
    let params: BTreeMap<String, String> = serde_json::from_str(&form["TemplateParam"]).unwrap();
    assert_eq!(params["village"], "柳塘村");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_permanent() {
    let (_fake, endpoint) = fake_sms().await;
    let sms = channel(
        &tables(&endpoint, ""),
        &[("SMS_SECRET", "not-the-secret")],
        ChannelKind::Sms,
    );
    let error = sms
        .send(&message("13800138000", TEMPLATES[0]))
        .await
        .unwrap_err();
    let SendError::Permanent { reason } = error else {
        panic!("a refused signature is permanent: {error:?}");
    };
    assert!(reason.contains("SignatureDoesNotMatch"), "{reason}");
}

#[tokio::test]
async fn the_gateways_refusals_are_classified() {
    let (fake, endpoint) = fake_sms().await;
    let sms = channel(
        &tables(&endpoint, ""),
        &[("SMS_SECRET", SECRET)],
        ChannelKind::Sms,
    );
    let unknown = sms
        .send(&message("13800138000", "SMS_999"))
        .await
        .unwrap_err();
    assert!(
        matches!(&unknown, SendError::Permanent { reason } if reason.contains("SMS_TEMPLATE_ILLEGAL")),
        "{unknown:?}"
    );
    // A number the channel itself knows is wrong never reaches the gateway.
    let before = fake.gateway.requests().len();
    let bad = sms
        .send(&message("1380013800", TEMPLATES[0]))
        .await
        .unwrap_err();
    assert!(matches!(bad, SendError::Permanent { .. }));
    assert_eq!(fake.gateway.requests().len(), before);
    // The second message within the minute meets the gateway's flow control.
    sms.send(&message("13800138000", TEMPLATES[0]))
        .await
        .unwrap();
    let limited = sms
        .send(&message("13800138000", TEMPLATES[0]))
        .await
        .unwrap_err();
    assert!(
        matches!(limited, SendError::RateLimited { .. }),
        "{limited:?}"
    );
}

#[tokio::test]
async fn failures_down_and_silence_are_retryable() {
    let (fake, endpoint) = fake_sms().await;
    let tables = tables(&endpoint, "timeout_seconds = 1\n");
    let sms = channel(&tables, &[("SMS_SECRET", SECRET)], ChannelKind::Sms);
    fake.gateway.fail_times(2);
    for _ in 0..2 {
        let error = sms
            .send(&message("13800138000", TEMPLATES[0]))
            .await
            .unwrap_err();
        assert!(matches!(error, SendError::Retryable { .. }), "{error:?}");
    }
    sms.send(&message("13800138000", TEMPLATES[0]))
        .await
        .unwrap();
    fake.gateway
        .flood
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let flooded = sms
        .send(&message("13800138000", TEMPLATES[0]))
        .await
        .unwrap_err();
    assert!(
        matches!(&flooded, SendError::Retryable { reason, .. } if reason.contains("65536")),
        "{flooded:?}"
    );
    fake.gateway
        .flood
        .store(false, std::sync::atomic::Ordering::SeqCst);
    fake.gateway
        .silent
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let started = std::time::Instant::now();
    let silent = sms
        .send(&message("13800138000", TEMPLATES[0]))
        .await
        .unwrap_err();
    assert!(
        matches!(&silent, SendError::Retryable { reason, .. } if reason.contains("timed out")),
        "{silent:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    let refused = channel(
        &self::tables(&closed_port_url("/"), ""),
        &[("SMS_SECRET", SECRET)],
        ChannelKind::Sms,
    );
    let error = refused
        .send(&message("13800138000", TEMPLATES[0]))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Retryable { reason, .. } if reason.contains("connect")),
        "{error:?}"
    );
}

/// A warning about a person, as a welfare rule raises it: the subject's name and ID
/// number are in its title, subject and evidence.
fn warning_about_a_person() -> Fact {
    Fact::Raised {
        region: "990102100201".parse().unwrap(),
        title: "张三（110101199003071234）名下有车仍领取低保".into(),
        severity: Severity::High,
        subject: "welfare_vehicle:110101199003071234".into(),
        origin: Origin::Rule {
            rule: "welfare_vehicle".into(),
            subject: "110101199003071234".into(),
        },
        evidence: json!({"name": "张三", "id_number": "110101199003071234", "plate": "粤A12345"}),
        deadline: Utc.with_ymd_and_hms(2026, 3, 9, 1, 0, 0).unwrap(),
        reminder: false,
    }
}

#[tokio::test]
async fn an_sms_about_a_warning_carries_no_name_or_id_number_of_its_subject() {
    let (fake, endpoint) = fake_sms().await;
    let file = format!(
        "{}\n[[route]]\nevent = \"raised\"\nto = [\"village_steward\"]\nchannels = [\"sms\"]\ntemplate = \"raised\"\n\n[templates.raised]\nsms_template_code = \"{}\"\nsms_params = {{ code = \"warning_number\", village = \"village\", rule = \"rule_name\", date = \"deadline\" }}\n",
        tables(&endpoint, ""),
        TEMPLATES[0]
    );
    let settings = NotifySettings::from_toml_str("test.toml", &file).unwrap();
    let Fact::Raised {
        deadline, severity, ..
    } = warning_about_a_person()
    else {
        unreachable!()
    };
    // Everything the outbox can fill a message with, for this warning.
    let values = Values {
        warning_number: "YJ-2026-000017".into(),
        village: "柳塘村".into(),
        town: "清溪镇".into(),
        rule_name: "低保对象名下有车".into(),
        severity: severity_zh(severity).into(),
        deadline: deadline_text(deadline),
        link: "https://qingfeng.example/screens/village/".into(),
        event: "新预警".into(),
    };
    let rendered = settings
        .template("raised")
        .unwrap()
        .render(ChannelKind::Sms, &values)
        .unwrap();
    let sms = channel(&file, &[("SMS_SECRET", SECRET)], ChannelKind::Sms);
    let outgoing = Outgoing {
        key: "e1:village_steward".into(),
        recipient: Address::Mobile("13800138000".into()),
        rendered,
    };
    sms.send(&outgoing).await.unwrap();
    let recorded = fake.gateway.requests();
    let form = recorded[0].form();
    let sent: String = form.values().cloned().collect::<Vec<_>>().join("\n");
    for personal in ["张三", "110101199003071234", "粤A12345"] {
        assert!(
            !sent.contains(personal),
            "the SMS request holds {personal}: {sent}"
        );
    }
    assert!(
        form["TemplateParam"].contains("柳塘村")
            && form["TemplateParam"].contains("2026-03-09 09:00")
    );
}

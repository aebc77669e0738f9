use super::*;
use crate::notify::backoff::RetryPolicy;
use crate::notify::render::Values;

const SHIPPED_TEXT: &str = include_str!("../../workflows/notifications.toml");

fn parse(text: &str) -> Result<NotifySettings, String> {
    NotifySettings::from_toml_str("notifications.toml", text).map_err(|e| e.to_string())
}

fn refused(text: &str) -> String {
    let message = parse(text).expect_err("the settings are refused");
    assert!(message.starts_with("notifications.toml"), "{message}");
    message
}

/// A small valid file, to vary one thing at a time.
const BASE: &str = r#"
[[route]]
event = "raised"
to = ["village_steward"]
channels = ["log"]
template = "t"

[templates.t]
title = "{event} {warning_number}"
body = "{village}"
"#;

fn occasion(event: EventKind, level: Colour) -> Occasion {
    Occasion {
        event,
        severity: Severity::High,
        level,
        held_by: None,
        days_before: None,
    }
}

#[test]
fn the_shipped_file_routes_every_event_through_the_log() {
    let settings = NotifySettings::builtin();
    let routed: BTreeSet<EventKind> = settings.routes.iter().map(|r| r.event).collect();
    assert_eq!(routed, EventKind::ALL.into_iter().collect());
    assert!(
        settings
            .routes
            .iter()
            .all(|r| r.channels == [ChannelKind::Log])
    );
    assert_eq!(settings.due_soon_days(), [2]);
    assert!(settings.channels.sms.is_none() && settings.channels.dingtalk.is_none());
    // Every template renders for the log with its placeholders filled.
    let values = Values {
        village: "柳塘村".into(),
        ..Values::default()
    };
    for (name, template) in &settings.templates {
        let rendered = template.render(ChannelKind::Log, &values).unwrap();
        assert!(!rendered.to_string().contains('{'), "{name}: {rendered}");
    }
}

#[test]
fn routes_match_by_event_and_filters() {
    let settings = NotifySettings::builtin();
    let red: Vec<&str> = settings
        .routes_for(occasion(EventKind::Raised, Colour::Red))
        .map(|r| r.template.as_str())
        .collect();
    assert_eq!(red, ["raised"]);
    let yellow: Vec<&str> = settings
        .routes_for(occasion(EventKind::Raised, Colour::Yellow))
        .map(|r| r.template.as_str())
        .collect();
    assert_eq!(yellow, ["reminder"]);
    let mut overdue = occasion(EventKind::Overdue, Colour::Red);
    overdue.held_by = Some(SupervisionLevel::City);
    let to: Vec<&Vec<Recipient>> = settings.routes_for(overdue).map(|r| &r.to).collect();
    assert_eq!(to.len(), 1);
    assert!(to[0].contains(&Recipient::CityOffice));
    overdue.held_by = None;
    assert_eq!(settings.routes_for(overdue).count(), 0);
    let mut due = occasion(EventKind::DueSoon, Colour::Red);
    due.days_before = Some(3);
    assert_eq!(settings.routes_for(due).count(), 0);
    due.days_before = Some(2);
    assert_eq!(settings.routes_for(due).count(), 1);
}

#[test]
fn a_severity_filter_narrows_a_route() {
    let text = BASE.replace(
        "event = \"raised\"",
        "event = \"raised\"\nseverities = [\"high\"]",
    );
    let settings = parse(&text).unwrap();
    let mut low = occasion(EventKind::Raised, Colour::Red);
    assert_eq!(settings.routes_for(low).count(), 1);
    low.severity = Severity::Low;
    assert_eq!(settings.routes_for(low).count(), 0);
}

#[test]
fn an_unknown_key_is_refused_with_its_name_and_line() {
    let message = refused(&BASE.replace("template = \"t\"", "template = \"t\"\ntemplat = \"t\""));
    assert!(message.contains("templat"), "{message}");
    assert!(message.contains("line 7"), "{message}");
}

#[test]
fn unknown_events_roles_and_channels_are_refused() {
    for (from, to, named) in [
        ("event = \"raised\"", "event = \"opened\"", "opened"),
        ("[\"village_steward\"]", "[\"mayor\"]", "mayor"),
        ("channels = [\"log\"]", "channels = [\"fax\"]", "fax"),
    ] {
        let message = refused(&BASE.replace(from, to));
        assert!(message.contains(named), "{message}");
    }
}

#[test]
fn a_route_to_an_undeclared_template_or_unconfigured_channel_is_refused() {
    let message = refused(&BASE.replace("template = \"t\"", "template = \"missing\""));
    assert!(message.contains("route[0] (raised)"), "{message}");
    assert!(message.contains("`missing`"), "{message}");
    let message = refused(&BASE.replace("[\"log\"]", "[\"log\", \"dingtalk\"]"));
    assert!(message.contains("[channels.dingtalk]"), "{message}");
}

#[test]
fn an_sms_route_needs_an_sms_template() {
    let text = format!(
        "{}\n[channels.sms]\nendpoint = \"https://sms.example/\"\naccess_key_id = \"id\"\naccess_key_secret_env = \"SMS_SECRET\"\nsign_name = \"清风\"\n",
        BASE.replace("[\"log\"]", "[\"sms\"]")
    );
    let message = refused(&text);
    assert!(message.contains("sms_template_code"), "{message}");
    let with_sms = text.replace(
        "body = \"{village}\"",
        "body = \"{village}\"\nsms_template_code = \"SMS_1\"\nsms_params = { code = \"warning_number\" }",
    );
    let settings = parse(&with_sms).unwrap();
    assert!(settings.channels.is_configured(ChannelKind::Sms));
}

#[test]
fn an_sms_parameter_outside_the_four_is_refused() {
    for field in ["town", "severity", "name", "id_number", "phone"] {
        let text = BASE.replace(
            "body = \"{village}\"",
            &format!(
                "body = \"x\"\nsms_template_code = \"SMS_1\"\nsms_params = {{ who = \"{field}\" }}"
            ),
        );
        let message = refused(&text);
        assert!(message.contains(field), "{field}: {message}");
        assert!(message.contains("warning_number"), "{message}");
    }
}

#[test]
fn sms_variable_names_follow_the_gateways_rules() {
    for name in ["1code", "mobile", "a-b"] {
        let text = BASE.replace(
            "body = \"{village}\"",
            &format!("body = \"x\"\nsms_template_code = \"SMS_1\"\nsms_params = {{ \"{name}\" = \"village\" }}"),
        );
        let message = refused(&text);
        assert!(message.contains("templates.t: sms_params"), "{message}");
    }
}

#[test]
fn an_unknown_placeholder_is_refused_with_the_template_named() {
    let message = refused(&BASE.replace("{village}", "{subject_name}"));
    assert!(message.contains("{subject_name}"), "{message}");
    assert!(message.contains("templates"), "{message}");
}

#[test]
fn route_shapes_are_checked() {
    let cases = [
        (
            "event = \"raised\"",
            "event = \"due_soon\"",
            "days_before is required",
        ),
        (
            "event = \"raised\"",
            "event = \"raised\"\ndays_before = 2",
            "due_soon only",
        ),
        (
            "event = \"raised\"",
            "event = \"raised\"\nheld_by = [\"town\"]",
            "overdue only",
        ),
        ("[\"village_steward\"]", "[]", "to: must name"),
        (
            "[\"village_steward\"]",
            "[\"town_office\", \"town_office\"]",
            "twice",
        ),
        (
            "event = \"raised\"",
            "event = \"raised\"\nlevels = []",
            "empty list",
        ),
    ];
    for (from, to, expected) in cases {
        let message = refused(&BASE.replace(from, to));
        assert!(message.contains(expected), "{to}: {message}");
    }
}

#[test]
fn channel_tables_are_checked() {
    let cases = [
        ("[channels.log]\nrate_per_minute = 0", "rate_per_minute"),
        (
            "[channels.log.retry]\nmax_attempts = 0\nbase_seconds = 1\nmax_seconds = 2",
            "max_attempts",
        ),
        (
            "[channels.wecom]\nwebhook = \"https://qyapi.example/cgi-bin/webhook/send\"",
            "key=",
        ),
        (
            "[channels.dingtalk]\nwebhook = \"ftp://x/?access_token=a\"\nsecret_env = \"S\"",
            "http",
        ),
        (
            "[channels.dingtalk]\nwebhook = \"https://x/?access_token=a\"\nsecret_env = \"SEC 123=\"",
            "environment variable",
        ),
        (
            "[channels.sms]\nendpoint = \"https://x/\"\naccess_key_id = \"i\"\naccess_key_secret_env = \"S\"\nsign_name = \"s\"\nquiet_hours = \"22-7\"",
            "22-7",
        ),
        (
            "[channels.email]\nhost = \"h\"\ntls = \"none\"\nfrom = \"not a mailbox\"",
            "from",
        ),
        (
            "[channels.email]\nhost = \"h\"\ntls = \"none\"\nfrom = \"a@b.cn\"\nuser = \"u\"\npassword_env = \"P\"",
            "unencrypted",
        ),
        (
            "[channels.email]\nhost = \"h\"\ntls = \"tls\"\nfrom = \"a@b.cn\"\nuser = \"u\"",
            "go together",
        ),
    ];
    for (table, expected) in cases {
        let message = refused(&format!("{BASE}\n{table}\n"));
        assert!(message.contains(expected), "{table}: {message}");
    }
}

#[test]
fn delivery_settings_have_the_documented_defaults() {
    let text = format!(
        "{BASE}\n[channels.dingtalk]\nwebhook = \"https://oapi.dingtalk.com/robot/send?access_token=a\"\nsecret_env = \"DT\"\n"
    );
    let settings = parse(&text).unwrap();
    let delivery = settings.channels.delivery(ChannelKind::DingTalk).unwrap();
    assert_eq!(delivery.rate_per_minute, 20);
    assert_eq!(delivery.retry, RetryPolicy::default());
    assert_eq!(delivery.quiet_hours, None);
    assert!(settings.channels.delivery(ChannelKind::WeCom).is_none());
    assert!(settings.channels.delivery(ChannelKind::Log).is_some());
}

#[test]
fn a_missing_file_is_named() {
    let message = NotifySettings::load(Path::new("/nonexistent/notifications.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("/nonexistent/notifications.toml"),
        "{message}"
    );
}

#[test]
fn the_shipped_text_is_the_builtin() {
    assert_eq!(parse(SHIPPED_TEXT).unwrap(), NotifySettings::builtin());
}

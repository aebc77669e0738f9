use chrono::TimeZone;

use super::*;

fn values() -> Values {
    Values {
        warning_number: "YJ-2026-000123".into(),
        village: "柳塘村".into(),
        town: "清溪镇".into(),
        rule_name: "低保对象名下有车".into(),
        severity: severity_zh(Severity::High).into(),
        deadline: "2026-03-09 09:00".into(),
        link: "https://qingfeng.example/screens/village/".into(),
        event: "新预警".into(),
    }
}

fn text(s: &str) -> Text {
    Text::try_from(s.to_owned()).unwrap()
}

#[test]
fn placeholders_are_filled_and_double_braces_are_literal() {
    let t = text("{{编号}} {warning_number}：{village}（{town}）{rule_name}，{deadline} 前");
    assert_eq!(
        t.fill(&values()),
        "{编号} YJ-2026-000123：柳塘村（清溪镇）低保对象名下有车，2026-03-09 09:00 前"
    );
}

#[test]
fn an_unknown_placeholder_is_refused_with_the_known_ones_listed() {
    let err = Text::try_from("您好 {name}".to_owned()).unwrap_err();
    assert!(err.contains("{name}"), "{err}");
    assert!(err.contains("warning_number"), "{err}");
    let err = Text::try_from("{village".to_owned()).unwrap_err();
    assert!(err.contains("not closed"), "{err}");
    let err = Text::try_from("a } b".to_owned()).unwrap_err();
    assert!(err.contains("}}"), "{err}");
}

#[test]
fn a_value_cannot_start_a_line_of_its_own() {
    let mut v = values();
    v.village = "柳塘村\n# 伪造标题\r".into();
    let filled = text("村：{village}").fill(&v);
    assert_eq!(filled, "村：柳塘村 # 伪造标题 ");
}

#[test]
fn sms_renders_only_its_declared_parameters() {
    let template = Template {
        title: Some(text("{event}")),
        body: Some(text("{town}")),
        sms: Some(SmsTemplate {
            code: "SMS_123".into(),
            params: BTreeMap::from([
                ("code".to_owned(), SmsField::WarningNumber),
                ("date".to_owned(), SmsField::Deadline),
            ]),
        }),
    };
    let Some(Rendered::Sms {
        template_code,
        params,
    }) = template.render(ChannelKind::Sms, &values())
    else {
        panic!("an SMS template renders to Rendered::Sms");
    };
    assert_eq!(template_code, "SMS_123");
    assert_eq!(
        params,
        BTreeMap::from([
            ("code".to_owned(), "YJ-2026-000123".to_owned()),
            ("date".to_owned(), "2026-03-09 09:00".to_owned()),
        ])
    );
}

#[test]
fn each_channel_kind_gets_its_shape_and_a_missing_part_is_none() {
    let template = Template {
        title: Some(text("【清风】{event}")),
        body: Some(text("{village}")),
        sms: None,
    };
    assert_eq!(
        template.render(ChannelKind::DingTalk, &values()),
        Some(Rendered::Markdown {
            title: "【清风】新预警".into(),
            body: "柳塘村".into()
        })
    );
    assert_eq!(
        template.render(ChannelKind::Email, &values()),
        Some(Rendered::Email {
            subject: "【清风】新预警".into(),
            body: "柳塘村".into()
        })
    );
    assert_eq!(template.render(ChannelKind::Sms, &values()), None);
}

#[test]
fn a_digest_heads_each_message_with_its_title() {
    let items = vec![
        Rendered::Markdown {
            title: "甲".into(),
            body: "一".into(),
        },
        Rendered::Markdown {
            title: "乙".into(),
            body: "二".into(),
        },
    ];
    let Some(Rendered::Markdown { title, body }) = digest(&items) else {
        panic!("markdown digests to markdown");
    };
    assert!(title.contains("2 条"), "{title}");
    assert_eq!(body, "#### 甲\n\n一\n\n---\n\n#### 乙\n\n二");
}

#[test]
fn sms_empty_and_mixed_lists_do_not_digest() {
    let sms = Rendered::Sms {
        template_code: "SMS_1".into(),
        params: BTreeMap::new(),
    };
    let markdown = Rendered::Markdown {
        title: "t".into(),
        body: "b".into(),
    };
    let email = Rendered::Email {
        subject: "t".into(),
        body: "b".into(),
    };
    assert_eq!(digest(&[sms.clone(), sms]), None);
    assert_eq!(digest(&[]), None);
    assert_eq!(digest(&[markdown, email.clone()]), None);
    assert!(matches!(digest(&[email]), Some(Rendered::Email { .. })));
}

#[test]
fn deadlines_are_shown_in_beijing_time() {
    let at = Utc.with_ymd_and_hms(2026, 3, 8, 17, 30, 0).unwrap();
    assert_eq!(deadline_text(at), "2026-03-09 01:30");
}

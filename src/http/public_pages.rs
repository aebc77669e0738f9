//! The markup of the public pages (maud: every value is escaped as it is written in). Plain
//! HTML with one stylesheet (`screens/public/public.css`) and no script, so a page is one
//! small request that works on any phone. Everything here is already public: names arrive
//! masked from the ledger.

use maud::{DOCTYPE, Markup, html};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::domain::date::Period;
use crate::domain::money::Fen;
use crate::public::{Month, OwnPayment, PublicPayment, Total};
use crate::regions::Region;

/// Payments listed on one page of a month.
pub const PAYMENTS_PER_PAGE: usize = 100;

/// A link in the trail at the top of a page: (address, name).
pub type Crumb = (String, String);

/// The page around a body: header, trail, footer.
pub fn layout(title: &str, crumbs: &[Crumb], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 惠民资金公开" }
                link rel="stylesheet" href="/public/assets/public.css";
                link rel="icon" href="/screens/assets/favicon.svg";
            }
            body {
                header.site {
                    a.brand href="/public" { "清风 · 惠民资金公开" }
                    nav { a.button href="/public/lookup" { "查本人" } " " a.button href="/public/report" { "我要反映" } }
                }
                @if !crumbs.is_empty() {
                    nav.crumbs aria-label="当前位置" {
                        @for (i, (href, name)) in crumbs.iter().enumerate() {
                            @if i > 0 { span.sep aria-hidden="true" { "›" } }
                            a href=(href) { (name) }
                        }
                    }
                }
                main { (body) }
                footer.site {
                    p { "公开的是市纪委监委已审核发布的发放记录。姓名已脱敏，不公开身份证号、银行账号、住址和电话。" }
                }
            }
        }
    }
}

/// The address of a region's page.
pub fn region_href(code: &str) -> String {
    format!("/public/region/{code}")
}

/// The address of a village's payments of one month.
pub fn month_href(village: &str, month: &Month) -> String {
    let fund = utf8_percent_encode(month.0.as_str(), NON_ALPHANUMERIC);
    format!("/public/region/{village}/{fund}/{}", month.1)
}

/// Yuan with thousands separators and two decimals: `12,345.60`.
pub fn yuan(amount: Fen) -> String {
    let plain = amount.to_string();
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |d| ("-", d));
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{cents}")
}

/// `2025年12月`.
pub fn period_text(period: Period) -> String {
    format!("{}年{}月", period.year(), period.month())
}

/// A table of totals by fund.
pub fn fund_table(totals: &[(String, Total)]) -> Markup {
    html! {
        @if totals.is_empty() {
            p.empty { "暂无已公开的发放记录。" }
        } @else {
            div.table-box { table.totals {
                thead { tr { th { "资金" } th.num { "笔数" } th.num { "金额（元）" } } }
                tbody {
                    @for (fund, total) in totals {
                        tr { td { (fund) } td.num { (total.payments) } td.num { (yuan(total.amount())) } }
                    }
                }
            } }
        }
    }
}

/// The regions below this one, each with what was paid there.
pub fn children_list(children: &[(&Region, Total)]) -> Markup {
    html! {
        ul.regions {
            @for (region, total) in children {
                li {
                    a href=(region_href(region.code.as_str())) {
                        span.name { (region.name) }
                        @if total.payments == 0 {
                            span.figure.none { "暂无公开" }
                        } @else {
                            span.figure { (yuan(total.amount())) " 元" }
                            span.count { (total.payments) " 笔" }
                        }
                    }
                }
            }
        }
    }
}

/// A region's published months: one row per fund and period, newest first; for a
/// village each row leads to the list of payments.
pub fn month_table(village: Option<&str>, months: &[(&Month, Total)]) -> Markup {
    html! {
        @if !months.is_empty() {
            div.table-box { table.months {
                thead { tr { th { "期间" } th { "资金" } th.num { "笔数" } th.num { "金额（元）" } } }
                tbody {
                    @for (month, total) in months {
                        tr {
                            td {
                                @if let Some(village) = village {
                                    a href=(month_href(village, month)) { (period_text(month.1)) }
                                } @else {
                                    (period_text(month.1))
                                }
                            }
                            td { (month.0.chinese_name()) }
                            td.num { (total.payments) }
                            td.num { (yuan(total.amount())) }
                        }
                    }
                }
            } }
        }
    }
}

/// One page of a month's payments and links to the other pages.
pub fn payment_table(payments: &[PublicPayment], page: usize, pages: usize, base: &str) -> Markup {
    html! {
        div.table-box { table.payments {
            thead { tr { th { "姓名" } th.num { "金额（元）" } th { "发放日期" } } }
            tbody {
                @for payment in payments {
                    tr { td { (payment.name) } td.num { (yuan(payment.amount)) } td { (payment.paid_on) } }
                }
            }
        } }
        @if pages > 1 {
            nav.pager aria-label="翻页" {
                @if page > 1 { a.button href={(base) "?page=" (page - 1)} { "上一页" } }
                span { "第 " (page) " / " (pages) " 页" }
                @if page < pages { a.button href={(base) "?page=" (page + 1)} { "下一页" } }
            }
        }
    }
}

/// 查本人: the form, and what it found (if it was sent).
pub fn lookup_body(
    name: &str,
    problem: Option<&str>,
    found: Option<&[(OwnPayment, String)]>,
) -> Markup {
    html! {
        h1 { "查本人" }
        p.lead { "输入本人姓名和身份证号，查看已公开的本人发放记录。每次查询都会留痕。" }
        form.lookup method="post" action="/public/lookup" autocomplete="off" {
            label for="name" { "姓名" }
            input #name type="text" name="name" required maxlength="20" value=(name);
            label for="id" { "身份证号" }
            input #id type="text" name="id" required maxlength="18" inputmode="text" pattern="[0-9]{17}[0-9Xx]";
            button.primary type="submit" { "查询" }
        }
        @if let Some(problem) = problem {
            p.problem role="alert" { (problem) }
        }
        @if let Some(found) = found {
            section.results aria-live="polite" {
                h2 { "查询结果" }
                @if found.is_empty() {
                    p.empty { "没有查到已公开的本人发放记录。发放记录在市纪委监委发布后才会公开。" }
                } @else {
                    div.table-box { table.payments {
                        thead { tr { th { "期间" } th { "资金" } th.num { "金额（元）" } th { "发放日期" } th { "村（社区）" } } }
                        tbody {
                            @for (own, village) in found {
                                tr {
                                    td { (period_text(own.month.1)) }
                                    td { (own.month.0.chinese_name()) }
                                    td.num { (yuan(own.payment.amount)) }
                                    td { (own.payment.paid_on) }
                                    td { (village) }
                                }
                            }
                        }
                    } }
                }
            }
        }
    }
}

/// A page that says what went wrong, in words a resident reads.
pub fn problem_page(title: &str, text: &str) -> Markup {
    layout(
        title,
        &[],
        html! {
            h1 { (title) }
            p.problem { (text) }
            p { a.button href="/public" { "返回首页" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_are_grouped_by_thousands() {
        assert_eq!(yuan(Fen::from_fen(0)), "0.00");
        assert_eq!(yuan(Fen::from_fen(80_000)), "800.00");
        assert_eq!(yuan(Fen::from_fen(123_456_789)), "1,234,567.89");
        assert_eq!(yuan(Fen::from_fen(-100_000)), "-1,000.00");
    }

    #[test]
    fn markup_is_escaped() {
        let page = problem_page("<b>", "<script>alert(1)</script>").into_string();
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
    }
}

//! The markup of 我要反映 (report a problem) and of a report's receipt page.

use maud::{Markup, html};

use super::challenge::Issued;
use crate::domain::region::{Level, RegionCode};
use crate::regions::{Region, RegionTree};

/// The categories a report may have: (wire name, what the public reads).
pub const CATEGORIES: [(&str, &str); 4] = [
    ("false_claim", "冒领、虚报"),
    ("favouritism", "优亲厚友"),
    ("extortion", "吃拿卡要"),
    ("other", "其他问题"),
];

/// The Chinese name of a category, if it is one.
pub fn category_name(code: &str) -> Option<&'static str> {
    CATEGORIES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// What the form had when it was sent back for a correction.
#[derive(Default)]
pub struct Draft {
    pub region: String,
    pub category: String,
    pub text: String,
    pub phone: String,
}

/// Above this many villages one list of every village is too long to choose from (and
/// to send: a province's 52,000 options are about 3 MB), so the form asks for the town
/// first. 杞县 (600 villages) keeps one list; 开封市 (2,528) and a province ask.
pub const ONE_LIST_MAX_VILLAGES: usize = 1_000;

/// Which villages the form offers.
pub enum Choice<'a> {
    /// Every village of the tree, grouped by town.
    Every,
    /// The villages of one town, chosen first.
    InTown(&'a Region),
    /// None yet: the town is chosen first.
    TownFirst,
}

impl<'a> Choice<'a> {
    /// What to offer for a tree, a town asked for in the query and the village of a draft.
    /// A draft's village decides its town, so a form sent back for a correction keeps it.
    pub fn of(regions: &'a RegionTree, town: Option<&str>, draft: &Draft) -> Choice<'a> {
        if regions.village_count() <= ONE_LIST_MAX_VILLAGES {
            return Choice::Every;
        }
        let town_of_draft = RegionCode::parse(&draft.region)
            .ok()
            .and_then(|code| regions.get(&code))
            .and_then(|village| village.parent)
            .and_then(|parent| regions.get(&parent));
        let asked = town
            .and_then(|code| RegionCode::parse(code).ok())
            .and_then(|code| regions.get(&code));
        match town_of_draft.or(asked) {
            Some(town) if town.level == Level::Town => Choice::InTown(town),
            _ => Choice::TownFirst,
        }
    }
}

/// The report form: where, what kind, what happened, a phone number and a photo if the
/// reporter wishes, and the challenge. In a large tree, first a form choosing the town.
pub fn report_form(
    regions: &RegionTree,
    choice: &Choice,
    draft: &Draft,
    challenge: &Issued,
    max_chars: usize,
    problem: Option<&str>,
) -> Markup {
    html! {
        h1 { "我要反映" }
        p.lead { "反映村（社区）干部和惠民资金发放中的问题。提交后会得到回执码，凭回执码查看办理进度和答复。电话号码只给镇纪委看，不公开。" }
        @if let Some(problem) = problem {
            p.problem role="alert" { (problem) }
        }
        @match choice {
            Choice::TownFirst => (town_form(regions)),
            _ => (full_form(regions, choice, draft, challenge, max_chars)),
        }
    }
}

/// The first step in a large tree: which town (乡镇、街道), by a plain GET so it works
/// without scripts.
fn town_form(regions: &RegionTree) -> Markup {
    html! {
        form.lookup method="get" action="/public/report" {
            label for="town" { "反映哪里：先选乡镇（街道）" }
            select #town name="town" required {
                option value="" { "请选择乡镇（街道）" }
                @for (county, towns) in towns_by_county(regions) {
                    optgroup label=(county) {
                        @for town in towns {
                            option value=(town.code.as_str()) { (town.name) }
                        }
                    }
                }
            }
            button.primary type="submit" { "下一步" }
        }
    }
}

fn full_form(
    regions: &RegionTree,
    choice: &Choice,
    draft: &Draft,
    challenge: &Issued,
    max_chars: usize,
) -> Markup {
    html! {
        form.lookup method="post" action="/public/report" enctype="multipart/form-data" {
            label for="region" { "反映哪里" }
            select #region name="region" required {
                option value="" { "请选择村（社区）" }
                @match choice {
                    Choice::InTown(town) => (villages(regions, town, draft)),
                    // Every town of the tree, however deep it is rooted; below a county
                    // the group names the county too (杞县 · 五里河镇).
                    _ => @for town in regions.towns() {
                        optgroup label=(town_label(regions, town)) { (villages(regions, town, draft)) }
                    },
                }
            }
            @if let Choice::InTown(town) = choice {
                p.hint { (town_label(regions, town)) " · " a href="/public/report" { "换一个乡镇" } }
            }
            fieldset.categories {
                legend { "问题类别" }
                @for (code, name) in CATEGORIES {
                    label.choice {
                        input type="radio" name="category" value=(code) required checked[draft.category == code];
                        (name)
                    }
                }
            }
            label for="text" { "具体情况（" (max_chars) " 字以内）" }
            textarea #text name="text" required maxlength=(max_chars) rows="6" { (draft.text) }
            label for="phone" { "联系电话（可不填）" }
            input #phone type="tel" name="phone" inputmode="numeric" maxlength="11" value=(draft.phone);
            label for="photo" { "照片（可不填，JPEG/PNG，5 MB 以内）" }
            input #photo type="file" name="photo" accept="image/jpeg,image/png,image/webp";
            label for="answer" { "验证：" (challenge.question) }
            input #answer type="text" name="answer" inputmode="numeric" required maxlength="3" autocomplete="off";
            input type="hidden" name="challenge" value=(challenge.token);
            button.primary type="submit" { "提交" }
        }
    }
}

fn villages(regions: &RegionTree, town: &Region, draft: &Draft) -> Markup {
    html! {
        @for village in regions.children(&town.code).iter().filter_map(|c| regions.get(c)) {
            option value=(village.code.as_str()) selected[draft.region == village.code.as_str()] { (village.name) }
        }
    }
}

/// The towns grouped under the county above them, named with what is above the county
/// when the tree is rooted higher (开封市 · 杞县).
fn towns_by_county(regions: &RegionTree) -> Vec<(String, Vec<&Region>)> {
    let mut groups: Vec<(String, Vec<&Region>)> = Vec::new();
    for town in regions.towns() {
        let county = town.parent.and_then(|p| regions.get(&p));
        let label = county.map_or_else(|| regions.root().name.clone(), |c| town_label(regions, c));
        match groups.last_mut() {
            Some((last, towns)) if *last == label => towns.push(town),
            _ => groups.push((label, vec![town])),
        }
    }
    groups
}

/// Where a report stands, in the public's words, from its warning's state.
pub fn progress(step: crate::workflow::Step) -> (usize, &'static str) {
    use crate::workflow::Step;
    match step {
        Step::Raised | Step::Notified => (0, "已受理"),
        Step::Observation | Step::Closed | Step::Dismissed => (2, "已办结"),
        _ => (1, "核实中"),
    }
}

/// The receipt page: the code, the three steps with the current one marked, the reply.
pub fn receipt_body(receipt: &str, stage: usize, reply: Option<&str>, fresh: bool) -> Markup {
    html! {
        h1 { @if fresh { "反映已受理" } @else { "反映办理进度" } }
        @if fresh {
            p.lead { "请记下回执码，凭它查看办理进度和答复：" }
        }
        p.receipt { "回执码 " strong #receipt { (receipt) } }
        ol.progress {
            @for (i, name) in ["已受理", "核实中", "已办结"].iter().enumerate() {
                li.done[i <= stage].current[i == stage] { (name) }
            }
        }
        section {
            h2 { "答复" }
            @if let Some(reply) = reply {
                p.reply #reply { (reply) }
            } @else {
                p.empty { "尚未答复。" }
            }
        }
        p { a.button href=(format!("/public/report/{receipt}")) { "刷新进度" } }
    }
}

/// A town's group label in the village select: its name, after its county's when the
/// tree is rooted above the county.
fn town_label(regions: &RegionTree, town: &Region) -> String {
    match town
        .parent
        .filter(|p| *p != regions.root().code)
        .and_then(|p| regions.get(&p))
    {
        Some(county) => format!("{} · {}", county.name, town.name),
        None => town.name.clone(),
    }
}

//! The columns of each dataset kind: English name, the Chinese headers a department's
//! spreadsheet uses for it, its type and whether it must be present.
//!
//! The schema is data, not code, so the header matching, the cell parsing, the Excel
//! conversions and the templates' README all read the same table. A header may also end
//! in a unit, `（元）` or `（万元）`; the unit is stripped before matching and decides how a
//! money column is read.

use super::DatasetKind;

/// How a column's cells are parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Any non-empty text, trimmed.
    Text,
    /// A resident ID (GB 11643).
    ResidentId,
    /// A unified social credit code (GB 32100).
    Uscc,
    /// Either a resident ID (a person) or a unified social credit code (a company).
    PartyId,
    /// An amount in yuan, or in 万元 if the header says so.
    Money,
    /// A calendar day.
    Date,
    /// A calendar month, `YYYY-MM`.
    Period,
    /// 是/否, yes/no, Y/N or 1/0.
    YesNo,
    /// A village-level region code present in the region tree.
    VillageCode,
    /// A region code of any level present in the region tree.
    RegionCode,
    /// One of a fixed list of values, each with the Chinese words that mean it.
    Enum(&'static [Choice]),
    /// A welfare fund: the four known funds by their Chinese names, others as given.
    Fund,
    /// A company's registration status as registries write it (存续, 吊销，未注销, …).
    CompanyStatus,
    /// Resident IDs separated by `;` (or `；`); may be empty.
    IdList,
    /// A vehicle number plate.
    Plate,
}

impl ColumnType {
    /// True for columns holding identifiers that Excel corrupts when stored as numbers.
    pub fn is_identifier(self) -> bool {
        matches!(
            self,
            ColumnType::ResidentId | ColumnType::Uscc | ColumnType::PartyId | ColumnType::IdList
        )
    }

    /// A short description for documentation and error messages.
    pub fn describe(self) -> String {
        match self {
            ColumnType::Text => "text".to_owned(),
            ColumnType::ResidentId => "resident ID".to_owned(),
            ColumnType::Uscc => "unified social credit code".to_owned(),
            ColumnType::PartyId => "resident ID or unified social credit code".to_owned(),
            ColumnType::Money => "money in yuan (or 万元)".to_owned(),
            ColumnType::Date => "date YYYY-MM-DD".to_owned(),
            ColumnType::Period => "month YYYY-MM".to_owned(),
            ColumnType::YesNo => "yes/no (是/否, Y/N, 1/0)".to_owned(),
            ColumnType::VillageCode => "village region code".to_owned(),
            ColumnType::RegionCode => "region code".to_owned(),
            ColumnType::Enum(choices) => {
                let parts: Vec<String> = choices
                    .iter()
                    .map(|c| format!("{} ({})", c.value, c.aliases.join("/")))
                    .collect();
                format!("one of {}", parts.join(", "))
            }
            ColumnType::Fund => "fund: dibao (低保), wubao (五保/特困), house_renovation \
                                 (危房改造), disability (残疾人补贴), or other text"
                .to_owned(),
            ColumnType::CompanyStatus => {
                format!("company status: {}", super::company_status::ACCEPTED)
            }
            ColumnType::IdList => "resident IDs separated by ;".to_owned(),
            ColumnType::Plate => "number plate".to_owned(),
        }
    }
}

/// One allowed value of an [`ColumnType::Enum`] column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The canonical English value.
    pub value: &'static str,
    /// Other spellings accepted for it.
    pub aliases: &'static [&'static str],
}

/// The unit a money column's header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyUnit {
    /// Yuan, the default.
    Yuan,
    /// 万元, ten thousand yuan.
    WanYuan,
}

/// One column of a dataset kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The English name: the template's header and the name used in error messages.
    pub name: &'static str,
    /// The Chinese headers accepted for it.
    pub headers: &'static [&'static str],
    /// How its cells are parsed.
    pub ty: ColumnType,
    /// Required columns must be in the header and non-empty in every row; optional ones
    /// may be absent or empty.
    pub required: bool,
}

/// The columns of one kind and the columns that identify a row within a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schema {
    pub kind: DatasetKind,
    pub columns: &'static [Column],
    /// The columns whose values together must be unique within a file.
    pub key: &'static [&'static str],
}

impl Schema {
    /// The column named `name`, if the kind has one.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn req(name: &'static str, headers: &'static [&'static str], ty: ColumnType) -> Column {
    Column {
        name,
        headers,
        ty,
        required: true,
    }
}

const fn opt(name: &'static str, headers: &'static [&'static str], ty: ColumnType) -> Column {
    Column {
        name,
        headers,
        ty,
        required: false,
    }
}

use ColumnType as T;

const VILLAGE: &[&str] = &["村代码", "村社代码", "行政区划代码", "村（社区）代码"];
const AMOUNT: &[&str] = &["金额", "合同金额"];
const PERSON: &[&str] = &["身份证号", "身份证号码", "公民身份号码"];
const NAME: &[&str] = &["姓名"];

const APPROVAL_LEVELS: &[Choice] = &[
    Choice {
        value: "village",
        aliases: &["村", "村级"],
    },
    Choice {
        value: "town",
        aliases: &["镇", "镇级", "乡镇", "街道"],
    },
];

const PROCUREMENTS: &[Choice] = &[
    Choice {
        value: "tender",
        aliases: &["招标", "公开招标", "邀请招标"],
    },
    Choice {
        value: "quote",
        aliases: &["询价", "比选", "竞争性谈判"],
    },
    Choice {
        value: "direct",
        aliases: &["直接发包", "直接委托", "单一来源"],
    },
];

const CONTRACTS: &[Column] = &[
    req("contract_id", &["合同编号", "合同号"], T::Text),
    req("village_code", VILLAGE, T::VillageCode),
    req("asset", &["资产名称", "资产", "发包资产"], T::Text),
    req("counterparty", &["承包方", "承包方名称", "承租方"], T::Text),
    req(
        "counterparty_id",
        &["承包方身份证号", "承包方证件号码", "承包方统一社会信用代码"],
        T::PartyId,
    ),
    req("amount", AMOUNT, T::Money),
    req("signed_on", &["签订日期", "合同签订日期"], T::Date),
    // A contract never approved is itself a finding, so the date may be missing.
    opt("approved_on", &["审批日期", "批准日期"], T::Date),
    req(
        "term_start",
        &["起始日期", "承包起始日期", "合同开始日期"],
        T::Date,
    ),
    req(
        "term_end",
        &["终止日期", "承包终止日期", "合同结束日期"],
        T::Date,
    ),
    req("tendered", &["是否招标", "是否公开招标"], T::YesNo),
    // Likewise a contract never disclosed (公开不到位) has no disclosure date.
    opt("disclosed_on", &["公开日期", "公示日期"], T::Date),
];

const CONTRACT_PAYMENTS: &[Column] = &[
    req("contract_id", &["合同编号", "合同号"], T::Text),
    req("due_on", &["应缴日期", "应付日期", "到期日期"], T::Date),
    req("amount", &["应缴金额", "金额"], T::Money),
    // An instalment not yet paid has neither date nor amount, or an amount of 0 and no
    // date (what a spreadsheet formula writes); see `assemble.rs`.
    opt("paid_on", &["实缴日期", "缴款日期", "支付日期"], T::Date),
    opt("paid_amount", &["实缴金额", "已缴金额"], T::Money),
];

const VILLAGE_PAYMENTS: &[Column] = &[
    req("payment_id", &["支付编号", "付款编号", "凭证号"], T::Text),
    req("village_code", VILLAGE, T::VillageCode),
    req("payee", &["收款方", "收款人", "收款单位"], T::Text),
    req(
        "payee_id",
        &["收款方证件号码", "收款人身份证号", "收款方统一社会信用代码"],
        T::PartyId,
    ),
    req("amount", &["金额", "支付金额"], T::Money),
    req("paid_on", &["支付日期", "付款日期"], T::Date),
    // A payment without approval is exactly what the 流程倒置 rule looks for.
    opt("approved_on", &["审批日期"], T::Date),
    opt(
        "approval_level",
        &["审批层级", "审批级别"],
        T::Enum(APPROVAL_LEVELS),
    ),
    opt("project_id", &["项目编号"], T::Text),
    req("purpose", &["用途", "支付事由", "摘要"], T::Text),
];

const PROJECTS: &[Column] = &[
    req("project_id", &["项目编号"], T::Text),
    req("village_code", VILLAGE, T::VillageCode),
    req("name", &["项目名称"], T::Text),
    req("budget", &["预算金额", "预算", "项目金额"], T::Money),
    req(
        "procurement",
        &["采购方式", "发包方式"],
        T::Enum(PROCUREMENTS),
    ),
    req("started_on", &["开工日期", "开始日期"], T::Date),
    opt("disclosed_on", &["公开日期", "公示日期"], T::Date),
];

const WELFARE_PAYMENTS: &[Column] = &[
    req("payment_id", &["发放编号", "流水号"], T::Text),
    req("fund", &["资金类别", "项目类别"], T::Fund),
    req("recipient_id", PERSON, T::ResidentId),
    req("recipient_name", NAME, T::Text),
    req("village_code", VILLAGE, T::VillageCode),
    req("amount", &["金额", "发放金额"], T::Money),
    req("period", &["发放期间", "所属期"], T::Period),
    req("paid_on", &["发放日期", "支付日期"], T::Date),
];

const VEHICLES: &[Column] = &[
    req(
        "owner_id",
        &["车主身份证号", "所有人身份证号"],
        T::ResidentId,
    ),
    req("plate", &["车牌号", "号牌号码"], T::Plate),
    req(
        "registered_on",
        &["登记日期", "注册日期", "初次登记日期"],
        T::Date,
    ),
];

const COMPANIES: &[Column] = &[
    req("uscc", &["统一社会信用代码"], T::Uscc),
    req("name", &["企业名称", "名称"], T::Text),
    req("legal_rep_id", &["法定代表人身份证号"], T::ResidentId),
    opt("shareholder_ids", &["股东身份证号"], T::IdList),
    req(
        "status",
        &["经营状态", "登记状态", "企业状态"],
        T::CompanyStatus,
    ),
];

const PUBLIC_EMPLOYEES: &[Column] = &[
    req("person_id", PERSON, T::ResidentId),
    req("name", NAME, T::Text),
    req("employer", &["工作单位", "单位名称"], T::Text),
];

const CADRES: &[Column] = &[
    req("person_id", PERSON, T::ResidentId),
    req("name", NAME, T::Text),
    req("village_code", VILLAGE, T::VillageCode),
    req("role", &["职务"], T::Text),
];

const RELATIVES: &[Column] = &[
    req(
        "person_id",
        &["本人身份证号", "身份证号", "身份证号码"],
        T::ResidentId,
    ),
    req("relative_id", &["亲属身份证号"], T::ResidentId),
    req("relation", &["关系", "与本人关系"], T::Text),
];

const DEATHS: &[Column] = &[
    req("person_id", PERSON, T::ResidentId),
    req("died_on", &["死亡日期"], T::Date),
];

const BIDS: &[Column] = &[
    req("tender_id", &["招标编号", "标段编号"], T::Text),
    req("project", &["项目名称"], T::Text),
    req("buyer", &["招标人", "采购人"], T::Text),
    req("region_code", &["区划代码", "行政区划代码"], T::RegionCode),
    req("bidder_uscc", &["投标人统一社会信用代码"], T::Uscc),
    req("bidder_name", &["投标人", "投标人名称"], T::Text),
    req("amount", &["投标金额", "报价", "金额"], T::Money),
    req("won", &["是否中标"], T::YesNo),
    req("opened_on", &["开标日期"], T::Date),
];

const ROLES: &[Choice] = &[
    Choice {
        value: "village_steward",
        aliases: &["村务监督员", "村监督员", "监督员", "村务监督委员会主任"],
    },
    Choice {
        value: "village_secretary",
        aliases: &["村党组织书记", "村支书", "村书记", "书记"],
    },
    Choice {
        value: "town_office",
        aliases: &["乡镇纪委", "镇纪委", "乡镇纪检", "乡镇数字办", "镇办"],
    },
    Choice {
        value: "city_office",
        aliases: &["县纪委", "市纪委", "纪委监委", "县级", "市级"],
    },
];

const CONTACTS: &[Column] = &[
    req("contact_id", &["编号", "人员编号", "工号"], T::Text),
    req("name", NAME, T::Text),
    req("role", &["角色", "职责", "身份"], T::Enum(ROLES)),
    req(
        "region_code",
        &["区划代码", "行政区划代码", "所属区划代码"],
        T::RegionCode,
    ),
    opt("mobile", &["手机号", "手机", "手机号码"], T::Text),
    opt(
        "dingtalk_user_id",
        &["钉钉账号", "钉钉用户ID", "钉钉ID"],
        T::Text,
    ),
    opt(
        "wecom_user_id",
        &["企业微信账号", "企业微信用户ID", "企业微信ID"],
        T::Text,
    ),
    opt("email", &["邮箱", "电子邮箱"], T::Text),
];

/// The schema of `kind`.
pub fn schema(kind: DatasetKind) -> Schema {
    let (columns, key): (&'static [Column], &'static [&'static str]) = match kind {
        DatasetKind::Contracts => (CONTRACTS, &["contract_id"]),
        DatasetKind::ContractPayments => (CONTRACT_PAYMENTS, &["contract_id", "due_on"]),
        DatasetKind::VillagePayments => (VILLAGE_PAYMENTS, &["payment_id"]),
        DatasetKind::Projects => (PROJECTS, &["project_id"]),
        DatasetKind::WelfarePayments => (WELFARE_PAYMENTS, &["payment_id"]),
        DatasetKind::Vehicles => (VEHICLES, &["plate"]),
        DatasetKind::Companies => (COMPANIES, &["uscc"]),
        DatasetKind::PublicEmployees => (PUBLIC_EMPLOYEES, &["person_id"]),
        DatasetKind::Cadres => (CADRES, &["person_id", "village_code"]),
        DatasetKind::Relatives => (RELATIVES, &["person_id", "relative_id"]),
        DatasetKind::Deaths => (DEATHS, &["person_id"]),
        DatasetKind::Bids => (BIDS, &["tender_id", "bidder_uscc"]),
        DatasetKind::Contacts => (CONTACTS, &["contact_id"]),
    };
    Schema { kind, columns, key }
}

/// Normalises a header for matching: half-width, lower-case, without any whitespace, so
/// `金额（元）`, `金额(元)` and ` 金额 (元)` compare equal.
pub fn normalise_header(header: &str) -> String {
    header
        .chars()
        .map(crate::domain::resident_id::half_width)
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Splits a trailing unit, `(元)` or `(万元)`, off a normalised header.
pub fn split_unit(normalised: &str) -> (&str, Option<MoneyUnit>) {
    if let Some(base) = normalised.strip_suffix("(万元)") {
        (base, Some(MoneyUnit::WanYuan))
    } else if let Some(base) = normalised.strip_suffix("(元)") {
        (base, Some(MoneyUnit::Yuan))
    } else {
        (normalised, None)
    }
}

/// The position in `schema.columns` of the column a header cell names, and the unit the
/// header states (yuan if none).
pub fn match_header(schema: &Schema, header: &str) -> Option<(usize, MoneyUnit)> {
    let normalised = normalise_header(header);
    let (base, unit) = split_unit(&normalised);
    let index = schema.columns.iter().position(|column| {
        normalise_header(column.name) == base
            || column.headers.iter().any(|h| normalise_header(h) == base)
    })?;
    Some((index, unit.unwrap_or(MoneyUnit::Yuan)))
}

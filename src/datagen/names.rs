//! The word lists the generator draws from: people's names, company names, employers,
//! village assets, project types and payment purposes.
//!
//! The lists are fixed and in a fixed order, so the same seed picks the same words on
//! every machine. Every name is invented; a real person or company with the same name
//! is a coincidence.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Common surnames, the most frequent first.
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "沈",
    "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "方", "邹",
    "熊", "秦", "江", "雷", "龙", "陶", "贺", "顾", "毛", "万", "钱", "严", "戴", "孔", "汤",
    "欧阳",
];

/// Characters of given names more often given to men.
const MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "斌",
    "建国", "建华", "国强", "志强", "海涛", "文军", "永红", "德明", "春生", "长青", "家豪", "子轩",
    "宇航", "浩然", "俊杰", "明辉", "立新", "卫东", "振华", "金生", "福根", "水生", "顺发", "有才",
];

/// Characters of given names more often given to women.
const FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "萍", "红", "梅", "琴", "兰", "英",
    "秀英", "桂英", "玉兰", "秀兰", "凤英", "淑珍", "美华", "丽娟", "春梅", "海燕", "雪梅", "晓燕",
    "欣怡", "梓涵", "诗琪", "雨桐", "佳怡", "子涵", "婷婷", "金凤", "月娥", "翠花", "菊香", "彩霞",
];

/// A Chinese name of the given sex.
pub(super) fn person_name(rng: &mut StdRng, male: bool) -> String {
    let surname = pick(rng, SURNAMES);
    let given = pick(rng, if male { MALE } else { FEMALE });
    format!("{surname}{given}")
}

/// The first part of a company name: a place or an auspicious word.
const COMPANY_PLACES: &[&str] = &[
    "清风", "青溪", "桃源", "云栖", "松岗", "金沙", "白云", "柳塘", "石门", "枫林", "龙潭", "凤岭",
    "沙湾", "渔港", "高山", "鹤鸣", "梅岭", "双桥",
];

const COMPANY_WORDS: &[&str] = &[
    "恒达",
    "顺发",
    "宏远",
    "兴盛",
    "鑫源",
    "永安",
    "盛世",
    "华泰",
    "长兴",
    "通达",
    "利民",
    "广源",
    "天成",
    "建联",
    "德信",
    "嘉禾",
    "瑞丰",
    "锦程",
    "和泰",
    "振邦",
    "明珠",
    "新时代",
    "绿源",
    "福满",
];

const COMPANY_TRADES: &[&str] = &[
    "建筑工程",
    "路桥工程",
    "市政工程",
    "水利建设",
    "园林绿化",
    "装饰工程",
    "电力安装",
    "农业开发",
    "生态农业",
    "建材",
    "商贸",
    "物业管理",
    "劳务",
    "机械租赁",
    "环境工程",
];

/// A company name such as 青溪恒达建筑工程有限公司.
pub(super) fn company_name(rng: &mut StdRng) -> String {
    let place = pick(rng, COMPANY_PLACES);
    let word = pick(rng, COMPANY_WORDS);
    let trade = pick(rng, COMPANY_TRADES);
    format!("{place}{word}{trade}有限公司")
}

/// Employers of public employees.
pub(super) const EMPLOYERS: &[&str] = &[
    "清风市（演示）教育局",
    "清风市（演示）农业农村局",
    "清风市（演示）民政局",
    "清风市（演示）人民医院",
    "清风市（演示）第一中学",
    "清风市（演示）实验小学",
    "清风市（演示）自然资源局",
    "清风市（演示）交通运输局",
    "清风市（演示）市场监督管理局",
    "清风市（演示）税务局",
    "青溪镇人民政府",
    "桃源镇人民政府",
    "松岗镇人民政府",
    "金沙镇人民政府",
    "白云乡人民政府",
    "云栖街道办事处",
    "清风街道办事处",
    "青溪镇中心卫生院",
    "桃源镇中心小学",
];

/// Village cadre roles; the secretary comes first, so every village has one.
pub(super) const CADRE_ROLES: &[&str] = &[
    "村党支部书记",
    "村委会主任",
    "村务监督委员会主任",
    "村委会副主任",
    "村委会委员",
    "村报账员",
    "村妇联主席",
];

/// Collective assets a village leases out, with the unit its size is given in and the
/// range of yearly rent in yuan.
pub(super) const ASSETS: &[(&str, &str, u32, u32)] = &[
    ("鱼塘", "亩", 1_500, 18_000),
    ("耕地", "亩", 2_000, 30_000),
    ("林地", "亩", 1_000, 12_000),
    ("果园", "亩", 3_000, 24_000),
    ("茶园", "亩", 3_000, 26_000),
    ("集体门面", "间", 6_000, 48_000),
    ("厂房", "平方米", 12_000, 60_000),
    ("仓库", "平方米", 5_000, 30_000),
    ("荒山", "亩", 800, 6_000),
    ("山塘", "亩", 1_000, 9_000),
];

/// Where in the village an asset lies.
pub(super) const DIRECTIONS: &[&str] = &["东片", "西片", "南片", "北片", "村口", "后山", "河边"];

/// Small village projects (小微工程).
pub(super) const PROJECTS: &[&str] = &[
    "村道硬化",
    "文化广场照明",
    "排水沟渠改造",
    "党群服务中心修缮",
    "农田水利灌溉",
    "垃圾收集点建设",
    "路灯安装",
    "饮水安全提升",
    "便民桥维修",
    "山塘清淤",
    "村庄绿化美化",
    "卫生厕所改造",
];

/// What a village pays for when no project is involved.
pub(super) const PURPOSES: &[&str] = &[
    "保洁劳务费",
    "村道维修材料款",
    "办公用品采购",
    "水电费",
    "误工补贴",
    "防汛物资采购",
    "绿化苗木款",
    "会议场地租金",
    "网络通信费",
    "路灯维修费",
];

/// Picks one item of a non-empty list.
pub(super) fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

/// The committee that buys for a village or community.
pub(super) fn buyer(village: &str) -> String {
    if village.ends_with("社区") {
        format!("{village}居民委员会")
    } else {
        format!("{village}村民委员会")
    }
}

/// A number from `low` to `high` yuan, rounded down to a multiple of `step`, in fen.
pub(super) fn round_yuan(rng: &mut StdRng, low: u32, high: u32, step: u32) -> i64 {
    let yuan = rng.gen_range(low..=high);
    i64::from(yuan - yuan % step.max(1)) * 100
}

// 比对判别依据: a warning's evidence as the town and village screens show it. The rules
// write evidence as JSON with English keys (an API's names); every key, dataset and
// subject kind a rule writes has its Chinese label here, and a test of the server
// (`rules::screen_words`) fails when a rule's evidence carries one that has none.

import { h } from "./wall.js";

/** The datasets a compared row comes from. */
export const DATASET_TEXT = {
  contracts: "合同台账",
  contract_payments: "合同收款",
  village_payments: "村级支付",
  projects: "工程项目",
  welfare_payments: "民生资金发放",
  vehicles: "车辆登记",
  companies: "企业登记",
  public_employees: "财政供养人员",
  cadres: "村干部名册",
  relatives: "干部亲属",
  deaths: "死亡登记",
  bids: "招投标记录",
};

/** What a warning's subject names, by the word before its first colon. */
export const SUBJECT_TEXT = {
  bidder: "投标人",
  contract: "合同",
  contract_payment: "合同应收款",
  project: "工程项目",
  report: "群众反映",
  ring: "围标组",
  village_payment: "村级支付",
  welfare: "民生资金领取",
};

/** The welfare funds by their codes, as a welfare subject names them. */
export const FUND_TEXT = {
  dibao: "低保",
  wubao: "特困供养",
  house_renovation: "危房改造补助",
  disability: "残疾人补贴",
};

/** The names of the values and thresholds a rule compared. */
export const VALUE_TEXT = {
  a: "企业甲",
  amount_yuan: "金额（元）",
  approval_level: "审批层级",
  approved_on: "审批日期",
  as_of: "比对基准日",
  b: "企业乙",
  bidder_count: "投标人数",
  bidders: "投标人数",
  bidders_in_market: "参与比对的投标人",
  bids: "投标次数",
  budget_yuan: "预算（元）",
  cadre: "村干部",
  cadre_ties: "与村干部的关系",
  companies: "名下企业",
  company_status: "企业状态",
  days_left: "剩余天数",
  days_overdue: "逾期天数",
  deadline: "期限",
  death: "死亡登记",
  died_on: "死亡日期",
  disclose_within_days: "应公开时限（天）",
  disclosed_on: "公开日期",
  due_on: "应付日期",
  employer: "工作单位",
  employers: "工作单位",
  exempt_funds: "不计重复的资金类别",
  expected: "随机预期（次）",
  expected_losses: "随机预期（次）",
  expected_wins: "随机预期中标（次）",
  fdr: "错误发现率上限",
  flag_missing_approval: "无审批记录即预警",
  fund: "资金类别",
  funds: "资金类别",
  grace_days: "宽限天数",
  include_shareholders: "股东也计入",
  lost_to_usual_winner: "输给该中标人（次）",
  max_amount_yuan: "金额上限（元）",
  max_members: "最多成员数",
  max_payments_per_month: "每月发放上限",
  max_term_years: "最长期限（年）",
  max_win_rate: "中标率上限",
  members: "成员",
  members_bidding: "组内投标企业",
  min_bids: "最少投标次数",
  min_members: "最少成员数",
  min_ratio: "至少为随机预期的倍数",
  min_same_winner_share: "输给同一中标人的最低占比",
  min_together: "最少同场次数",
  min_winners: "最少轮流中标企业数",
  min_wins: "最少中标次数",
  name: "名称",
  opened_on: "开标日期",
  overdue_days: "逾期判定（天）",
  p_value: "随机出现的概率",
  payment_id: "发放编号",
  paid_amount_yuan: "实付金额（元）",
  paid_on: "支付日期",
  pairs: "两两同场",
  pairs_tested: "检验的企业对数",
  payments: "发放记录",
  period: "发放期间",
  plate: "车牌号",
  procurement: "采购方式",
  public_employee: "公职人员",
  q_value: "多重检验校正后概率",
  ratio: "实际与预期之比",
  rows: "发放笔数",
  recipient: "领取人身份证号",
  recipient_name: "领取人",
  registered_on: "登记日期",
  relation: "亲属关系",
  relative_of_cadre: "干部亲属",
  remind_days: "提前提醒（天）",
  role: "身份",
  shared_tenders: "同场招标次数",
  share: "占比",
  signed_on: "签订日期",
  start: "开始日期",
  status: "登记状态",
  tender: "招标编号",
  tender_threshold_yuan: "应招标金额（元）",
  tendered: "是否招标",
  tenders: "招标项目",
  tenders_lost: "输给该中标人的招标",
  tenders_together: "同场招标与中标人",
  tenders_won: "中标的招标",
  term_end: "期限截止",
  term_start: "期限开始",
  together: "同场次数",
  town_limit_yuan: "镇级审批限额（元）",
  uscc: "统一社会信用代码",
  usual_winner: "常胜中标人",
  vehicle_registered: "车辆登记",
  vehicles: "名下车辆",
  village_code: "村代码",
  village_limit_yuan: "村级审批限额（元）",
  win_rate: "中标率",
  winner: "中标人",
  winners: "中标人",
  wins: "中标次数",
};

const label = (key) => VALUE_TEXT[key] || key;

/** A value as text: lists joined with 、, yes/no in Chinese, objects as label：value. */
function showText(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "是" : "否";
  if (Array.isArray(value)) return value.length ? value.map(showText).join("、") : "—";
  if (typeof value === "object") {
    return Object.entries(value)
      .map(([key, inner]) => `${label(key)}：${showText(inner)}`)
      .join("；");
  }
  return String(value);
}

const isRecord = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** A list of records (a ring's pairs, its tenders) as a small table, one row each. */
function recordTable(records) {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return h(
    "table.records",
    {},
    h("tr", {}, keys.map((key) => h("th", {}, label(key)))),
    records.map((r) => h("tr", {}, keys.map((key) => h("td", {}, showText(r[key]))))),
  );
}

function showValue(value) {
  if (Array.isArray(value) && value.length && value.every(isRecord)) return recordTable(value);
  return showText(value);
}

function table(object) {
  const rows = Object.entries(object || {}).map(([key, value]) =>
    h("tr", {}, h("th", {}, label(key)), h("td", {}, showValue(value))),
  );
  return rows.length ? h("table", {}, rows) : h("div.empty", {}, "—");
}

/** `ring:…` as 围标组：…, the subject's kind (and a welfare subject's fund) in words. */
function subjectText(subject) {
  const [kind, ...parts] = subject.split(":");
  if (!SUBJECT_TEXT[kind]) return subject;
  return [SUBJECT_TEXT[kind], ...parts.map((part) => FUND_TEXT[part] || part)].join("：");
}

/** 比对判别依据: the rows compared, the values, the threshold and the legal basis. */
export function evidenceView(warning, ruleName) {
  const evidence = warning.evidence;
  if (evidence && evidence.source === "public") {
    // A report from the public pages: its words are the evidence (the phone is not here).
    return h(
      "div.evidence",
      {},
      h("div", {}, `群众反映：${evidence.category_name || evidence.category || ""}`),
      h("div.basis-text", {}, evidence.text || ""),
      evidence.basis ? h("div.basis-text", {}, `依据：${evidence.basis}`) : null,
    );
  }
  if (!evidence || typeof evidence !== "object") {
    return h("div.evidence", {}, h("div.basis-text", {}, "人工录入的预警（信访、巡察等线索），无数据比对记录。"));
  }
  const compared = (evidence.compared || []).map((row) =>
    h("tr", {}, h("td", {}, DATASET_TEXT[row.dataset] || row.dataset), h("td", {}, row.key), h("td", {}, `第 ${row.row} 行`)),
  );
  return h(
    "div.evidence",
    {},
    ruleName ? h("div", {}, `判别规则：${ruleName}`) : null,
    warning.subject ? h("div.basis-text", {}, subjectText(warning.subject)) : null,
    h("h5", {}, "比对的数据行"),
    compared.length ? h("table", {}, h("tr", {}, h("th", {}, "数据集"), h("th", {}, "记录"), h("th", {}, "位置")), compared) : h("div.empty", {}, "—"),
    h("h5", {}, "比对数值"),
    table(evidence.values),
    h("h5", {}, "判别阈值"),
    table(evidence.threshold),
    evidence.basis ? h("div.basis-text", {}, `依据：${evidence.basis}`) : null,
  );
}

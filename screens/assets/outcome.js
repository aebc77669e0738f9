// 处置结果 on the town screen: a warning's outcome (finding, handling, people, money to
// return), its returns (退缴) and its numbered notices, with the forms that record an
// outcome (again, to correct it) and a return. Amounts are typed in 元 and sent in fen,
// converted digit by digit (never through floating point).

import { describeError, uuid } from "./api.js";
import { outcomeUnknown, sendCommand } from "./commands.js";
import { fmtTime, h } from "./wall.js";

export const FINDING_TEXT = { substantiated: "属实", partly_substantiated: "部分属实", unsubstantiated: "不属实" };
export const HANDLING_TEXT = {
  criticism: "批评教育",
  admonition: "诫勉谈话",
  discipline: "党纪政务处分",
  judicial: "移送司法机关",
  other: "其他",
};

/** 元 text (up to two decimals) → fen, or null if it is not an amount. */
export function fenOf(text) {
  const m = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

export const yuan = (fen) => (fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The section: what was recorded, the notices, and the buttons the server allows. */
export function outcomeSection(w, onDone) {
  const c = w.case;
  const facts = c
    ? [
        ["核实结果", FINDING_TEXT[c.finding] + (c.revisions > 1 ? `（第 ${c.revisions} 次录入，已更正）` : "")],
        ["处理方式", c.handling.map((x) => HANDLING_TEXT[x]).join("、") || "—"],
        ["处理人数", String(c.people)],
        ["应退缴 / 已退缴", `${yuan(c.amount_due_fen)} / ${yuan(c.recovered_fen)} 元`],
        ["办结时间", c.concluded_at ? fmtTime(c.concluded_at) : "未办结"],
      ]
    : [["核实结果", w.state === "investigation" ? "查办中，待录入" : "待录入"]];
  const recoveries = c?.recoveries?.length
    ? h("ul.recoveries", {}, c.recoveries.map((r) => h("li", {}, `${r.date} 退缴 ${yuan(r.amount_fen)} 元 · 票据 ${r.receipt}`)))
    : null;
  const notices = w.notices?.length
    ? h("div.notices", {}, "通知书：", w.notices.map((n) => h("a.notice-link", { href: n.url, target: "_blank" }, n.number)))
    : null;
  const buttons = [];
  if (w.allowed?.includes("record_outcome")) {
    buttons.push(h("button.primary", { type: "button", dataset: { command: "record_outcome" }, onclick: () => outcomeDialog(w, onDone) }, c ? "更正处置结果" : "录入处置结果"));
  }
  if (w.allowed?.includes("record_recovery")) {
    buttons.push(h("button", { type: "button", dataset: { command: "record_recovery" }, onclick: () => recoveryDialog(w, onDone) }, "登记退缴"));
  }
  return h("div.outcome", {}, h("dl.facts", {}, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])), recoveries, notices, buttons.length ? h("div.actions", {}, buttons) : null);
}

/** A dialog around `fields`; `body()` builds the command or returns an error text. */
function dialog(w, title, id, fields, body, onDone) {
  let key = uuid();
  const error = h("div.error-box", { hidden: true });
  const confirm = h("button.primary", { type: "button", id: `${id}-confirm` }, `确认${title}`);
  const overlay = h(
    "div.overlay",
    { id },
    h("div.dialog", { role: "dialog", "aria-modal": "true" }, h("h3", {}, title), h("div.target", {}, `${w.region_name || w.region} · ${w.title}`), ...fields, error, h("div.actions", {}, confirm, h("button.ghost", { type: "button", onclick: () => overlay.remove() }, "取消"))),
  );
  confirm.addEventListener("click", async () => {
    const command = body();
    if (typeof command === "string") {
      error.hidden = false;
      error.textContent = command;
      return;
    }
    confirm.disabled = true;
    try {
      const updated = await sendCommand(w.id, command, key);
      overlay.remove();
      onDone?.(updated, title);
    } catch (failure) {
      if (!outcomeUnknown(failure)) key = uuid();
      error.hidden = false;
      error.textContent = describeError(failure);
      confirm.disabled = false;
    }
  });
  document.getElementById("stage").append(overlay);
}

function outcomeDialog(w, onDone) {
  const c = w.case;
  const finding = h("select", { name: "finding" }, Object.entries(FINDING_TEXT).map(([v, t]) => h("option", { value: v, selected: c?.finding === v }, t)));
  const boxes = Object.entries(HANDLING_TEXT).map(([v, t]) => h("label.check", {}, h("input", { type: "checkbox", name: "handling", value: v, checked: !!c?.handling.includes(v) }), t));
  const people = h("input", { type: "number", name: "people", min: "0", max: "500", value: String(c?.people ?? 0) });
  const amount = h("input", { type: "text", name: "amount", inputMode: "decimal", value: c ? (c.amount_due_fen / 100).toFixed(2) : "0", maxLength: 14 });
  const note = h("textarea", { name: "note", maxLength: 2000, placeholder: "选填：处理情况说明" }, c?.note || "");
  const fields = [h("label.field", {}, "核实结果"), finding, h("label.field", {}, "处理方式（可多选）"), h("div.checks", {}, boxes), h("label.field", {}, "处理人数"), people, h("label.field", {}, "应退缴金额（元）"), amount, h("label.field", {}, "说明"), note];
  dialog(w, c ? "更正处置结果" : "录入处置结果", "outcome-dialog", fields, () => {
    const fen = fenOf(amount.value);
    if (fen === null) return "应退缴金额请填写数字，最多两位小数";
    const untrue = finding.value === "unsubstantiated";
    return {
      type: "record_outcome",
      finding: finding.value,
      handling: untrue ? [] : boxes.map((b) => b.firstChild).filter((i) => i.checked).map((i) => i.value),
      people: untrue ? 0 : Number(people.value || 0),
      amount_due_fen: untrue ? 0 : fen,
      note: note.value.trim(),
    };
  }, onDone);
}

function recoveryDialog(w, onDone) {
  const outstanding = (w.case?.amount_due_fen ?? 0) - (w.case?.recovered_fen ?? 0);
  const amount = h("input", { type: "text", name: "amount", inputMode: "decimal", value: (outstanding / 100).toFixed(2), maxLength: 14 });
  const today = new Date();
  const p = (n) => String(n).padStart(2, "0");
  const date = h("input", { type: "date", name: "date", value: `${today.getFullYear()}-${p(today.getMonth() + 1)}-${p(today.getDate())}` });
  const receipt = h("input", { type: "text", name: "receipt", maxLength: 64, placeholder: "票据号（必填）" });
  const fields = [h("div.target", {}, `尚欠 ${yuan(outstanding)} 元`), h("label.field", {}, "退缴金额（元）"), amount, h("label.field", {}, "退缴日期"), date, h("label.field", {}, "票据号"), receipt];
  dialog(w, "登记退缴", "recovery-dialog", fields, () => {
    const fen = fenOf(amount.value);
    if (!fen) return "退缴金额请填写大于 0 的数字，最多两位小数";
    if (!receipt.value.trim()) return "请填写票据号";
    return { type: "record_recovery", amount_fen: fen, date: date.value, receipt: receipt.value.trim() };
  }, onDone);
}

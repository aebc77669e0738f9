// /screens/notifications — 通知送达, for the city office: the notifications the outbox
// could not deliver (gave up, cut short, nobody to tell), those still being tried and those
// delivered, with a resend for each dead or uncertain one (the resend is audited).

import { api, ApiError, describeError, requireSession } from "./api.js";
import {
  CHANNEL_TEXT, DELIVERY_TEXT as STATUS_TEXT, RECIPIENT_TEXT, fitStage, fmtTime, h, labelCells, mountHeader, toast,
} from "./wall.js";

const NOTICE_TEXT = {
  raised: "新预警",
  due_soon: "到期提醒",
  overdue: "逾期",
  urged: "催办",
  supervised: "督办",
  transferred: "移送查办",
  rectification_rejected: "整改被退回",
  downgraded: "降为黄色",
  closed: "办结",
  public_report: "群众反映",
};

/** The gateway's answer in the office's words; the gateway's own text follows. */
function reason(text) {
  if (!text) return "";
  const prefixes = [
    ["retryable: ", "暂时失败（可重试）："],
    ["permanent: ", "无法送达："],
    ["rate limited", "被网关限流"],
  ];
  for (const [english, chinese] of prefixes) {
    if (text.startsWith(english)) return chinese + text.slice(english.length);
  }
  if (text.startsWith("no contact or no address")) return "未登记该角色的联系人，或联系人无此渠道地址";
  if (text.startsWith("the sending instance stopped")) return "发送中服务中断，可能已送达，请核实后决定是否重发";
  return text;
}

fitStage({ phone: true });
const header = mountHeader("清风 · 通知送达");
const $ = (id) => document.getElementById(id);
// This page follows no live stream, so the header's connection badge would mislead.
$("conn").hidden = true;
header.setRegion("");
const me = await requireSession();
if (me.role === "city_office") {
  $("logout").before(h("a.button", { href: "/screens/city", id: "to-city" }, "返回指挥中心"));
}

let status = "dead,uncertain,unaddressed";

async function resend(delivery) {
  try {
    await api(`/api/notifications/${encodeURIComponent(delivery.key)}/resend`, { method: "POST" });
    toast("已重新排队发送");
    show();
  } catch (error) {
    toast(describeError(error), true);
  }
}

function row(d) {
  const canResend = d.status === "dead" || d.status === "uncertain";
  return h(
    "tr",
    { dataset: { status: d.status, key: d.key } },
    h("td.at", { title: d.updated_at }, fmtTime(d.updated_at)),
    h("td.warning", {}, d.warning),
    h("td", {}, NOTICE_TEXT[d.event] || d.event),
    h("td", {}, `${RECIPIENT_TEXT[d.recipient] || d.recipient}${d.contact ? `（${d.contact}）` : ""}`),
    h("td", {}, CHANNEL_TEXT[d.channel] || d.channel),
    h("td.client", {}, d.address || "—"),
    h("td.action", {}, STATUS_TEXT[d.status] || d.status),
    h("td.seq", {}, String(d.attempts)),
    h("td.detail", {}, reason(d.last_error)),
    h("td", {}, canResend ? h("button.small.primary", { type: "button", onclick: () => resend(d) }, "重发") : ""),
  );
}

async function show() {
  $("notify-error").hidden = true;
  try {
    const { items } = await api(`/api/notifications?status=${status}&limit=200`);
    $("rows").replaceChildren(
      ...(items.length ? items.map(row) : [h("tr", {}, h("td.empty", { colSpan: 10 }, "没有这类通知"))]),
    );
    labelCells($("rows").closest("table"));
    $("page-note").textContent = `共 ${items.length} 条`;
  } catch (error) {
    const box = $("notify-error");
    box.hidden = false;
    box.textContent =
      error instanceof ApiError && error.status === 403 ? "只有市纪委办公室可以处理通知" : describeError(error);
    $("rows").replaceChildren();
    $("page-note").textContent = "";
  }
}

for (const button of document.querySelectorAll("#tabs button")) {
  button.addEventListener("click", () => {
    status = button.dataset.status;
    for (const other of document.querySelectorAll("#tabs button")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    show();
  });
}

show();

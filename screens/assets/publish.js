// /screens/publish — the city office decides which fund's months the public pages show
// (惠民资金公开发布): every imported month with its total and state, and a button to
// publish or withdraw it. The server checks and audits each decision.

import { api, ApiError, describeError, requireSession } from "./api.js";
import { fitStage, fmtTime, h, labelCells, mountHeader } from "./wall.js";

fitStage({ phone: true });
const header = mountHeader("清风 · 惠民资金公开发布");
const $ = (id) => document.getElementById(id);
$("conn").hidden = true;
header.setRegion("");
const me = await requireSession();
if (me.role === "city_office" || me.role === "city_leader") {
  $("logout").before(h("a.button", { href: "/screens/city", id: "to-city" }, "返回指挥中心"));
}

const STATE_TEXT = {
  unpublished: "未公开",
  published: "已公开",
  withdrawn: "已撤回",
  changed: "重新导入后待重新发布",
};

function toast(text, error = false) {
  const box = $("toast");
  box.textContent = text;
  box.className = error ? "show error" : "show";
  setTimeout(() => (box.className = ""), 4000);
}

async function decide(month, action) {
  try {
    await api("/api/publications", {
      method: "POST",
      body: { fund: month.fund, period: month.period, action },
    });
    toast(`${month.fund_name} ${month.period}：${action === "publish" ? "已公开" : "已撤回"}`);
  } catch (error) {
    toast(describeError(error), true);
  }
  show();
}

function row(month) {
  const canDecide = me.role === "city_office";
  const published = month.state === "published";
  const action = published ? "withdraw" : "publish";
  const label = published ? "撤回" : month.state === "changed" ? "重新发布" : "公开";
  return h(
    "tr",
    { dataset: { fund: month.fund, period: month.period, state: month.state } },
    h("td", {}, month.fund_name),
    h("td", {}, month.period),
    h("td", {}, String(month.payments)),
    h("td", {}, month.total_yuan),
    h("td.state", {}, STATE_TEXT[month.state] || month.state),
    h("td", {}, month.decided_by || "—"),
    h("td", {}, month.decided_at ? fmtTime(month.decided_at) : "—"),
    h(
      "td",
      {},
      canDecide
        ? h("button.small" + (published ? ".ghost" : ".primary"), { type: "button", dataset: { action }, onclick: () => decide(month, action) }, label)
        : "—",
    ),
  );
}

async function show() {
  $("publish-error").hidden = true;
  try {
    const { months } = await api("/api/publications");
    const newest = [...months].sort((a, b) => (a.period < b.period ? 1 : -1));
    $("months").replaceChildren(
      ...(newest.length ? newest.map(row) : [h("tr", {}, h("td.empty", { colSpan: 8 }, "还没有导入惠民资金发放数据"))]),
    );
    labelCells($("months").closest("table"));
    const open = months.filter((m) => m.state === "published").length;
    $("publish-note").textContent = `共 ${months.length} 期 · 已公开 ${open} 期`;
  } catch (error) {
    const box = $("publish-error");
    box.hidden = false;
    box.textContent = error instanceof ApiError && error.status === 403 ? "只有市纪委办公室可以发布公开" : describeError(error);
  }
}

show();

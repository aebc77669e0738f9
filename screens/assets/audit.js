// /screens/audit — the audit log (审计日志) for the city office: a filter bar (action, user,
// dates), the records newest first, and paging by the cursor the API hands back. The page
// only reads; each record shows the start of its hash, the whole hash and the one before it
// on hover.

import { api, ApiError, describeError, requireSession } from "./api.js";
import { fitStage, h, labelCells, mountHeader } from "./wall.js";

/** Rows per page. */
const LIMIT = 50;
/** A filtered page may come back short with a cursor; fetch on at most this many times. */
const MAX_FETCHES = 10;

export const ACTION_TEXT = {
  login: "登录",
  login_failed: "登录失败",
  lockout: "账号锁定",
  unlock: "解除锁定",
  token_issued: "签发令牌",
  token_revoked: "注销令牌",
  import: "数据导入",
  import_refused: "导入被拒",
  scan: "比对分析",
  user_added: "新增用户",
  user_changed: "用户变更",
  export: "数据导出",
  unmask: "查看个人信息",
  publish: "发布公开",
  withdraw: "撤回公开",
  public_lookup: "群众查本人",
  regions_imported: "导入区划",
  notification_resent: "重发通知",
  contact_changed: "联系人变更",
};
const ACTOR_TEXT = { anonymous: "匿名", system: "系统" };

fitStage({ phone: true });
const header = mountHeader("清风 · 审计日志");
const $ = (id) => document.getElementById(id);
// The audit page follows no live stream, so the header's connection badge would mislead.
$("conn").hidden = true;
header.setRegion("");
const me = await requireSession();

const form = $("filters");
const state = {
  query: new URLSearchParams(), // the filters of the shown listing
  cursors: [null], // the `after` of each page reached; the last is the shown page's
  next: null, // the cursor of the page after the shown one
};

for (const [action, text] of Object.entries(ACTION_TEXT)) {
  $("f-action").append(h("option", { value: action }, text));
}
if (me.role === "city_office" || me.role === "city_leader") {
  const back = h("a.button", { href: "/screens/city", id: "to-city" }, "返回指挥中心");
  $("logout").before(back);
}

/** Zero-padded local time to the second: an audit record's time must be exact. */
function fullTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function recordRow(r) {
  return h(
    "tr",
    { dataset: { seq: String(r.seq), action: r.action } },
    h("td.seq", {}, String(r.seq)),
    h("td.at", { title: r.at }, fullTime(r.at)),
    h("td.actor", {}, ACTOR_TEXT[r.actor] ? `${ACTOR_TEXT[r.actor]}（${r.actor}）` : r.actor),
    h("td.client", {}, r.client || "—"),
    h("td.action", {}, ACTION_TEXT[r.action] || r.action),
    h("td.target", {}, r.target),
    h("td.detail", {}, r.detail),
    h("td.hash", { title: `本条 ${r.hash}\n上一条 ${r.prev_hash}` }, r.hash.slice(0, 12)),
  );
}

/** Reads one page of up to LIMIT records after `after`, following short pages' cursors. */
async function fetchPage(after) {
  const records = [];
  let cursor = after;
  for (let i = 0; i < MAX_FETCHES && records.length < LIMIT; i++) {
    const params = new URLSearchParams(state.query);
    params.set("limit", String(LIMIT - records.length));
    if (cursor !== null) params.set("after", String(cursor));
    const page = await api(`/api/audit?${params}`);
    records.push(...page.records);
    cursor = page.next;
    if (cursor === null) break;
  }
  return { records, next: cursor };
}

async function show() {
  const after = state.cursors[state.cursors.length - 1];
  $("audit-error").hidden = true;
  for (const id of ["first-page", "prev-page", "next-page"]) $(id).disabled = true;
  try {
    const { records, next } = await fetchPage(after);
    state.next = next;
    const body = $("records");
    if (!records.length) {
      body.replaceChildren(h("tr", {}, h("td.empty", { colSpan: 8 }, "没有符合条件的记录")));
    } else {
      body.replaceChildren(...records.map(recordRow));
    }
    labelCells(body.closest("table"));
    const page = state.cursors.length;
    $("page-note").textContent = `第 ${page} 页 · 本页 ${records.length} 条`;
    $("first-page").disabled = page === 1;
    $("prev-page").disabled = page === 1;
    $("next-page").disabled = next === null;
  } catch (error) {
    const box = $("audit-error");
    box.hidden = false;
    box.textContent =
      error instanceof ApiError && error.status === 403 ? "只有市纪委办公室可以查看审计日志" : describeError(error);
    $("records").replaceChildren();
    $("page-note").textContent = "";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const query = new URLSearchParams();
  for (const name of ["action", "actor", "from", "to"]) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  state.query = query;
  state.cursors = [null];
  show();
});
form.addEventListener("reset", () => {
  state.query = new URLSearchParams();
  state.cursors = [null];
  // The form's fields are cleared after this event; the listing needs no field.
  show();
});
$("next-page").addEventListener("click", () => {
  if (state.next === null) return;
  state.cursors.push(state.next);
  show();
});
$("prev-page").addEventListener("click", () => {
  if (state.cursors.length > 1) state.cursors.pop();
  show();
});
$("first-page").addEventListener("click", () => {
  state.cursors = [null];
  show();
});

show();

// /screens/ledger — the ledger of suspected clues (疑似问题线索台账) for town and city
// offices: filters (town, village, rule, finding, period), rows newest found first with
// their outcome, handling and returns, links to each notice, and the Excel export of the
// same filter. Paged by the cursor the API hands back.

import { api, ApiError, describeError, requireSession } from "./api.js";
import { fitStage, fmtTime, h, labelCells, mountHeader } from "./wall.js";

const LIMIT = 50;
export const FINDING_TEXT = { substantiated: "属实", partly_substantiated: "部分属实", unsubstantiated: "不属实" };
export const HANDLING_TEXT = {
  criticism: "批评教育",
  admonition: "诫勉谈话",
  discipline: "党纪政务处分",
  judicial: "移送司法机关",
  other: "其他",
};

fitStage({ phone: true });
const header = mountHeader("清风 · 疑似问题线索台账");
const $ = (id) => document.getElementById(id);
$("conn").hidden = true;
header.setRegion("");
const me = await requireSession();
const form = $("filters");
const state = { query: new URLSearchParams(), cursors: [null], next: null, towns: [], regions: [] };

/** 元 with two decimals, from fen. */
export function yuan(fen) {
  return (fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

async function fillFilters() {
  const [{ regions }, { rules }] = await Promise.all([api("/api/regions"), api("/api/rules")]);
  state.regions = regions;
  for (const r of regions.filter((r) => r.level === "town")) $("f-town").append(h("option", { value: r.code }, r.name));
  for (const r of rules) $("f-rule").append(h("option", { value: r.code }, r.name));
  fillVillages();
  const back = me.role === "city_office" ? "/screens/city" : `/screens/town/${me.region}`;
  $("logout").before(h("a.button", { href: back, id: "back" }, "返回"));
}

function fillVillages() {
  const town = $("f-town").value;
  const villages = state.regions.filter((r) => r.level === "village" && (!town || r.parent === town));
  $("f-village").replaceChildren(h("option", { value: "" }, "全部"), ...villages.map((r) => h("option", { value: r.code }, r.name)));
}

/** The warning on its town's screen, where its history and forms are. */
const warningHref = (r) => `/screens/town/${r.region.slice(0, 9)}000?warning=${encodeURIComponent(r.id)}`;

function row(r, i) {
  const c = r.case;
  const notices = r.notices.map((n) => h("a.notice-link", { href: n.url, target: "_blank", title: n.number }, n.number));
  return h(
    "tr",
    { dataset: { id: r.id } },
    h("td.seq", {}, String(i)),
    h("td", {}, r.source_label),
    h("td", {}, h("a.warning-link", { href: warningHref(r), title: `预警 ${r.id}` }, r.problem)),
    h("td", {}, [r.town_name, r.region_name].filter((x, k, all) => x && all.indexOf(x) === k).join(" ")),
    h("td.at", {}, fmtTime(r.raised_at)),
    h("td.finding", {}, c ? FINDING_TEXT[c.finding] + (c.revisions > 1 ? "（已更正）" : "") : r.state === "investigation" ? "查办中" : "待核实"),
    h("td", {}, c ? c.handling.map((x) => HANDLING_TEXT[x]).join("、") || "—" : ""),
    h("td.num", {}, c ? String(c.people) : ""),
    h("td.num.money", {}, c ? `${yuan(c.amount_due_fen)} / ${yuan(c.recovered_fen)}` : ""),
    h("td.at", {}, c && c.concluded_at ? fmtTime(c.concluded_at) : ""),
    h("td", {}, ...notices),
  );
}

async function show() {
  const after = state.cursors[state.cursors.length - 1];
  $("ledger-error").hidden = true;
  for (const id of ["first-page", "prev-page", "next-page"]) $(id).disabled = true;
  try {
    const params = new URLSearchParams(state.query);
    params.set("limit", String(LIMIT));
    if (after !== null) params.set("after", after);
    const page = await api(`/api/ledger?${params}`);
    state.next = page.next;
    const first = (state.cursors.length - 1) * LIMIT + 1;
    $("rows").replaceChildren(
      ...(page.items.length ? page.items.map((r, i) => row(r, first + i)) : [h("tr", {}, h("td.empty", { colSpan: 11 }, "没有符合条件的线索"))]),
    );
    labelCells($("rows").closest("table"));
    const total = page.total === null ? "" : ` · 共 ${page.total} 条`;
    $("page-note").textContent = `第 ${state.cursors.length} 页${total}`;
    $("first-page").disabled = $("prev-page").disabled = state.cursors.length === 1;
    $("next-page").disabled = page.next === null;
    $("export").href = `/api/ledger.xlsx?${state.query}`;
  } catch (error) {
    $("ledger-error").hidden = false;
    $("ledger-error").textContent =
      error instanceof ApiError && error.status === 403 ? "只有镇街和市纪委办公室可以查看台账" : describeError(error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const query = new URLSearchParams();
  for (const name of ["town", "village", "rule", "finding", "from", "to"]) {
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
  setTimeout(fillVillages);
  show();
});
$("f-town").addEventListener("change", fillVillages);
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

await fillFilters().catch((error) => {
  $("ledger-error").hidden = false;
  $("ledger-error").textContent = describeError(error);
});
show();

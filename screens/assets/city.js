// /screens/city — the command-center cockpit of a county, a prefecture or a province (the
// signed-in user's region). Its stream keeps the counts, the map of its children and the
// newest warnings current; the map drills down level by level to a town's villages; the REST API adds what the stream does
// not carry (today's figures, the escalation list, the evidence sentence of each warning),
// re-read at most every few seconds after deltas.

import { api, describeError, hasCockpit, homeFor, levelOf, requireSession } from "./api.js";
import { LiveFeed } from "./live.js";
import {
  ChartPanel, HOLDER_TEXT, MapPanel, RUNG_TEXT, STATE_TEXT, autoScroll, fitStage, fmtTime, h,
  loadRuleNames, mountHeader, serverClock, throttle, toast,
} from "./wall.js";

/** As many newest warnings as a snapshot lists. */
const RECENT = 20;

fitStage();
const header = mountHeader("清风 · 智慧监督指挥中心");
const me = await requireSession();
if (!hasCockpit(me.region)) {
  location.replace(homeFor(me));
}
const city = me.region;
const $ = (id) => document.getElementById(id);
if (me.role === "city_office") {
  const toAudit = () => location.assign("/screens/audit");
  $("logout").before(h("button.ghost.small", { id: "to-audit", type: "button", onclick: toAudit }, "审计日志"));
  const toPublish = () => location.assign("/screens/publish");
  $("logout").before(h("button.ghost.small", { id: "to-publish", type: "button", onclick: toPublish }, "公开发布"));
  const toNotify = () => location.assign("/screens/notifications");
  $("logout").before(h("button.ghost.small", { id: "to-notify", type: "button", onclick: toNotify }, "通知送达"));
}
const ruleNames = await loadRuleNames(api);

const state = {
  rows: new Map(), // town code → row of the city's snapshot/deltas
  recent: new Map(), // warning id → small view from the stream
  details: new Map(), // warning id → full view from the API (subject, evidence)
  path: [], // the regions drilled into, {code, name}, the one shown last
  fresh: new Set(), // ids that arrived by delta, flashed once
};

const map = new MapPanel($("map"), { onPick: (code, name) => pick(code, name) });
const trend = new ChartPanel($("chart-trend"), "近30天预警趋势");
const rectification = new ChartPanel($("chart-rectification"), "整改率");
autoScroll($("recent-list"));
autoScroll($("escalation-list"));

function showCharts(code) {
  trend.show(`/charts/trend.svg?region=${code}&days=30`);
  rectification.show(`/charts/rectification.svg?region=${code}`);
}

function showSummary(summary) {
  $("count-red").textContent = summary.red;
  $("count-yellow").textContent = summary.yellow;
  $("count-green").textContent = summary.green;
  $("count-overdue").textContent = summary.overdue;
  $("count-supervised").textContent = summary.supervised ?? "—";
  const rate = summary.on_time_rate;
  $("rate-on-time").textContent = rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

/** Today's figures are not in the stream: they come from the summary endpoint. */
const refreshToday = throttle(async () => {
  try {
    const summary = await api(`/api/regions/${city}/summary`);
    $("count-raised-today").textContent = summary.raised_today ?? "—";
    $("count-rectified-today").textContent = summary.rectified_today ?? "—";
  } catch (error) {
    toast(describeError(error), true);
  }
}, 3000);

const refreshEscalations = throttle(async () => {
  try {
    const { items, total } = await api(`/api/overdue?region=${city}`);
    $("escalation-total").textContent = `共 ${total} 件`;
    const list = $("escalation-list");
    if (!items.length) {
      list.replaceChildren(h("li.empty", {}, "暂无逾期或督办事项"));
      return;
    }
    list.replaceChildren(...items.map(escalationRow));
  } catch (error) {
    toast(describeError(error), true);
  }
}, 3000);

function escalationRow(w) {
  const rung = w.supervision ? `${HOLDER_TEXT[w.supervision.holder] || ""}${RUNG_TEXT[w.supervision.rung] || ""}` : "";
  const side = w.days_overdue !== null && w.days_overdue !== undefined ? `逾期 ${w.days_overdue} 天` : "督办中";
  return h(
    "li",
    { dataset: { warningId: w.id, level: w.level } },
    h("span.dot"),
    h(
      "div",
      {},
      h("div.title", {}, w.title),
      h("div.meta", {}, `${w.region_name || w.region} · ${STATE_TEXT[w.state] || w.state}`, rung ? h("span.badge.hot", {}, rung) : null),
    ),
    h("div.side", {}, h("span.badge.hot", {}, side)),
  );
}

/** The evidence sentence of each listed warning, read from the API (the stream's small
 * view leaves it out). */
const refreshDetails = throttle(async () => {
  try {
    const { items } = await api(`/api/warnings?region=${city}&limit=${RECENT}`);
    for (const item of items) state.details.set(item.id, item);
    renderRecent();
  } catch (error) {
    toast(describeError(error), true);
  }
}, 3000);

function renderRecent() {
  const newest = [...state.recent.values()]
    .sort((a, b) => (b.raised_at === a.raised_at ? (b.id > a.id ? 1 : -1) : b.raised_at > a.raised_at ? 1 : -1))
    .slice(0, RECENT);
  state.recent = new Map(newest.map((w) => [w.id, w]));
  const list = $("recent-list");
  if (!newest.length) {
    list.replaceChildren(h("li.empty", {}, "暂无预警"));
    return;
  }
  list.replaceChildren(
    ...newest.map((w) => {
      const detail = state.details.get(w.id);
      const rule = w.rule ? ruleNames.get(w.rule) || w.rule : "人工录入";
      const basis = detail?.subject ? `${rule}｜${detail.subject}` : rule;
      const row = h(
        "li",
        { dataset: { warningId: w.id, level: w.level } },
        h("span.dot"),
        h(
          "div",
          {},
          h("div.title", {}, w.title),
          h("div.meta", {}, `${w.region_name || w.region} · ${fmtTime(w.raised_at)}`),
          h("div.basis", {}, `比对依据：${basis}`),
        ),
        h("div.side", {}, STATE_TEXT[w.state] || w.state),
      );
      if (state.fresh.has(w.id)) row.classList.add("new");
      return row;
    }),
  );
  state.fresh.clear();
}

function mergeWarnings(warnings) {
  const oldest = [...state.recent.values()].reduce((min, w) => (w.raised_at < min ? w.raised_at : min), "9999");
  let unknown = false;
  for (const w of warnings) {
    const listed = state.recent.has(w.id);
    if (listed || state.recent.size < RECENT || w.raised_at >= oldest) {
      if (!listed) state.fresh.add(w.id);
      state.recent.set(w.id, w);
      unknown ||= !state.details.has(w.id);
    }
  }
  renderRecent();
  if (unknown) refreshDetails();
}

/** What a region's children are called on its map and chart titles. */
const CHILDREN = { province: "各市", prefecture: "各县区", city: "各镇街", town: "各村（社区）" };
const drilled = () => state.path.at(-1) || null;

/** Drill down into a region's children, or show a village's figures when at the bottom. */
async function pick(code, name) {
  if (levelOf(code) === "village") {
    map.select(code);
    const row = map.rows.get(code);
    if (row) toast(`${row.name}：红 ${row.red} · 黄 ${row.yellow} · 绿 ${row.green} · 逾期 ${row.overdue}`);
    return;
  }
  state.path.push({ code, name: name || map.rows.get(code)?.name || code });
  await showLevel();
}

/** Shows the map and charts of the region drilled into last (the cockpit's own without one). */
async function showLevel() {
  const top = drilled();
  const code = top ? top.code : city;
  const children = CHILDREN[levelOf(code)] || "";
  $("map-back").hidden = !top;
  $("map-back").textContent = state.path.length > 1 ? "返回上级" : "返回全市";
  $("map-title").textContent = top ? `${top.name} · ${children}预警分布` : `${children}预警分布`;
  $("chart-rect-title").textContent = top ? `${top.name} · ${children}整改率` : `${children}整改率`;
  if (!top) {
    delete document.body.dataset.drilled;
    map.show(city, [...state.rows.values()]);
    showCharts(city);
    return;
  }
  document.body.dataset.drilled = code;
  const rows = await childRows(code);
  if (drilled()?.code !== code) return;
  await map.show(code, rows);
  showCharts(code);
}

async function childRows(code) {
  try {
    const summary = await api(`/api/regions/${code}/summary`);
    return summary.regions;
  } catch (error) {
    toast(describeError(error), true);
    return [];
  }
}

const refreshDrilled = throttle(async () => {
  const top = drilled();
  if (!top) return;
  const rows = await childRows(top.code);
  if (drilled()?.code === top.code) map.update(rows);
}, 2000);

function back() {
  state.path.pop();
  showLevel();
}
$("map-back").addEventListener("click", back);

/** Towns listed by name in the funnel; the rest share one row. */
const FUNNEL_TOWNS = 6;

/** 元 without decimals for the wall (the ledger shows fen exactly). */
const wallYuan = (fen) => Math.round(fen / 100).toLocaleString("zh-CN");

/** 监督成效: the stream's funnel of this year's warnings (snapshot and every delta). */
function showFunnel(funnel) {
  if (!funnel) return;
  const t = funnel.total;
  $("funnel-year").textContent = `${funnel.year}年`;
  $("funnel-raised").textContent = t.raised;
  $("funnel-true").textContent = t.substantiated;
  $("funnel-people").textContent = t.people;
  $("funnel-recovered").textContent = wallYuan(t.recovered_fen);
  // The towns with the most clues, and the rest summed in one row (a county has 20 odd).
  const towns = [...funnel.towns].sort((a, b) => b.raised - a.raised);
  const shown = towns.length > FUNNEL_TOWNS + 1 ? towns.slice(0, FUNNEL_TOWNS) : towns;
  const rest = towns.slice(shown.length);
  const line = (r, name, data) => h("tr", data, h("td", {}, name), h("td", {}, String(r.raised)), h("td", {}, String(r.substantiated)), h("td", {}, String(r.people)), h("td", {}, wallYuan(r.recovered_fen)));
  const sum = (key) => rest.reduce((n, r) => n + r[key], 0);
  const others = { raised: sum("raised"), substantiated: sum("substantiated"), people: sum("people"), recovered_fen: sum("recovered_fen") };
  $("funnel-towns").replaceChildren(
    ...shown.map((r) => line(r, r.name || r.code, { dataset: { code: r.code } })),
    ...(rest.length ? [line(others, `其余${rest.length}个`, { className: "others" })] : []),
  );
  const rules = funnel.rules.filter((r) => r.untrue_share !== null).sort((a, b) => b.untrue_share - a.untrue_share);
  $("precision").replaceChildren(
    ...rules.map((r) => {
      const pct = Math.round(r.untrue_share * 100);
      const name = ruleNames.get(r.rule) || (r.rule ? r.rule : "人工录入");
      return h("li", { title: `已核实 ${r.judged} 条，不属实 ${r.unsubstantiated} 条` }, h("span", {}, name), h("span.bar", {}, h("i", { style: `width:${pct}%` })), h("span.share", {}, `${pct}%`));
    }),
  );
}

function onSnapshot(message) {
  showFunnel(message.funnel);
  serverClock.heard(message.at);
  header.setRegion(message.name || "");
  state.rows = new Map(message.regions.map((row) => [row.code, row]));
  if (!drilled()) map.update(message.regions);
  showSummary(message.summary);
  state.recent = new Map(message.recent.map((w) => [w.id, w]));
  renderRecent();
  refreshDetails();
  refreshToday();
  refreshEscalations();
  trend.refresh();
  rectification.refresh();
  if (drilled()) refreshDrilled();
}

function onDelta(message) {
  serverClock.heard(message.at);
  showFunnel(message.funnel);
  showSummary(message.summary);
  for (const row of message.regions) state.rows.set(row.code, row);
  // A delta names the cockpit's children that changed; below them, re-read the level shown.
  if (!drilled()) map.update(message.regions);
  else refreshDrilled();
  if (message.warnings?.length) mergeWarnings(message.warnings);
  refreshToday();
  refreshEscalations();
  trend.refresh();
  rectification.refresh();
}

showLevel();
// The stream of the user's own region, named by its level (`city:CODE` for a county).
new LiveFeed({ scope: `${levelOf(city)}:${city}`, onSnapshot, onDelta, onStale: header.setStale }).start();

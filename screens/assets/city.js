// /screens/city — the command-center cockpit. The city scope's stream keeps the counts,
// the town map and the newest warnings current; the REST API adds what the stream does
// not carry (today's figures, the escalation list, the evidence sentence of each warning),
// re-read at most every few seconds after deltas.

import { api, describeError, homeFor, levelOf, requireSession } from "./api.js";
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
if (levelOf(me.region) !== "city") {
  location.replace(homeFor(me));
}
const city = me.region;
const $ = (id) => document.getElementById(id);
if (me.role === "city_office") {
  const toAudit = () => location.assign("/screens/audit");
  $("logout").before(h("button.ghost.small", { id: "to-audit", type: "button", onclick: toAudit }, "审计日志"));
  const toPublish = () => location.assign("/screens/publish");
  $("logout").before(h("button.ghost.small", { id: "to-publish", type: "button", onclick: toPublish }, "公开发布"));
}
const ruleNames = await loadRuleNames(api);

const state = {
  rows: new Map(), // town code → row of the city's snapshot/deltas
  recent: new Map(), // warning id → small view from the stream
  details: new Map(), // warning id → full view from the API (subject, evidence)
  drilled: null, // {code, name} while a town's villages are shown
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

/** Drill down into a town's villages, or show a village's name when already down. */
async function pick(code, name) {
  if (state.drilled) {
    map.select(code);
    const row = map.rows.get(code);
    if (row) toast(`${row.name}：红 ${row.red} · 黄 ${row.yellow} · 绿 ${row.green} · 逾期 ${row.overdue}`);
    return;
  }
  state.drilled = { code, name: name || state.rows.get(code)?.name || code };
  $("map-back").hidden = false;
  $("map-title").textContent = `${state.drilled.name} · 各村（社区）预警分布`;
  $("chart-rect-title").textContent = `${state.drilled.name} · 各村整改率`;
  document.body.dataset.drilled = code;
  const rows = await townRows(code);
  if (state.drilled?.code !== code) return;
  await map.show(code, rows);
  showCharts(code);
}

async function townRows(code) {
  try {
    const summary = await api(`/api/regions/${code}/summary`);
    return summary.regions;
  } catch (error) {
    toast(describeError(error), true);
    return [];
  }
}

const refreshDrilled = throttle(async () => {
  if (!state.drilled) return;
  const code = state.drilled.code;
  const rows = await townRows(code);
  if (state.drilled?.code === code) map.update(rows);
}, 2000);

function back() {
  state.drilled = null;
  delete document.body.dataset.drilled;
  $("map-back").hidden = true;
  $("map-title").textContent = "各镇街预警分布";
  $("chart-rect-title").textContent = "各镇街整改率";
  map.show(city, [...state.rows.values()]);
  showCharts(city);
}
$("map-back").addEventListener("click", back);

function onSnapshot(message) {
  serverClock.heard(message.at);
  header.setRegion(message.name || "");
  state.rows = new Map(message.regions.map((row) => [row.code, row]));
  if (!state.drilled) map.update(message.regions);
  showSummary(message.summary);
  state.recent = new Map(message.recent.map((w) => [w.id, w]));
  renderRecent();
  refreshDetails();
  refreshToday();
  refreshEscalations();
  trend.refresh();
  rectification.refresh();
  if (state.drilled) refreshDrilled();
}

function onDelta(message) {
  serverClock.heard(message.at);
  showSummary(message.summary);
  for (const row of message.regions) state.rows.set(row.code, row);
  if (!state.drilled) map.update(message.regions);
  else if (message.regions.some((row) => row.code === state.drilled.code)) refreshDrilled();
  if (message.warnings?.length) mergeWarnings(message.warnings);
  refreshToday();
  refreshEscalations();
  trend.refresh();
  rectification.refresh();
}

map.show(city, []);
showCharts(city);
new LiveFeed({ scope: "city", onSnapshot, onDelta, onStale: header.setStale }).start();

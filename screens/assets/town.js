// /screens/town/{code} — the town digital office: its villages on the map, its queue of
// open warnings (escalated first), and one warning's evidence, history and the commands
// this office may send on it (exactly its `allowed` list).

import { api, describeError, homeFor, levelOf, requireSession } from "./api.js";
import { commandButtons } from "./commands.js";
import { outcomeSection } from "./outcome.js";
import { LiveFeed } from "./live.js";
import {
  detailLoader, HOLDER_TEXT, LEVEL_TEXT, MapPanel, RUNG_TEXT, SEVERITY_TEXT, STATE_TEXT, fitStage,
  deliveriesView, fmtTime, h, historyView, loadRuleNames, mountHeader, serverClock, throttle, toast,
} from "./wall.js";
import { evidenceView } from "./evidence.js";

fitStage();
const header = mountHeader("清风 · 数字监察办公室");
const me = await requireSession();
const code = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const $ = (id) => document.getElementById(id);
if (!/^\d{12}$/.test(code) || levelOf(code) !== "town") {
  location.replace(homeFor(me));
}
const ruleNames = await loadRuleNames(api);
if (me.role === "town_office" || me.role === "city_office") {
  $("logout").before(h("a.button", { href: "/screens/ledger", id: "to-ledger" }, "线索台账"));
}

const state = {
  warnings: [], // open warnings of the town, full views
  filter: "all",
  village: null,
  selected: null, // id
};

const FILTERS = {
  all: () => true,
  escalated: (w) => w.overdue || w.supervision?.open,
  submitted: (w) => w.state === "submitted",
  observation: (w) => w.state === "observation",
  reminder: (w) => w.state === "reminder",
};

/** Escalated first (longest overdue first), then those awaiting verification, then by
 * deadline; reminders after the red ones; warnings in observation last. */
function priority(w) {
  if (w.overdue) return [0, -(w.days_overdue || 0)];
  if (w.supervision?.open) return [1, 0];
  if (w.state === "submitted") return [2, 0];
  if (w.state === "observation") return [4, 0];
  if (w.state === "reminder") return [3, 1];
  return [3, 0];
}

function compare(a, b) {
  const [pa, qa] = priority(a);
  const [pb, qb] = priority(b);
  if (pa !== pb) return pa - pb;
  if (qa !== qb) return qa - qb;
  return a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0;
}

const loadQueue = throttle(async () => {
  try {
    const { items } = await api(`/api/warnings?region=${code}&limit=1000`);
    state.warnings = items.filter((w) => w.level !== "green").sort(compare);
    renderQueue();
  } catch (error) {
    toast(describeError(error), true);
  }
}, 1000);

function renderQueue() {
  const shown = state.warnings.filter(
    (w) => FILTERS[state.filter](w) && (!state.village || w.region === state.village),
  );
  $("queue-total").textContent = `${shown.length} 件`;
  const list = $("queue");
  if (!shown.length) {
    list.replaceChildren(h("li.empty", {}, "没有待处置的预警"));
    return;
  }
  list.replaceChildren(...shown.map(queueRow));
}

function queueRow(w) {
  let badge = null;
  if (w.overdue) badge = h("span.badge.hot", {}, `逾期 ${w.days_overdue ?? 0} 天`);
  else if (w.supervision?.open) badge = h("span.badge.hot", {}, `${HOLDER_TEXT[w.supervision.holder] || ""}${RUNG_TEXT[w.supervision.rung] || "督办"}`);
  else if (w.state === "submitted") badge = h("span.badge", {}, "待审核");
  return h(
    "li.selectable" + (w.id === state.selected ? ".selected" : ""),
    { dataset: { warningId: w.id, level: w.level }, onclick: () => select(w.id) },
    h("span.dot"),
    h(
      "div",
      {},
      h("div.title", {}, w.title),
      h("div.meta", {}, `${w.region_name || w.region} · ${STATE_TEXT[w.state] || w.state} · 期限 ${fmtTime(w.deadline)}`),
    ),
    h("div.side", {}, badge),
  );
}

async function select(id) {
  state.selected = id;
  renderQueue();
  await loadDetail();
}

const loadDetail = detailLoader(
  state,
  (id) => api(`/api/warnings/${encodeURIComponent(id)}`),
  describeError,
  (warning) => renderDetail(warning),
);

function renderDetail(w) {
  const supervision = w.supervision
    ? `${HOLDER_TEXT[w.supervision.holder] || ""}${RUNG_TEXT[w.supervision.rung] || ""}（超期 ${w.supervision.misses} 次）${w.supervision.open ? "" : "，已回应"}`
    : "无";
  const facts = [
    ["地点", w.region_name || w.region],
    ["等级", LEVEL_TEXT[w.level] || w.level],
    ["状态", STATE_TEXT[w.state] || w.state],
    ["严重程度", SEVERITY_TEXT[w.severity] || w.severity],
    [w.state === "reminder" ? "提醒期限" : "整改期限", `${fmtTime(w.deadline)}${w.overdue ? `（已逾期 ${w.days_overdue ?? 0} 天）` : ""}`],
    ["二次督办", supervision],
    ["延期次数", String(w.extensions)],
    ["生成时间", fmtTime(w.raised_at)],
    ["判别规则", w.rule ? ruleNames.get(w.rule) || w.rule : "人工录入"],
  ];
  if (w.last_reason) facts.push(["最近理由", w.last_reason]);
  const onDone = (updated, label) => {
    toast(`${label}：已完成`);
    if (state.selected === updated.id) renderDetail(updated);
    loadQueue();
  };
  $("detail").replaceChildren(
    h("h3", { dataset: { warningId: w.id } }, w.title),
    h("dl.facts", {}, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h4", {}, "可执行操作"),
    commandButtons(w, onDone, { skip: ["record_outcome", "record_recovery"] }),
    h("h4", {}, "处置结果"),
    outcomeSection(w, onDone),
    h("h4", {}, "比对判别依据"),
    evidenceView(w, w.rule ? ruleNames.get(w.rule) : null),
    h("h4", {}, "处置记录"),
    historyView(w.history),
    w.deliveries ? h("h4", {}, "通知送达") : null,
    deliveriesView(w.deliveries),
  );
}

for (const button of document.querySelectorAll("#queue-tabs button")) {
  button.addEventListener("click", () => {
    state.filter = button.dataset.filter;
    for (const other of document.querySelectorAll("#queue-tabs button")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    renderQueue();
  });
}

const map = new MapPanel($("map"), {
  onPick: (village) => {
    state.village = village;
    map.select(village);
    $("map-back").hidden = false;
    renderQueue();
  },
});
$("map-back").addEventListener("click", () => {
  state.village = null;
  map.select(null);
  $("map-back").hidden = true;
  renderQueue();
});

function showSummary(summary) {
  $("count-red").textContent = summary.red;
  $("count-yellow").textContent = summary.yellow;
  $("count-green").textContent = summary.green;
  $("count-overdue").textContent = summary.overdue;
  $("supervised-note").textContent = `二次督办中 ${summary.supervised ?? 0} 件`;
}

function onSnapshot(message) {
  serverClock.heard(message.at);
  header.setRegion(message.name || code);
  showSummary(message.summary);
  map.update(message.regions);
  loadQueue();
  loadDetail();
}

function onDelta(message) {
  serverClock.heard(message.at);
  showSummary(message.summary);
  map.update(message.regions);
  if (message.warnings?.length || message.warnings_omitted) loadQueue();
  if (message.warnings?.some((w) => w.id === state.selected)) loadDetail();
}

try {
  const summary = await api(`/api/regions/${code}/summary`);
  header.setRegion(summary.name);
  map.show(code, summary.regions);
  new LiveFeed({ scope: `town:${code}`, onSnapshot, onDelta, onStale: header.setStale }).start();
  // A notification's link opens its warning: `?warning=W…`.
  const linked = new URL(location.href).searchParams.get("warning");
  if (linked && /^[A-Za-z0-9-]{1,40}$/.test(linked)) select(linked);
} catch (error) {
  $("detail").replaceChildren(h("div.error-box", {}, describeError(error)));
  toast(describeError(error), true);
}

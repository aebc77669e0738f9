// /screens/village/{code} — the village steward's tablet (and phone): open tasks with
// deadline countdowns, acknowledge / start, and the rectification form (a note and
// photos). It works without network: the service worker (`sw.js`) keeps the page and the
// tasks, and every command goes through the outbox (`outbox.js`), which sends it at once
// when it can and otherwise keeps it, shown as 待同步, until the server can be reached.
// Photos are uploaded one by one to `POST /api/warnings/{id}/attachments`, then cited by
// id in `submit_rectification`; a resend after a lost answer reuses the keys.

import { api, describeError, homeFor, levelOf, requireSession, uuid } from "./api.js";
import { commandButtons, COMMANDS } from "./commands.js";
import { LiveFeed } from "./live.js";
import { Outbox } from "./outbox.js";
import { expected, queuedFor, queuedView, renderProblems, renderSyncBar } from "./sync.js";
import {
  detailLoader, LEVEL_TEXT, STATE_TEXT, fitStage, fmtSpan, fmtTime, h, historyView,
  loadRuleNames, mountHeader, serverClock, throttle, toast,
} from "./wall.js";
import { evidenceView } from "./evidence.js";

/** The server refuses larger photos; checking here saves a tablet a slow upload. */
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
/** A village has a few dozen open tasks; more than this are read when opened. */
const MAX_KEPT_DETAILS = 60;

fitStage({ phone: true });
const header = mountHeader("清风 · 清廉乡村智慧管家");
const me = await requireSession();
const code = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const $ = (id) => document.getElementById(id);
if (!/^\d{12}$/.test(code) || levelOf(code) !== "village") {
  location.replace(homeFor(me));
}
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/screens/village/sw.js", { scope: "/screens/village/" }).catch((error) => {
    console.warn("the offline copy is not available", error);
  });
}
const ruleNames = await loadRuleNames(api);

const state = { tasks: [], selected: null, detail: null, pending: [], problems: [], copyAt: null };
const outbox = new Outbox(me.username);

/** Redraws what depends on the outbox: the bar, the problems, the task marks, the detail. */
async function showOutbox() {
  const before = state.pending.length;
  state.pending = await outbox.pending();
  state.problems = await outbox.problems();
  if (state.pending.length < before) {
    // Something was sent (or refused): the server's view of the tasks has moved.
    loadTasks();
    loadDetail();
  }
  renderSyncBar($("sync-bar"), { ...state, blocked: outbox.blocked, sending: outbox.sending });
  renderProblems($("sync-problems"), state.problems, (seq) => outbox.dismiss(seq));
  renderTasks();
  if (state.detail?.id === state.selected) renderDetail(state.detail);
}
outbox.onChange(showOutbox);
addEventListener("qingfeng:copy", (event) => {
  const first = !state.copyAt;
  state.copyAt = event.detail;
  document.body.dataset.offline = "true";
  if (first) showOutbox();
});
addEventListener("qingfeng:fresh", () => {
  if (!state.copyAt) return;
  state.copyAt = null;
  document.body.dataset.offline = "false";
  // The server answers again: send what waited.
  outbox.flush();
  showOutbox();
});

/** Overdue first, then the nearest deadline; reminders after red tasks; tasks in
 * observation last. */
function byUrgency(a, b) {
  const rank = (w) => (w.overdue ? 0 : w.state === "reminder" ? 2 : w.state === "observation" ? 3 : 1);
  return rank(a) - rank(b) || (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0);
}

const loadTasks = throttle(async () => {
  try {
    const { items } = await api(`/api/warnings?region=${code}&limit=500`);
    // A copy the service worker served (a slow or absent network) may be older than what
    // this page already knows: a task never goes back to an older version.
    const known = new Map(state.tasks.map((w) => [w.id, w]));
    const newest = items.map((w) => (known.get(w.id)?.version > w.version ? known.get(w.id) : w));
    state.tasks = newest.filter((w) => w.level !== "green").sort(byUrgency);
    keepDetails();
    if (!state.selected && state.tasks.length) {
      state.selected = state.tasks[0].id;
      loadDetail();
    }
    renderTasks();
  } catch (error) {
    toast(describeError(error), true);
  }
}, 1000);

/**
 * Reads each open task's detail now and then, so that the service worker has a copy of
 * every task (not only those opened) for a day without network.
 */
const keepDetails = throttle(async () => {
  if (!navigator.serviceWorker?.controller || state.copyAt) return;
  for (const w of state.tasks.slice(0, MAX_KEPT_DETAILS)) {
    try {
      await api(`/api/warnings/${encodeURIComponent(w.id)}`);
    } catch {
      return;
    }
  }
}, 60_000);

function countdown(w) {
  if (w.state === "submitted") return { text: "已提交，待镇审核", cls: "done" };
  if (w.state === "investigation") return { text: "已移送查处", cls: "late" };
  if (w.state === "observation") return { text: `观察期至 ${fmtTime(w.observation_until)}`, cls: "done" };
  if (w.state === "reminder") {
    // A reminder is never overdue: when its deadline passes it turns red.
    const left = new Date(w.deadline).getTime() - serverClock.now();
    return { text: `提醒剩余 ${fmtSpan(Math.max(left, 0))}`, cls: "" };
  }
  const left = new Date(w.deadline).getTime() - serverClock.now();
  return left >= 0 ? { text: `剩余 ${fmtSpan(left)}`, cls: "" } : { text: `已逾期 ${fmtSpan(left)}`, cls: "late" };
}

function renderTasks() {
  const list = $("tasks");
  if (!state.tasks.length) {
    list.replaceChildren(h("li.empty", {}, "暂无待办任务"));
    return;
  }
  list.replaceChildren(
    ...state.tasks.map((server) => {
      const queued = queuedFor(state.pending, server.id);
      const w = expected(server, queued);
      const { text, cls } = countdown(w);
      return h(
        "li.selectable" + (w.id === state.selected ? ".selected" : "") + (queued.length ? ".pending" : ""),
        { dataset: { warningId: w.id, level: w.level, pending: String(queued.length) }, onclick: () => select(w.id) },
        h("span.dot"),
        h(
          "div",
          {},
          h("div.title", {}, w.title),
          h("div.meta", {}, `${STATE_TEXT[w.state] || w.state} · 期限 ${fmtTime(w.deadline)}`),
          queued.length ? h("span.sync-badge", {}, `待同步 ${queued.length}`) : null,
        ),
        h("div.side", {}, h("span.countdown" + (cls ? `.${cls}` : ""), { dataset: { deadline: w.deadline } }, text)),
      );
    }),
  );
}

// Countdowns tick every second without reloading anything.
setInterval(() => {
  for (const node of document.querySelectorAll("#tasks li[data-warning-id]")) {
    const w = state.tasks.find((t) => t.id === node.dataset.warningId);
    const target = node.querySelector(".countdown");
    if (!w || !target) continue;
    const { text, cls } = countdown(w);
    target.textContent = text;
    target.className = "countdown" + (cls ? ` ${cls}` : "");
  }
}, 1000);

function select(id) {
  state.selected = id;
  renderTasks();
  loadDetail();
  // On a phone the detail is below the list: bring it into view.
  if (document.body.classList.contains("phone")) document.getElementById("detail").scrollIntoView();
}

const loadDetail = detailLoader(
  state,
  (id) => api(`/api/warnings/${encodeURIComponent(id)}`),
  describeError,
  (warning) => renderDetail(warning),
);

function done(updated, label) {
  if (updated.queued) {
    toast(`${label}：已保存，待同步（联网后自动发送）`);
    return;
  }
  toast(`${label}：已完成`);
  if (state.selected === updated.id) renderDetail(updated);
  loadTasks();
}

/** Sends a command of `w` through the outbox (the command dialog's `send`). */
const sendVia = (w) => async (body, key) => {
  const label = COMMANDS[body.type]?.label ?? body.type;
  const result = await outbox.submit({ warning: w.id, title: w.title, label, body, key });
  return result.queued ? result : result.warning;
};

function renderDetail(server) {
  // Never back to an older version of the task (a copy served while the network was slow),
  // which would also throw away a rectification form being filled in.
  if (state.detail?.id === server.id && server.version < state.detail.version) server = state.detail;
  state.detail = server;
  const queued = queuedFor(state.pending, server.id);
  const w = expected(server, queued);
  const { text } = countdown(w);
  const keep = $("detail").querySelector("form.rectify");
  const form = (w.allowed || []).includes("submit_rectification")
    ? keep && keep.dataset.warningId === w.id ? keep : rectificationForm(w)
    : null;
  // Through h(), which drops the parts that do not apply (replaceChildren would print them).
  const body = h(
    "div",
    {},
    h("h3", { dataset: { warningId: w.id } }, w.title),
    h(
      "dl.facts",
      {},
      h("dt", {}, "等级"), h("dd", {}, LEVEL_TEXT[w.level] || w.level),
      h("dt", {}, "状态"), h("dd", {}, (STATE_TEXT[w.state] || w.state) + (queued.length ? "（待同步）" : "")),
      h("dt", {}, w.state === "reminder" ? "提醒期限" : "整改期限"), h("dd", {}, `${fmtTime(w.deadline)}（${text}）`),
      w.last_reason ? [h("dt", {}, "退回/延期理由"), h("dd", {}, w.last_reason)] : null,
    ),
    queued.length ? [h("h4", {}, "待同步操作"), queuedView(queued)] : null,
    h("h4", {}, "操作"),
    commandButtons(w, done, { skip: ["submit_rectification"], send: sendVia(w) }),
    form ? [h("h4", {}, "提交整改"), form] : null,
    h("h4", {}, "比对判别依据"),
    evidenceView(w, w.rule ? ruleNames.get(w.rule) : null),
    h("h4", {}, "处置记录"),
    historyView(w.history),
  );
  $("detail").replaceChildren(...body.childNodes);
}

function rectificationForm(w) {
  const note = h("textarea", { name: "note", placeholder: "整改情况说明（必填）" });
  const photos = h("input", { type: "file", name: "photos", accept: "image/jpeg,image/png,image/webp", multiple: true });
  const previews = h("div.previews");
  const error = h("div.error-box", { hidden: true });
  const submit = h("button.primary", { type: "submit", id: "submit-rectification" }, "提交整改");

  photos.addEventListener("change", () => {
    previews.replaceChildren(
      ...[...photos.files].map((file) => {
        const big = file.size > MAX_PHOTO_BYTES;
        return h(
          "figure" + (big ? ".bad" : ""),
          {},
          h("img", { src: URL.createObjectURL(file), alt: file.name }),
          h("figcaption", {}, big ? `${file.name}：超过 5 MB` : file.name),
        );
      }),
    );
  });

  const fail = (message) => {
    error.hidden = false;
    error.textContent = message;
    submit.disabled = false;
    submit.textContent = "提交整改";
  };

  const form = h("form.rectify", { dataset: { warningId: w.id } },
    h("label.field", {}, "整改说明"), note,
    h("label.field", {}, "整改照片（JPEG / PNG / WebP，每张不超过 5 MB）"),
    h("div.file-pick", {}, photos), previews, error, submit);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!note.value.trim()) return fail("请填写整改说明");
    const files = [...photos.files];
    const big = files.find((file) => file.size > MAX_PHOTO_BYTES);
    if (big) return fail(`照片「${big.name}」超过 5 MB，请重新选择`);
    submit.disabled = true;
    submit.textContent = "正在提交…";
    // One user action, one key: the outbox keeps it (and a key per photo) until the
    // server has answered, so a resend never submits twice.
    const command = {
      warning: w.id,
      title: w.title,
      label: COMMANDS.submit_rectification.label,
      body: { type: "submit_rectification", note: note.value.trim() },
      key: uuid(),
      photos: files,
    };
    try {
      const result = await outbox.submit(command, (text) => (submit.textContent = text));
      form.remove();
      done(result.queued ? result : result.warning, "提交整改");
    } catch (failure) {
      fail(describeError(failure));
    }
  });
  return form;
}

function showSummary(summary) {
  $("count-red").textContent = summary.red;
  $("count-yellow").textContent = summary.yellow;
  $("count-overdue").textContent = summary.overdue;
}

function onSnapshot(message) {
  serverClock.heard(message.at);
  // The stream is back, so the server can be reached: send what waited.
  outbox.flush();
  header.setRegion(message.name || code);
  showSummary(message.summary);
  loadTasks();
  loadDetail();
}

function onDelta(message) {
  serverClock.heard(message.at);
  showSummary(message.summary);
  loadTasks();
  if (message.warnings?.some((w) => w.id === state.selected)) loadDetail();
}

new LiveFeed({ scope: `village:${code}`, onSnapshot, onDelta, onStale: header.setStale }).start();
// Read the tasks now, not only when the stream's first snapshot comes: without network
// there is no stream, and the service worker's copy is what the steward works from.
loadTasks();
showOutbox();
outbox.flush();

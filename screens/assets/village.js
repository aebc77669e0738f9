// /screens/village/{code} — the village steward's tablet: open tasks with deadline
// countdowns, acknowledge / start, and the rectification form (a note and photos). Photos
// are uploaded one by one to `POST /api/warnings/{id}/attachments`, then cited by id in
// `submit_rectification`; a retry after a lost answer reuses the uploads and the key.

import { api, ApiError, describeError, homeFor, levelOf, requireSession, uuid } from "./api.js";
import { commandButtons, outcomeUnknown, sendCommand } from "./commands.js";
import { LiveFeed } from "./live.js";
import {
  detailLoader, LEVEL_TEXT, STATE_TEXT, evidenceView, fitStage, fmtSpan, fmtTime, h, historyView,
  loadRuleNames, mountHeader, serverClock, throttle, toast,
} from "./wall.js";

/** The server refuses larger photos; checking here saves a tablet a slow upload. */
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

fitStage({ phone: true });
const header = mountHeader("清风 · 清廉乡村智慧管家");
const me = await requireSession();
const code = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const $ = (id) => document.getElementById(id);
if (!/^\d{12}$/.test(code) || levelOf(code) !== "village") {
  location.replace(homeFor(me));
}
const ruleNames = await loadRuleNames(api);

const state = { tasks: [], selected: null };

/** Overdue first, then the nearest deadline; reminders after red tasks; tasks in
 * observation last. */
function byUrgency(a, b) {
  const rank = (w) => (w.overdue ? 0 : w.state === "reminder" ? 2 : w.state === "observation" ? 3 : 1);
  return rank(a) - rank(b) || (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0);
}

const loadTasks = throttle(async () => {
  try {
    const { items } = await api(`/api/warnings?region=${code}&limit=500`);
    state.tasks = items.filter((w) => w.level !== "green").sort(byUrgency);
    if (!state.selected && state.tasks.length) {
      state.selected = state.tasks[0].id;
      loadDetail();
    }
    renderTasks();
  } catch (error) {
    toast(describeError(error), true);
  }
}, 1000);

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
    ...state.tasks.map((w) => {
      const { text, cls } = countdown(w);
      return h(
        "li.selectable" + (w.id === state.selected ? ".selected" : ""),
        { dataset: { warningId: w.id, level: w.level }, onclick: () => select(w.id) },
        h("span.dot"),
        h(
          "div",
          {},
          h("div.title", {}, w.title),
          h("div.meta", {}, `${STATE_TEXT[w.state] || w.state} · 期限 ${fmtTime(w.deadline)}`),
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
  toast(`${label}：已完成`);
  if (state.selected === updated.id) renderDetail(updated);
  loadTasks();
}

function renderDetail(w) {
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
      h("dt", {}, "状态"), h("dd", {}, STATE_TEXT[w.state] || w.state),
      h("dt", {}, w.state === "reminder" ? "提醒期限" : "整改期限"), h("dd", {}, `${fmtTime(w.deadline)}（${text}）`),
      w.last_reason ? [h("dt", {}, "退回/延期理由"), h("dd", {}, w.last_reason)] : null,
    ),
    h("h4", {}, "操作"),
    commandButtons(w, done, { skip: ["submit_rectification"] }),
    form ? [h("h4", {}, "提交整改"), form] : null,
    h("h4", {}, "比对判别依据"),
    evidenceView(w, w.rule ? ruleNames.get(w.rule) : null),
    h("h4", {}, "处置记录"),
    historyView(w.history),
  );
  $("detail").replaceChildren(...body.childNodes);
}

/** A stable name for a chosen file, so a retry knows which are already uploaded. */
const fileKey = (file) => `${file.name}|${file.size}|${file.lastModified}`;

function rectificationForm(w) {
  // One user action: its key and its uploads survive retries, and are renewed after a
  // definite answer.
  let action = { key: uuid(), uploaded: new Map() };
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
    const ids = [];
    for (const [index, file] of files.entries()) {
      let id = action.uploaded.get(fileKey(file));
      if (!id) {
        submit.textContent = `正在上传照片 ${index + 1}/${files.length}…`;
        try {
          const body = new FormData();
          body.append("file", file, file.name);
          const answer = await api(`/api/warnings/${encodeURIComponent(w.id)}/attachments`, { method: "POST", form: body });
          id = answer.id;
          action.uploaded.set(fileKey(file), id);
        } catch (failure) {
          return fail(`照片「${file.name}」上传失败：${describeError(failure)}`);
        }
      }
      ids.push(id);
    }
    submit.textContent = "正在提交…";
    try {
      const updated = await sendCommand(w.id, { type: "submit_rectification", note: note.value.trim(), photos: ids }, action.key);
      action = { key: uuid(), uploaded: new Map() };
      form.remove();
      done(updated, "提交整改");
    } catch (failure) {
      if (!outcomeUnknown(failure)) action.key = uuid();
      const retry = failure instanceof ApiError && failure.status === 0 ? "（可直接再次点击重试）" : "";
      fail(describeError(failure) + retry);
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

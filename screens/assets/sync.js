// What the steward's page shows of its outbox: the 待同步 bar, the 待同步 marks on tasks,
// the state a task is expected to reach once its queued commands are sent, and the
// commands the server refused, each with the warning's state as the server now has it.

import { goToLogin } from "./api.js";
import { COMMANDS } from "./commands.js";
import { STATE_TEXT, fmtTime, h } from "./wall.js";

/**
 * Where the steward's own commands lead, to show queued work before it is sent. This is
 * only the screen's expectation: the server decides when the queue is sent, and a
 * refusal is shown as a problem.
 */
const AFTER = {
  acknowledge: (state) => (state === "reminder" ? "reminder" : "acknowledged"),
  start_rectification: () => "rectifying",
  submit_rectification: () => "submitted",
  close_reminder: () => "closed",
};

/** The steward's commands in each expected state. */
const STEWARD_ALLOWS = {
  acknowledged: ["start_rectification", "submit_rectification"],
  rectifying: ["submit_rectification"],
  submitted: [],
  closed: [],
  reminder: ["close_reminder"],
};

/** The queued commands of one warning, oldest first. */
export function queuedFor(pending, id) {
  return pending.filter((entry) => entry.warning === id);
}

/**
 * The warning as it is expected to be once `queued` (its own queued commands) are sent:
 * the expected state, the commands the steward may still add, and the queue itself.
 */
export function expected(warning, queued) {
  if (!queued.length) return warning;
  let state = warning.state;
  for (const entry of queued) state = (AFTER[entry.body.type] ?? ((s) => s))(state);
  const done = new Set(queued.map((entry) => entry.body.type));
  const allowed = (STEWARD_ALLOWS[state] ?? []).filter((kind) => !done.has(kind));
  return { ...warning, state, allowed, queued };
}

/** The 待同步 list of one task's detail. */
export function queuedView(queued) {
  return h(
    "ul.queued",
    {},
    queued.map((entry) =>
      h(
        "li",
        { dataset: { queued: entry.body.type } },
        h("b", {}, COMMANDS[entry.body.type]?.label ?? entry.label),
        ` · ${fmtTime(entry.created)} 操作`,
        entry.photos.length ? ` · 照片 ${entry.photos.length} 张` : null,
        h("span.sync-badge", {}, "待同步"),
      ),
    ),
  );
}

/**
 * The bar above the tasks: how many commands wait and why (no network, or the session
 * ended), or that the tasks shown are the copy kept from `copyAt`.
 */
export function renderSyncBar(bar, { pending, blocked, sending, copyAt }) {
  bar.dataset.pending = String(pending.length);
  let text = null;
  let action = null;
  if (pending.length && blocked?.status === 401) {
    text = `待同步 ${pending.length} 项 · 登录已失效，重新登录后自动发送`;
    action = h("button", { type: "button", onclick: goToLogin }, "重新登录");
  } else if (pending.length && sending) {
    text = `待同步 ${pending.length} 项 · 正在发送…`;
  } else if (pending.length) {
    text = `待同步 ${pending.length} 项 · 网络恢复后自动发送`;
  } else if (copyAt) {
    text = `离线 · 显示 ${fmtTime(copyAt)} 保存的任务`;
  }
  bar.hidden = text === null;
  bar.replaceChildren(...(text ? [h("span", {}, text), action].filter(Boolean) : []));
}

/** The refused commands, each until the steward taps 知道了. */
export function renderProblems(list, problems, dismiss) {
  list.hidden = !problems.length;
  list.replaceChildren(
    ...problems.map((problem) =>
      h(
        "li",
        { dataset: { problemWarning: problem.warning, state: problem.state ?? "" } },
        h("div.title", {}, `「${problem.label}」未能执行：${problem.title}`),
        h("div.meta", {}, problem.message.split("\n")[0]),
        problem.state
          ? h(
              "div.meta",
              {},
              `预警现为「${STATE_TEXT[problem.state] || problem.state}」`,
              problem.last_reason ? `，理由：${problem.last_reason}` : null,
            )
          : null,
        h("div.meta", {}, `${fmtTime(problem.created)} 的操作，${fmtTime(problem.at)} 同步时被拒绝`),
        h("button", { type: "button", onclick: () => dismiss(problem.seq) }, "知道了"),
      ),
    ),
  );
}

// Commands on a warning, as buttons and a confirmation dialog. A screen shows exactly the
// commands in the warning's `allowed` list (the server's answer for this user), each as
// `button[data-command=TYPE]`. Each user action gets a fresh Idempotency-Key, reused
// when the same action is retried after the answer was lost.

import { api, ApiError, describeError, uuid } from "./api.js";
import { fmtTime, h } from "./wall.js";

/**
 * What each command asks for: its label, the text field it carries (`note` or `reason`),
 * whether that text is required, ready-made texts for screens without a keyboard, and
 * whether it takes `days`.
 */
export const COMMANDS = {
  acknowledge: { label: "签收", field: "note", required: false, presets: ["已签收，立即核查"] },
  start_rectification: { label: "开始整改", field: "note", required: false, presets: ["已开始整改"] },
  submit_rectification: { label: "提交整改", field: "note", required: true, presets: ["已按要求完成整改，请审核"] },
  verify_rectification: { label: "审核通过", field: "note", required: false, presets: ["经核查整改到位"], tone: "primary" },
  reject_rectification: { label: "退回整改", field: "reason", required: true, presets: ["整改材料不完整", "整改不到位，请重新整改"], tone: "danger" },
  urge: { label: "催办", field: "note", required: false, presets: ["请尽快完成整改"] },
  supervise: { label: "督办", field: "note", required: false, presets: ["列入督办，限期整改"], tone: "danger" },
  extend_deadline: { label: "延期", field: "reason", required: true, presets: ["客观原因需延期", "涉及多部门协调"], days: [3, 7, 15, 30] },
  transfer_to_investigation: { label: "移送查处", field: "reason", required: true, presets: ["问题线索移送纪检监察机关查处"], tone: "danger" },
  dismiss: { label: "排除（误报）", field: "reason", required: true, presets: ["经核实系数据误报"] },
  reinstate: { label: "恢复预警", field: "reason", required: true, presets: ["经复核需恢复预警"] },
  report_relapse: { label: "报告复发", field: "note", required: true, presets: ["巡查发现问题复发"], tone: "danger" },
  close_reminder: { label: "办结提醒", field: "note", required: true, presets: ["已安排重新公开发包", "已依规续签合同"], tone: "primary" },
  reply_publicly: { label: "公开答复", field: "text", required: true, presets: ["经核查，反映问题属实，已责令整改", "经核查，反映问题不属实"] },
};

/**
 * The buttons of a warning's allowed commands, except those listed in `skip`. `send`
 * replaces the direct send (the steward's page queues through its outbox).
 */
export function commandButtons(warning, onDone, { skip = [], send } = {}) {
  const kinds = (warning.allowed || []).filter((kind) => !skip.includes(kind));
  if (!kinds.length) return h("div.empty", {}, "当前没有可执行的操作");
  return h(
    "div.actions",
    {},
    kinds.map((kind) => {
      const spec = COMMANDS[kind] || { label: kind };
      return h(
        "button" + (spec.tone ? `.${spec.tone}` : ""),
        { type: "button", dataset: { command: kind }, onclick: () => openCommandDialog(warning, kind, onDone, { send }) },
        spec.label,
      );
    }),
  );
}

/**
 * Sends one command with its key; the caller keeps the key for retries of the same
 * action. Resolves to the warning as the command left it (with its history).
 */
export function sendCommand(warningId, body, key) {
  return api(`/api/warnings/${encodeURIComponent(warningId)}/commands`, {
    method: "POST",
    body,
    headers: { "Idempotency-Key": key },
    // A network that swallows the request is a lost answer: retried with the same key.
    timeoutMs: COMMAND_TIMEOUT_MS,
  });
}

/** How long a command may go unanswered before it counts as lost (and is retried). */
const COMMAND_TIMEOUT_MS = 20_000;

/** Whether an error leaves the outcome unknown (so a retry must reuse the key). */
export function outcomeUnknown(error) {
  return !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
}

/**
 * The confirmation dialog of one command: its text (typed or picked from ready-made
 * ones), days for an extension, confirm and cancel. Built when opened and removed when
 * closed, so the page holds one form per purpose at a time. `send(body, key)` resolves to
 * what `onDone` is given (the warning, or the outbox's `{queued: true}`).
 */
export function openCommandDialog(warning, kind, onDone, { send } = {}) {
  const deliver = send ?? ((body, key) => sendCommand(warning.id, body, key));
  const spec = COMMANDS[kind] || { label: kind, field: "note", required: false, presets: [] };
  const stage = document.getElementById("stage");
  let key = uuid();
  const text = h("textarea", { name: spec.field, placeholder: spec.required ? "必填" : "选填" });
  const days = spec.days ? h("input", { type: "number", name: "days", min: "1", value: String(spec.days[1]) }) : null;
  const error = h("div.error-box", { hidden: true });
  const confirm = h("button.primary", { type: "button", id: "command-confirm" }, `确认${spec.label}`);
  const close = () => overlay.remove();
  const cancel = h("button.ghost", { type: "button", id: "command-cancel", onclick: close }, "取消");

  confirm.addEventListener("click", async () => {
    const body = { type: kind, [spec.field]: text.value.trim() };
    if (days) body.days = Number(days.value);
    if (spec.required && !body[spec.field]) {
      error.hidden = false;
      error.textContent = spec.field === "reason" ? "请填写或选择理由" : "请填写或选择说明";
      return;
    }
    confirm.disabled = true;
    error.hidden = true;
    try {
      const updated = await deliver(body, key);
      close();
      onDone?.(updated, spec.label);
    } catch (failure) {
      // A definite refusal means the next try is a new action; a lost answer is retried
      // with the same key so the server does it at most once.
      if (!outcomeUnknown(failure)) key = uuid();
      error.hidden = false;
      error.textContent = describeError(failure);
      confirm.disabled = false;
      confirm.textContent = outcomeUnknown(failure) ? `重试${spec.label}` : `确认${spec.label}`;
    }
  });

  const overlay = h(
    "div.overlay",
    { id: "command-dialog", dataset: { command: kind } },
    h(
      "div.dialog",
      { role: "dialog", "aria-modal": "true" },
      h("h3", {}, spec.label),
      h("div.target", {}, `${warning.region_name || warning.region} · ${warning.title} · 期限 ${fmtTime(warning.deadline)}`),
      h("label.field", {}, spec.field === "reason" ? "理由" : spec.field === "text" ? "答复内容（将公开给反映人）" : "说明"),
      text,
      spec.presets?.length
        ? h("div.chips", {}, spec.presets.map((preset) => h("button", { type: "button", onclick: () => (text.value = preset) }, preset)))
        : null,
      days
        ? h(
            "div",
            {},
            h("label.field", {}, "延长天数"),
            h("div.chips", {}, spec.days.map((n) => h("button", { type: "button", onclick: () => (days.value = String(n)) }, `${n} 天`))),
            days,
          )
        : null,
      error,
      h("div.actions", {}, confirm, cancel),
    ),
  );
  stage.append(overlay);
  return overlay;
}

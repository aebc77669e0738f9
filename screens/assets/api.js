// The screens' one way to the API: fetch with the session cookie, problem+json errors
// turned into Chinese messages that keep the server's own detail, and sign-out.
//
// The session cookie is the server's business: it sets it at sign-in (HttpOnly, so no
// script, ours or an injected one, can read it), adopts a display token from a wall's
// address (`?token=`) and removes it at sign-out.

/** An API answer other than 2xx, or a request that never got an answer. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  /** The message a person reads: what went wrong in Chinese, then the server's detail. */
  get chinese() {
    return describeError(this);
  }
}

const STATUS_TEXT = {
  0: "网络连接失败，请检查网络后重试",
  400: "请求有误",
  401: "登录已失效，请重新登录",
  403: "没有权限执行此操作",
  404: "未找到该内容（可能无权查看或已不存在）",
  409: "预警状态已变化，操作未执行，请刷新后重试",
  413: "上传的内容过大",
  422: "提交的内容不符合要求",
  423: "账户已锁定",
  429: "操作过于频繁，请稍后再试",
  503: "服务器繁忙，请稍后再试",
};

const CODE_TEXT = {
  idempotency_key_reused: "重复提交的操作内容不一致，请重新操作",
  version_conflict: "预警已被他人更新，操作未执行，请刷新后重试",
  command_not_applicable: "当前状态下不能执行此操作",
  invalid_command: "操作内容不完整",
  account_locked: "密码错误次数过多，账户已锁定，请稍后再试或联系市纪委监委办公室解锁",
  too_many_attempts: "登录尝试过于频繁，请稍后再试",
  import_too_large: "文件超出导入限制",
  upload_too_large: "上传的文件过大",
};

/** A Chinese sentence for any error, with the server's detail when it gave one. */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return `出现错误：${error?.message || error}`;
  }
  const { status, problem } = error;
  const head =
    CODE_TEXT[problem.code] ||
    STATUS_TEXT[status] ||
    (status >= 500 ? "服务器出错，请稍后重试" : `请求失败（${status}）`);
  const detail = problem.detail ? `\n服务器说明：${problem.detail}` : "";
  return head + detail;
}

/**
 * Calls the API. `body` is sent as JSON, `form` (a FormData) as multipart. Resolves to the
 * parsed JSON (or null for an empty answer); rejects with an ApiError. After `timeoutMs`
 * the request is given up as if the network had failed (status 0: its outcome unknown).
 *
 * An answer the steward's service worker gave from its copy (no network) carries
 * `X-Qingfeng-Offline`; the page hears of it as the window event `qingfeng:copy` (with
 * the time the copy was kept), and of a fresh answer as `qingfeng:fresh`.
 */
export async function api(path, { method = "GET", body, form, headers = {}, timeoutMs } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  } else if (form) {
    init.body = form;
  }
  if (timeoutMs) init.signal = AbortSignal.timeout(timeoutMs);
  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    throw new ApiError(0, { detail: String(cause?.message || cause) });
  }
  const kept = response.headers.get("X-Qingfeng-Offline");
  dispatchEvent(new CustomEvent(kept ? "qingfeng:copy" : "qingfeng:fresh", { detail: kept }));
  let text;
  try {
    text = await response.text();
  } catch (cause) {
    throw new ApiError(0, { detail: String(cause?.message || cause) });
  }
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 300) };
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, data);
  }
  return data;
}

/** The steward's service worker keeps this cache of answers (see sw.js). */
const KEPT_DATA = "qingfeng-data-v1";

/**
 * Drops what the service worker kept of the signed-in user's answers, so a shared tablet
 * never shows one user's tasks to the next (at sign-in and sign-out).
 */
export async function forgetKeptData() {
  try {
    if (globalThis.caches) await caches.delete(KEPT_DATA);
  } catch (error) {
    console.warn("forgetting kept answers", error);
  }
}

/** A fresh UUID (v4). `crypto.randomUUID` exists only on HTTPS or localhost. */
export function uuid() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Sends the browser to the sign-in page, asking it to come back here afterwards. */
export function goToLogin() {
  const back = location.pathname + location.search;
  location.replace(`/screens/?next=${encodeURIComponent(back)}`);
}

/**
 * The signed-in user (`{username, role, region}`), or a trip to the sign-in page. Every
 * screen awaits this first.
 */
export async function requireSession() {
  try {
    return await api("/api/auth/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      goToLogin();
      return new Promise(() => {});
    }
    throw error;
  }
}

/** The level of a region from its 12-digit code: province, prefecture, city (a county),
 * town or village. */
export function levelOf(code) {
  if (/^\d{2}0{10}$/.test(code)) return "province";
  if (/^\d{4}0{8}$/.test(code)) return "prefecture";
  if (/^\d{6}0{6}$/.test(code)) return "city";
  if (/^\d{9}000$/.test(code)) return "town";
  return "village";
}

/** Whether a region has a command-center cockpit (a county or any level above). */
export function hasCockpit(code) {
  return ["province", "prefecture", "city"].includes(levelOf(code));
}

/** The screen a user starts on, by role and region. */
export function homeFor(me) {
  switch (me.role) {
    case "city_leader":
    case "city_office":
      return "/screens/city";
    case "town_office":
      return `/screens/town/${me.region}`;
    case "village_steward":
      return `/screens/village/${me.region}`;
    default:
      return hasCockpit(me.region) ? "/screens/city" : `/screens/${levelOf(me.region)}/${me.region}`;
  }
}

/**
 * Signs out: the server forgets the token (so a copy of it stops working too) and removes
 * the cookie, then the sign-in page comes.
 */
export async function logout() {
  try {
    await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
  } catch (error) {
    console.warn("sign-out request failed", error);
  }
  await forgetKeptData();
  location.replace("/screens/");
}

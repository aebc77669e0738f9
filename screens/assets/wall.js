// What every screen shares besides the API and the stream: the scaled stage, the header,
// Chinese labels, the map and chart panels, the evidence and history views. Everything is
// built with DOM calls and textContent, never by pasting data into HTML.

import { logout } from "./api.js";

export const STAGE_WIDTH = 1920;
export const STAGE_HEIGHT = 1080;

/** Scales the 1920×1080 stage to fit the window, centred, on every resize. */
export function fitStage({ phone = false } = {}) {
  const stage = document.getElementById("stage");
  const fit = () => {
    // A page that has a phone layout (the steward's) flows in the window on a narrow
    // screen instead of shrinking the 1920-wide stage to unreadable text.
    const narrow = phone && innerWidth < 900;
    document.body.classList.toggle("phone", narrow);
    if (narrow) {
      stage.style.transform = "";
      return;
    }
    const scale = Math.min(innerWidth / STAGE_WIDTH, innerHeight / STAGE_HEIGHT);
    const left = (innerWidth - STAGE_WIDTH * scale) / 2;
    const top = (innerHeight - STAGE_HEIGHT * scale) / 2;
    stage.style.transform = `translate(${left}px, ${top}px) scale(${scale})`;
  };
  addEventListener("resize", fit);
  fit();
}

/** Copies a table's column names (its `thead` cells) onto each body cell as `data-label`:
 * on a phone (`body.phone`) the rows become cards, each cell after its column's name. */
export function labelCells(table) {
  const names = [...table.tHead.rows[0].cells].map((th) => th.textContent.trim());
  for (const row of table.tBodies[0].rows) {
    let column = 0;
    for (const cell of row.cells) {
      if (cell.colSpan === 1 && names[column]) cell.dataset.label = names[column];
      column += cell.colSpan;
    }
  }
}

/** `h("div.kpi.red", {dataset: {x: 1}}, child, "text")`: a small element builder. */
export function h(spec, props = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const node = document.createElement(tag || "div");
  if (classes.length) node.className = classes.join(" ");
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && key !== "list") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const LEVEL_TEXT = { red: "红色预警", yellow: "黄色预警", green: "绿色（已销号）", none: "无预警" };

export const STATE_TEXT = {
  reminder: "到期提醒",
  raised: "已生成",
  notified: "已下发",
  acknowledged: "已签收",
  rectifying: "整改中",
  submitted: "待审核",
  observation: "观察期",
  closed: "已销号",
  dismissed: "已排除",
  investigation: "已移送查处",
};

export const EVENT_TEXT = {
  raised: "预警生成",
  notified: "下发通知",
  acknowledged: "签收",
  rectification_started: "开始整改",
  rectification_submitted: "提交整改",
  rectification_verified: "审核通过",
  rectification_rejected: "审核退回",
  deadline_passed: "超期未整改",
  urged: "催办",
  supervised: "督办",
  deadline_extended: "延期",
  transferred_to_investigation: "移送查处",
  dismissed: "排除（误报）",
  reinstated: "恢复预警",
  observation_ended: "观察期满销号",
  relapsed: "问题复发",
  reminder_closed: "提醒办结",
  replied_publicly: "公开答复",
  reminder_expired: "提醒逾期转红",
};

export const RUNG_TEXT = { urge: "催办", supervise: "督办", investigate: "查办" };
export const HOLDER_TEXT = { town: "镇级", city: "市级" };
export const SEVERITY_TEXT = { high: "高", medium: "中", low: "低" };

const pad = (n) => String(n).padStart(2, "0");

/** `03-02 09:15` in the wall's time zone (the browser's, Asia/Shanghai on site). */
export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fmtDate(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `2天3小时` from milliseconds. */
export function fmtSpan(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days}天${hours}小时`;
  if (hours > 0) return `${hours}小时${minutes % 60}分`;
  return `${minutes % 60}分钟`;
}

/** The server's clock as last heard (the demo runs an accelerated one). */
export const serverClock = {
  offset: 0,
  heard(at) {
    if (at) this.offset = new Date(at).getTime() - Date.now();
  },
  now() {
    return Date.now() + this.offset;
  },
};

/** The header every screen has: title, region, clock, connection and sign-out. */
export function mountHeader(title) {
  const header = document.querySelector("header.wall-header");
  const name = h("span.region-name", { id: "region-name" });
  const clock = h("span.clock", { id: "clock" });
  const conn = h("span.conn", { id: "conn" }, "连接中…");
  const out = h("button.ghost.small", { id: "logout", type: "button", onclick: logout }, "退出登录");
  header.replaceChildren(h("h1", {}, title), name, h("span.spacer"), clock, conn, out);
  const tick = () => {
    const d = new Date(serverClock.now());
    clock.textContent = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };
  setInterval(tick, 1000);
  tick();
  return {
    setRegion: (text) => (name.textContent = text),
    setStale: (stale) => (conn.textContent = stale ? "● 已断开" : "● 实时"),
  };
}

let toastTimer;
/** A short message in the corner; errors stay longer. */
export function toast(text, error = false) {
  const node = document.getElementById("toast");
  node.textContent = text;
  node.className = error ? "show error" : "show";
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.className = ""), error ? 9000 : 3500);
}

/**
 * A loader of the selected warning (`state.selected`) into the `#detail` panel, at most
 * twice a second however many deltas ask for it. `fetchWarning(id)` and `describe(error)`
 * come from the page (api.js), `render(warning)` draws it.
 */
export function detailLoader(state, fetchWarning, describe, render) {
  return throttle(async () => {
    const id = state.selected;
    if (!id) return;
    try {
      const warning = await fetchWarning(id);
      if (state.selected === id) render(warning);
    } catch (error) {
      document.getElementById("detail").replaceChildren(h("div.error-box", {}, describe(error)));
    }
  }, 500);
}

/** Runs `fn` at most once per `ms`, and once more after the last call in a burst. */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  return (...args) => {
    const wait = last + ms - Date.now();
    clearTimeout(timer);
    if (wait <= 0) {
      last = Date.now();
      fn(...args);
    } else {
      timer = setTimeout(() => {
        last = Date.now();
        fn(...args);
      }, wait);
    }
  };
}

/**
 * A map panel: fetches `/maps/{code}.svg` (the children of `code`) and inserts it inline,
 * then colours each `path.region[data-code]` by setting `data-level` from live rows. If
 * the map cannot be loaded, a grid of the regions stands in for it.
 */
export class MapPanel {
  constructor(box, { onPick = () => {} } = {}) {
    this.box = box;
    this.onPick = onPick;
    this.rows = new Map();
    this.code = null;
    this.selected = null;
    this.loaded = false;
  }

  async show(code, rows) {
    this.code = code;
    this.rows = new Map(rows.map((row) => [row.code, row]));
    this.loaded = false;
    this.box.replaceChildren(h("div.placeholder", {}, "地图加载中…"));
    try {
      const response = await fetch(`/maps/${code}.svg`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      if (this.code !== code) return;
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      const svg = doc.documentElement;
      if (svg.nodeName !== "svg") throw new Error("not an SVG");
      svg.querySelectorAll("script, foreignObject").forEach((n) => n.remove());
      svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      const node = document.importNode(svg, true);
      node.addEventListener("click", (event) => {
        const shape = event.target.closest?.("path.region[data-code]");
        if (shape) this.onPick(shape.dataset.code, shape.dataset.name);
      });
      this.box.replaceChildren(node);
      this.loaded = true;
    } catch (error) {
      if (this.code !== code) return;
      this.box.replaceChildren(
        h("div.placeholder", { id: "map-placeholder" }, "地图暂不可用，以下为各区域预警等级", h("div.tiles")),
      );
    }
    this.paint();
  }

  /** Replaces the rows given (deltas carry only changed rows) and recolours. */
  update(rows) {
    for (const row of rows) this.rows.set(row.code, row);
    this.paint();
  }

  select(code) {
    this.selected = code;
    this.paint();
  }

  paint() {
    if (this.loaded) {
      for (const shape of this.box.querySelectorAll("path.region[data-code]")) {
        const row = this.rows.get(shape.dataset.code);
        shape.dataset.level = row?.worst || "none";
        shape.classList.toggle("selected", shape.dataset.code === this.selected);
        let title = shape.querySelector("title");
        if (!title) title = shape.appendChild(document.createElementNS("http://www.w3.org/2000/svg", "title"));
        title.textContent = row ? `${row.name}：红${row.red} 黄${row.yellow} 绿${row.green} 逾期${row.overdue}` : shape.dataset.name || "";
      }
      return;
    }
    const tiles = this.box.querySelector(".tiles");
    if (!tiles) return;
    tiles.replaceChildren(
      ...[...this.rows.values()].map((row) =>
        h(
          "button.tile" + (row.code === this.selected ? ".selected" : ""),
          { type: "button", dataset: { code: row.code, level: row.worst || "none" }, onclick: () => this.onPick(row.code, row.name) },
          `${row.name || row.code}  红${row.red} 黄${row.yellow}`,
        ),
      ),
    );
  }
}

/**
 * A chart panel: a server-drawn SVG in an <img>, reloaded (with a cache-busting
 * parameter) at most every few seconds when `refresh` is called after deltas.
 */
export class ChartPanel {
  constructor(box, alt) {
    this.box = box;
    this.alt = alt;
    this.path = null;
    this.refresh = throttle(() => this.load(), 5000);
  }

  show(path) {
    this.path = path;
    this.load();
  }

  load() {
    if (!this.path) return;
    const separator = this.path.includes("?") ? "&" : "?";
    const img = h("img", { alt: this.alt, src: `${this.path}${separator}_=${Date.now()}` });
    img.addEventListener("load", () => this.box.replaceChildren(img));
    img.addEventListener("error", () =>
      this.box.replaceChildren(h("div.placeholder", {}, `${this.alt}：图表暂不可用`)),
    );
  }
}

/** Scrolls a list slowly when it overflows (walls have no one to scroll), pausing while
 * someone touches it and for a moment at each end. */
export function autoScroll(list) {
  let paused = 0;
  const hold = () => (paused = Date.now() + 8000);
  list.addEventListener("pointerdown", hold);
  list.addEventListener("wheel", hold);
  setInterval(() => {
    if (Date.now() < paused || list.scrollHeight <= list.clientHeight + 4) return;
    if (list.scrollTop + list.clientHeight >= list.scrollHeight - 2) {
      paused = Date.now() + 4000;
      setTimeout(() => (list.scrollTop = 0), 3000);
      return;
    }
    list.scrollTop += 1;
  }, 60);
}

/** The text an event carries (note, reason, new deadline, days). */
function eventText(event) {
  const d = event.data || {};
  const parts = [];
  if (d.note) parts.push(d.note);
  if (d.text) parts.push(`公开答复：${d.text}`);
  if (d.reason) parts.push(`理由：${d.reason}`);
  if (d.deadline && event.kind !== "raised") parts.push(`新期限：${fmtTime(d.deadline)}`);
  if (d.deadline && event.kind === "raised") parts.push(`${d.reminder ? "提醒期限" : "整改期限"}：${fmtTime(d.deadline)}`);
  if (d.rung) parts.push(`升级为${RUNG_TEXT[d.rung] || d.rung}（${HOLDER_TEXT[d.level] || d.level}）`);
  if (d.observation_until) parts.push(`观察至 ${fmtTime(d.observation_until)}`);
  if (d.recipients?.length) {
    // Stored as `role@region`: the office's word for the role is what a reader needs.
    const named = d.recipients.map((r) => RECIPIENT_TEXT[r.split("@")[0]] || r);
    parts.push(`通知：${[...new Set(named)].join("、")}`);
  }
  return parts.join("；");
}

/** The history of a warning, oldest first, with thumbnails of attached photos. */
export function historyView(history = []) {
  if (!history.length) return h("div.empty", {}, "暂无记录");
  return h(
    "ol.history",
    {},
    history.map((event) => {
      const photos = event.data?.attachments || [];
      return h(
        "li",
        { dataset: { kind: event.kind } },
        h("div.when", {}, `${fmtTime(event.at)} · ${event.actor === "system" ? "系统" : event.actor}`),
        h("div.what", {}, EVENT_TEXT[event.kind] || event.kind),
        eventText(event) ? h("div.text", {}, eventText(event)) : null,
        photos.length
          ? h(
              "div.thumbs",
              {},
              photos.map((id) =>
                h("a", { href: `/api/attachments/${id}`, target: "_blank" }, h("img", { src: `/api/attachments/${id}`, alt: "整改照片", loading: "lazy" })),
              ),
            )
          : null,
      );
    }),
  );
}

export const RECIPIENT_TEXT = {
  village_steward: "村务监督员",
  village_secretary: "村党组织书记",
  town_office: "乡镇纪委",
  city_office: "县（市）纪委",
};
export const CHANNEL_TEXT = { sms: "短信", dingtalk: "钉钉", wecom: "企业微信", email: "邮件", log: "系统日志" };
export const DELIVERY_TEXT = {
  pending: "待发送",
  sending: "发送中",
  retrying: "重试中",
  sent: "已送达",
  dead: "发送失败",
  uncertain: "状态不明",
  unaddressed: "无联系人",
};

/** The notifications a warning's events sent: to whom, how, and whether each arrived. */
export function deliveriesView(deliveries) {
  if (!deliveries) return null;
  if (!deliveries.length) return h("div.empty", {}, "暂无通知");
  return h(
    "ul.deliveries",
    {},
    deliveries.map((d) =>
      h(
        "li",
        { dataset: { status: d.status } },
        h("span.who", {}, `${RECIPIENT_TEXT[d.recipient] || d.recipient}${d.address ? `（${d.address}）` : ""}`),
        h("span.how", {}, CHANNEL_TEXT[d.channel] || d.channel),
        h("span.state", {}, DELIVERY_TEXT[d.status] || d.status),
        h("span.when", {}, fmtTime(d.updated_at)),
      ),
    ),
  );
}

/** Rule names by code, for "the basis of the comparison". */
export async function loadRuleNames(api) {
  try {
    const { rules } = await api("/api/rules");
    return new Map(rules.map((rule) => [rule.code, rule.name]));
  } catch {
    return new Map();
  }
}

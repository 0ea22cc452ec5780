// Logs: follow the gateway's file log with logs.tail (cursor polling), filtered by level.

import { h, replace } from "../dom.js";

export const title = "Logs";

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];
const POLL_MS = 1000;
const KEEP = 2000;

/** A log line's level and text: the gateway writes JSON records (level in C{_meta.logLevelName}, subsystem in C{_meta.name}). */
function parsed(line) {
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    return { level: "info", text: line };
  }
  const meta = record._meta || {};
  const level = String(meta.logLevelName || "info").toLowerCase();
  let subsystem = "";
  try {
    subsystem = JSON.parse(meta.name || "{}").subsystem || "";
  } catch {
    subsystem = meta.name || "";
  }
  const message = record.message !== undefined ? record.message : record["1"];
  return { level, text: `${record.time || ""} ${level.toUpperCase()} ${subsystem ? `[${subsystem}] ` : ""}${message}` };
}

export function mount({ gw }, root) {
  const view = h("div", { class: "logs", id: "log-lines", role: "log", "aria-live": "off", tabindex: "0" });
  const level = h("select", { id: "log-level" }, LEVELS.map((l) => h("option", { value: l }, l)));
  level.value = "info";
  const follow = h("input", { type: "checkbox", id: "follow" });
  follow.checked = true;
  const info = h("span", { class: "muted", id: "log-file" });
  const error = h("p", { class: "error", role: "alert" });
  let cursor;
  let timer = null;
  let alive = true;
  const lines = [];

  function render() {
    const min = LEVELS.indexOf(level.value);
    replace(view, lines.filter((l) => LEVELS.indexOf(l.level) >= min || LEVELS.indexOf(l.level) < 0)
      .map((l) => h("div", { class: `lvl-${l.level}` }, l.text)));
    view.scrollTop = view.scrollHeight;
  }

  async function poll() {
    timer = null;
    try {
      const result = await gw.request("logs.tail", cursor === undefined ? { limit: 200 } : { cursor });
      if (!alive) return;
      if (result.reset) lines.length = 0;
      cursor = result.cursor;
      info.textContent = result.file || "";
      lines.push(...result.lines.map(parsed));
      lines.splice(0, Math.max(0, lines.length - KEEP));
      error.textContent = "";
      if (result.lines.length || result.reset) render();
    } catch (e) {
      if (!alive) return;
      error.textContent = e.message;
    }
    if (alive && follow.checked) timer = setTimeout(poll, POLL_MS);
  }

  level.addEventListener("change", render);
  follow.addEventListener("change", () => { if (follow.checked && !timer) poll(); });
  replace(root, h("h1", {}, "Logs"),
    h("div", { class: "row" }, h("label", { for: "log-level" }, "Level"), level,
      follow, h("label", { for: "follow" }, "Follow"), info),
    error, view);
  poll();
  return () => { alive = false; clearTimeout(timer); };
}

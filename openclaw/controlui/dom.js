// Small DOM helpers: elements are built node by node, so nothing from the gateway is ever parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "text") el.textContent = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function card(label, value, id) {
  return h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: "value", id }, value));
}

export function table(headers, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", {},
      caption ? h("caption", { class: "muted" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)));
}

export function duration(ms) {
  if (typeof ms !== "number" || !isFinite(ms)) return "-";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** A time (epoch ms or an ISO string) in the reader's locale; "-" when there is none. */
export function when(time) {
  const date = typeof time === "number" || typeof time === "string" ? new Date(time) : null;
  return date && !isNaN(date) ? date.toLocaleString() : "-";
}

/** A random v4 UUID (crypto.randomUUID exists in secure contexts only; getRandomValues everywhere). */
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A button that runs C{action} (a promise), disabled while it runs; a failure is shown in C{errorEl}. */
export function actionButton(label, action, errorEl, attrs = {}) {
  const button = h("button", { type: "button", ...attrs }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    errorEl.textContent = "";
    try {
      await action();
    } catch (error) {
      errorEl.textContent = error.message;
    } finally {
      button.disabled = Boolean(attrs.disabled);
    }
  });
  return button;
}

/** The paragraph a screen reports a failed action in. */
export function errorLine(id) {
  return h("p", { class: "error", role: "alert", id });
}

/** What a screen shows when the gateway lacks the method it is built on. */
export function missing(method) {
  return h("p", { class: "muted" }, `This gateway does not offer ${method} yet.`);
}

// The Control UI: sign-in, the connection banner, and the screen router.

import { h, replace } from "./dom.js";
import { available as deviceAvailable, identity } from "./device.js";
import { Gateway } from "./gateway.js";
import { VERSION } from "./version.js";
import * as overview from "./screens/overview.js";
import * as chat from "./screens/chat.js";
import * as sessions from "./screens/sessions.js";
import * as channels from "./screens/channels.js";
import * as devices from "./screens/devices.js";
import * as logs from "./screens/logs.js";
import * as config from "./screens/config.js";

const SCREENS = { "": overview, chat, sessions, channels, devices, logs, config };
const TOKEN_KEY = "openclaw.gateway.token";
const READONLY_KEY = "openclaw.gateway.readOnly";

const basePath = document.documentElement.dataset.openclawControlUiBasePath || "";
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const statusEl = document.getElementById("status");
const banner = document.getElementById("banner");

let gateway = null;
let unmount = null;

function screenName() {
  const rest = location.pathname.slice(basePath.length).replace(/^\/+|\/+$/g, "");
  const first = rest.split("/")[0];
  return first in SCREENS ? first : "";
}

function setStatus(text, tone) {
  statusEl.textContent = text;
  statusEl.className = `status ${tone || ""}`;
}

function showBanner(text, tone) {
  banner.hidden = !text;
  banner.textContent = text || "";
  banner.className = `banner ${tone || ""}`;
}

/** The token from the dashboard URL's fragment (then removed from the address bar), else the stored one. */
function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get("token");
  if (fromUrl !== null) {
    localStorage.setItem(TOKEN_KEY, fromUrl);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return localStorage.getItem(TOKEN_KEY);
}

function mountScreen() {
  if (unmount) unmount();
  unmount = null;
  const name = screenName();
  for (const link of nav.querySelectorAll("a")) {
    const target = new URL(link.href).pathname.slice(basePath.length).replace(/^\/+/, "");
    if (target === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const screen = SCREENS[name];
  document.title = `${screen.title} · OpenClaw Gateway`;
  main.replaceChildren();
  unmount = screen.mount({ gw: gateway, basePath, navigate }, main) || null;
}

function navigate(path) {
  history.pushState(null, "", basePath + path);
  if (gateway && gateway.hello) mountScreen();
}

function signInForm(message) {
  if (unmount) unmount();
  unmount = null;
  nav.hidden = true;
  const token = h("input", { type: "password", id: "token", name: "token", autocomplete: "current-password", value: localStorage.getItem(TOKEN_KEY) || "" });
  const readOnly = h("input", { type: "checkbox", id: "readonly" });
  readOnly.checked = localStorage.getItem(READONLY_KEY) === "1";
  const form = h("form", { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to the gateway"),
    message ? h("p", { class: "error", role: "alert" }, message) : null,
    h("label", { for: "token" }, "Gateway token"),
    token,
    h("p", { class: "muted" }, "Run ", h("code", {}, "openclaw dashboard"), " on the gateway host for a link that signs you in."),
    h("div", { class: "row" }, readOnly, h("label", { for: "readonly" }, "Read-only session")),
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, "Connect")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, token.value.trim());
    localStorage.setItem(READONLY_KEY, readOnly.checked ? "1" : "0");
    connect(token.value.trim());
  });
  replace(main, form);
  token.focus();
}

const STATES = {
  connecting: () => ["Connecting…", ""],
  reconnecting: () => ["Reconnecting…", "bad"],
  disconnected: (d) => [`Gateway unreachable, retrying in ${Math.round(d.retryInMs / 1000)} s`, "bad"],
  restarting: () => ["Gateway restarting…", "bad"],
  "rate-limited": (d) => [`Too many failed sign-ins; retrying in ${Math.ceil(d.afterMs / 1000)} s`, "bad"],
  pairing: (d) => [`This browser waits for pairing approval (request ${d.error.details.requestId}). Approve it with: openclaw devices approve ${d.error.details.requestId}`, "bad"],
};

async function connect(token) {
  if (gateway) gateway.stop();
  const readOnly = localStorage.getItem(READONLY_KEY) === "1";
  const id = await identity();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  gateway = new Gateway({ url: `${scheme}://${location.host}${basePath || "/"}`, token, readOnly, identity: id, version: VERSION });
  gateway.onState((state, detail) => {
    if (state === "connected") {
      const admin = gateway.isAdmin;
      setStatus(`Connected${admin ? "" : " (read-only)"} · ${detail.hello.server.version}`, "ok");
      showBanner("");
      nav.hidden = false;
      mountScreen();
    } else if (state === "unauthorized" || state === "refused") {
      gateway.stop();
      setStatus("Not connected", "bad");
      showBanner("");
      signInForm(detail.error.message);
    } else if (state === "origin") {
      gateway.stop();
      setStatus("Not connected", "bad");
      showBanner(`${detail.error.message}`, "bad");
    } else {
      const [text, tone] = STATES[state](detail);
      setStatus(state === "connecting" ? text : "Not connected", tone);
      if (state !== "connecting") showBanner(text, "bad");
    }
  });
  if (!id) {
    showBanner(deviceAvailable()
      ? "This browser cannot make an Ed25519 device identity; connecting without one."
      : "This page is not a secure context (use https or 127.0.0.1), so it has no device identity.", "bad");
  }
  gateway.start();
}

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[href]");
  if (!link || link.target || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(basePath)) return;
  event.preventDefault();
  navigate((url.pathname.slice(basePath.length) || "/") + url.search);
});
window.addEventListener("popstate", () => gateway && gateway.hello && mountScreen());

const token = takeToken();
if (token === null) signInForm();
else connect(token);

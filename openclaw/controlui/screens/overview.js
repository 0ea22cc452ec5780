// Overview: health, uptime, version, presence and channels, kept live by the health and presence events.

import { card, duration, h, replace, table, when } from "../dom.js";

export const title = "Overview";

function channelRows(health) {
  const channels = health.channels || {};
  const labels = health.channelLabels || {};
  return (health.channelOrder || Object.keys(channels)).map((id) => {
    const ch = channels[id] || {};
    const state = ch.running ? "running" : ch.configured ? "stopped" : "not configured";
    return h("tr", {}, h("td", {}, labels[id] || id), h("td", { class: ch.running ? "ok" : "muted" }, state),
      h("td", {}, ch.lastError ? h("span", { class: "bad" }, ch.lastError) : ""));
  });
}

function presenceRows(entries) {
  return entries.map((e) => h("tr", {},
    h("td", {}, e.host || "-"), h("td", {}, e.mode || "-"), h("td", {}, e.platform || "-"),
    h("td", {}, e.version || "-"), h("td", {}, e.reason || "-"), h("td", {}, when(e.ts))));
}

export function mount({ gw }, root) {
  const hello = gw.hello;
  const connectedAt = Date.now();
  let health = hello.snapshot.health || {};
  let presence = hello.snapshot.presence || [];

  const uptime = h("div", { class: "value", id: "uptime" });
  const healthValue = h("div", { class: "value", id: "health-state" });
  const agents = h("div", { class: "value", id: "agents" });
  const presenceBody = h("tbody", { id: "presence" });
  const channelBody = h("tbody", { id: "channels" });
  const stamp = h("p", { class: "muted", id: "health-ts" });

  const metric = (label, value) => h("div", { class: "card" }, h("div", { class: "label" }, label), value);
  replace(root,
    h("h1", {}, "Overview"),
    h("div", { class: "cards" },
      metric("Health", healthValue),
      card("Version", hello.server.version, "version"),
      metric("Uptime", uptime),
      metric("Agents", agents),
      card("Signed in as", `${hello.auth.role} (${hello.auth.scopes.includes("operator.admin") ? "admin" : "read-only"})`, "role")),
    stamp,
    h("h2", {}, "Channels"),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Channel", "State", "Last error"].map((t) => h("th", { scope: "col" }, t)))), channelBody)),
    h("h2", {}, "Presence"),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Host", "Mode", "Platform", "Version", "Reason", "Seen"].map((t) => h("th", { scope: "col" }, t)))), presenceBody)));

  function renderHealth() {
    healthValue.textContent = health.ok === false ? "degraded" : "ok";
    healthValue.className = `value ${health.ok === false ? "bad" : "ok"}`;
    const list = health.agents || [];
    agents.textContent = list.length ? list.map((a) => a.agentId + (a.isDefault ? " (default)" : "")).join(", ") : "-";
    stamp.textContent = `Health as of ${when(health.ts)}`;
    const rows = channelRows(health);
    replace(channelBody, rows.length ? rows : h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No channels configured.")));
  }
  function renderPresence() {
    replace(presenceBody, presenceRows(presence));
  }
  function tickUptime() {
    uptime.textContent = duration(hello.snapshot.uptimeMs + (Date.now() - connectedAt));
  }

  renderHealth();
  renderPresence();
  tickUptime();
  const timer = setInterval(tickUptime, 1000);
  const offHealth = gw.on("health", (payload) => { health = payload; renderHealth(); });
  const offPresence = gw.on("presence", (payload) => { presence = payload.presence || []; renderPresence(); });
  return () => { clearInterval(timer); offHealth(); offPresence(); };
}

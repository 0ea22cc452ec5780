// Channels: the status of every account, a live probe, and start/stop for admins.

import { actionButton, errorLine, h, replace, table } from "../dom.js";

export const title = "Channels";

const FLAGS = [["enabled", "enabled", "disabled"], ["configured", "configured", "not configured"],
  ["running", "running", "stopped"], ["connected", "connected", "disconnected"], ["linked", "linked", "not linked"]];

function accountState(account) {
  const states = FLAGS.filter(([key]) => typeof account[key] === "boolean").map(([key, yes, no]) => (account[key] ? yes : no));
  if (account.probe && typeof account.probe.ok === "boolean") states.push(account.probe.ok ? "probe ok" : "probe failed");
  return states.join(", ") || "unknown";
}

export function mount({ gw }, root) {
  const error = errorLine("channels-error");
  const body = h("div", { id: "channel-list" }, h("p", { class: "muted" }, "Loading…"));
  let alive = true;

  async function load(probe) {
    const result = await gw.request("channels.status", probe ? { probe: true } : {});
    if (!alive) return;
    const labels = result.channelLabels || {};
    const rows = [];
    for (const channel of result.channelOrder || []) {
      for (const account of (result.channelAccounts || {})[channel] || []) {
        const target = { channel, accountId: account.accountId || "default" };
        rows.push(h("tr", {},
          h("td", {}, labels[channel] || channel), h("td", {}, target.accountId), h("td", {}, accountState(account)),
          h("td", { class: "bad" }, account.lastError || ""),
          h("td", {},
            actionButton("Start", async () => { await gw.request("channels.start", target); await load(false); }, error, { disabled: !gw.isAdmin }),
            " ",
            actionButton("Stop", async () => { await gw.request("channels.stop", target); await load(false); }, error, { disabled: !gw.isAdmin }))));
      }
    }
    replace(body,
      rows.length ? table(["Channel", "Account", "State", "Last error", ""], rows) : h("p", { class: "muted" }, "No channel accounts are configured."),
      (result.warnings || []).map((w) => h("p", { class: "warn" }, w)));
  }

  replace(root,
    h("h1", {}, "Channels"),
    h("div", { class: "row" }, actionButton("Probe", () => load(true), error), actionButton("Refresh", () => load(false), error)),
    error, body);
  load(false).catch((e) => { error.textContent = e.message; });
  return () => { alive = false; };
}

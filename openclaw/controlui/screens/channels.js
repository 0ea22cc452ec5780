// Channels: the status of every account, a live probe, start/stop, and the DM pairing
// requests waiting for approval (admins, when the gateway offers channels.pairing.*).

import { actionButton, errorLine, h, replace, table, when } from "../dom.js";

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
  const pairing = h("div", { id: "channel-pairing" });
  const withPairing = gw.isAdmin && gw.has("channels.pairing.list");
  let alive = true;

  async function loadPairing() {
    const result = await gw.request("channels.pairing.list", {});
    if (!alive) return;
    const rows = result.requests.map((r) => {
      const target = { channel: r.channel, accountId: r.accountId, requestId: r.requestId };
      return h("tr", { "data-request": r.requestId },
        h("td", {}, r.channel), h("td", {}, r.accountId), h("td", {}, r.senderLabel || r.senderId),
        h("td", {}, when(r.createdAt)), h("td", {}, when(r.expiresAt)),
        h("td", {},
          actionButton("Approve", async () => { await gw.request("channels.pairing.approve", { ...target, notify: true }); await loadPairing(); }, error),
          " ",
          actionButton("Dismiss", async () => { await gw.request("channels.pairing.dismiss", target); await loadPairing(); }, error)));
    });
    replace(pairing, rows.length
      ? table(["Channel", "Account", "Sender", "Asked", "Expires", ""], rows)
      : h("p", { class: "muted" }, "No pending pairing requests."));
  }

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
    h("div", { class: "row" }, actionButton("Probe", () => load(true), error), actionButton("Refresh", () => Promise.all([load(false), withPairing && loadPairing()]), error)),
    error, body,
    withPairing ? [h("h2", {}, "Pending pairing requests"), pairing] : null);
  load(false).catch((e) => { error.textContent = e.message; });
  if (withPairing) loadPairing().catch((e) => { error.textContent = e.message; });
  return () => { alive = false; };
}

// Devices: pending pairing requests (approve/reject) and paired devices (revoke, remove), live on pairing events.

import { actionButton, errorLine, h, missing, replace, table, when } from "../dom.js";

export const title = "Devices";

export function mount({ gw }, root) {
  if (!gw.has("device.pair.list")) {
    replace(root, h("h1", {}, "Devices"), missing("device.pair.list"));
    return null;
  }
  const canPair = gw.scopes.includes("operator.pairing") || gw.isAdmin;
  if (!canPair) {
    replace(root, h("h1", {}, "Devices"), h("p", { class: "muted" }, "Devices and pairing need operator.pairing, which this session does not have."));
    return null;
  }
  const error = errorLine("devices-error");
  const pendingEl = h("div", { id: "pending" });
  const pairedEl = h("div", { id: "paired" });
  let alive = true;

  const act = (label, method, params) => actionButton(label, async () => { await gw.request(method, params); await load(); }, error);

  async function load() {
    const listing = await gw.request("device.pair.list", {});
    if (!alive) return;
    const pending = listing.pending || [];
    replace(pendingEl, pending.length
      ? table(["Request", "Device", "Client", "Role / scopes", "From", "Asked", ""], pending.map((r) => h("tr", { "data-request": r.requestId },
        h("td", {}, h("code", {}, r.requestId)), h("td", {}, h("code", {}, r.deviceId.slice(0, 12))),
        h("td", {}, r.clientId || "-"), h("td", {}, `${r.role || "-"} ${(r.scopes || []).join(" ")}`),
        h("td", {}, r.remoteIp || "-"), h("td", {}, when(r.ts)),
        h("td", {}, act("Approve", "device.pair.approve", { requestId: r.requestId }), " ", act("Reject", "device.pair.reject", { requestId: r.requestId })))))
      : h("p", { class: "muted" }, "No pending pairing requests."));
    const paired = listing.paired || [];
    replace(pairedEl, paired.length
      ? table(["Device", "Client", "Roles", "Scopes", "Connected", ""], paired.map((d) => h("tr", {},
        h("td", {}, h("code", {}, d.deviceId.slice(0, 12)), d.displayName ? ` ${d.displayName}` : ""),
        h("td", {}, d.clientId || "-"), h("td", {}, (d.roles || [d.role]).filter(Boolean).join(", ")),
        h("td", {}, (d.scopes || []).join(" ")), h("td", {}, d.connected ? "yes" : "no"),
        h("td", {},
          (d.roles || [d.role]).filter(Boolean).map((role) => act(`Revoke ${role}`, "device.token.revoke", { deviceId: d.deviceId, role })),
          " ", act("Remove", "device.pair.remove", { deviceId: d.deviceId })))))
      : h("p", { class: "muted" }, "No paired devices."));
  }

  replace(root, h("h1", {}, "Devices"), error, h("h2", {}, "Pending pairing requests"), pendingEl, h("h2", {}, "Paired devices"), pairedEl);
  const reload = () => load().catch((e) => { error.textContent = e.message; });
  reload();
  const offs = [gw.on("device.pair.requested", reload), gw.on("device.pair.resolved", reload)];
  return () => { alive = false; offs.forEach((off) => off()); };
}

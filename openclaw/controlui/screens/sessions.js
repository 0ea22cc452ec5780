// Sessions: list and search, reset and delete (admin), open one in the chat screen.

import { actionButton, errorLine, h, missing, replace, table, when } from "../dom.js";

export const title = "Sessions";

const PAGE = 50;

export function mount({ gw }, root) {
  if (!gw.has("sessions.list")) {
    replace(root, h("h1", {}, "Sessions"), missing("sessions.list"));
    return null;
  }
  const search = h("input", { type: "search", id: "session-search", placeholder: "Search sessions", "aria-label": "Search sessions", class: "grow" });
  const body = h("div", { id: "session-list" });
  const pager = h("div", { class: "row" });
  const error = errorLine("sessions-error");
  let offset = 0;
  let alive = true;

  async function load() {
    const params = { limit: PAGE, offset };
    if (search.value.trim()) params.search = search.value.trim();
    const result = await gw.request("sessions.list", params);
    if (!alive) return;
    const rows = result.sessions.map((s) => h("tr", { "data-key": s.key },
      h("td", {}, h("a", { href: `chat?session=${encodeURIComponent(s.key)}` }, s.displayName || s.label || s.key)),
      h("td", {}, s.kind || "-"), h("td", {}, s.agentId || "-"), h("td", {}, when(s.updatedAt)),
      h("td", {}, s.totalTokens !== undefined ? String(s.totalTokens) : "-"),
      h("td", {},
        actionButton("Reset", async () => { await gw.request("sessions.reset", { key: s.key, reason: "reset" }); await load(); }, error, { disabled: !gw.isAdmin }),
        " ",
        actionButton("Delete", async () => {
          if (!confirm(`Delete session ${s.key}?`)) return;
          await gw.request("sessions.delete", { key: s.key, deleteTranscript: true });
          await load();
        }, error, { disabled: !gw.isAdmin }))));
    replace(body, rows.length ? table(["Session", "Kind", "Agent", "Updated", "Tokens", ""], rows) : h("p", { class: "muted" }, "No sessions."));
    const total = result.totalCount !== undefined ? result.totalCount : result.count;
    replace(pager,
      h("span", { class: "muted" }, `${total} session${total === 1 ? "" : "s"}`),
      offset > 0 ? h("button", { type: "button", onclick: () => { offset = Math.max(0, offset - PAGE); reload(); } }, "Previous") : null,
      result.hasMore ? h("button", { type: "button", onclick: () => { offset = result.nextOffset; reload(); } }, "Next") : null);
  }
  const reload = () => load().catch((e) => { error.textContent = e.message; });

  let debounce = null;
  search.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { offset = 0; reload(); }, 250);
  });
  replace(root, h("h1", {}, "Sessions"), h("div", { class: "row" }, search), error, body, pager);
  reload();
  const offs = [];
  if (gw.has("sessions.subscribe")) {
    gw.request("sessions.subscribe", {}).catch(() => {});
    offs.push(gw.on("sessions.changed", reload));
  }
  return () => { alive = false; clearTimeout(debounce); offs.forEach((off) => off()); };
}

// Config: the redacted config, and edits as a merge patch guarded by the base hash; validation issues shown inline.

import { h, replace } from "../dom.js";

export const title = "Config";

export function mount({ gw }, root) {
  const current = h("pre", { id: "config-current", tabindex: "0" }, "Loading…");
  const meta = h("p", { class: "muted", id: "config-meta" });
  const patch = h("textarea", { id: "config-patch", rows: 8, spellcheck: "false", "aria-describedby": "patch-help" });
  const issues = h("ul", { class: "issues", id: "config-issues", role: "alert" });
  const outcome = h("p", { role: "status", id: "config-outcome" });
  const save = h("button", { class: "primary", type: "submit", disabled: !gw.isAdmin }, "Apply patch");
  let baseHash = null;
  let alive = true;

  async function load() {
    const result = await gw.request("config.get", {});
    if (!alive) return;
    baseHash = result.hash;
    current.textContent = JSON.stringify(result.config, null, 2);
    meta.textContent = `${result.path}${result.valid ? "" : " (invalid on disk)"}`;
    replace(issues, (result.issues || []).map((i) => h("li", {}, i)));
  }

  const form = h("form", { "aria-labelledby": "patch-title" },
    h("h2", { id: "patch-title" }, "Edit"),
    h("p", { class: "muted", id: "patch-help" }, "A JSON merge patch: the keys to change, null to remove one. It applies only if nobody changed the file since it was loaded."),
    patch, h("div", { class: "row" }, save), issues, outcome);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    replace(issues);
    outcome.textContent = "";
    save.disabled = true;
    try {
      const params = { raw: patch.value };
      if (baseHash) params.baseHash = baseHash;
      await gw.request("config.patch", params);
      outcome.textContent = "Saved.";
      patch.value = "";
      await load();
    } catch (error) {
      const found = error.details.issues;
      replace(issues, (found && found.length ? found : [error.message]).map((i) => h("li", {}, i)));
    } finally {
      save.disabled = !gw.isAdmin;
    }
  });

  replace(root, h("h1", {}, "Config"), meta, current,
    gw.isAdmin ? form : h("p", { class: "muted" }, "Read-only session: editing needs operator.admin."));
  load().catch((e) => { current.textContent = e.message; });
  return () => { alive = false; };
}

// Chat: pick an agent and session, send, watch the reply stream in (chat deltas), see tool
// calls folded (agent tool events), abort the run, and page back through the history.

import { errorLine, h, missing, replace, uuid } from "../dom.js";

export const title = "Chat";

const PAGE = 50;

/** The text and tool calls of a transcript message (content is a string or a list of parts). */
function parts(message) {
  const content = message.content;
  if (typeof content === "string") return { text: content, tools: [] };
  const list = Array.isArray(content) ? content : [];
  return {
    text: list.filter((p) => p.type === "text").map((p) => p.text).join(""),
    tools: list.filter((p) => p.type === "toolCall"),
  };
}

function toolFold(name, detail, state) {
  return h("details", { class: "tool" },
    h("summary", {}, `Tool: ${name}${state ? ` (${state})` : ""}`),
    h("pre", {}, typeof detail === "string" ? detail : JSON.stringify(detail, null, 2)));
}

function bubble(message) {
  const { text, tools } = parts(message);
  const role = message.role === "user" ? "user" : message.role === "assistant" ? "assistant" : "system";
  const el = h("div", { class: `msg ${role}` });
  const body = h("span", { class: "text" }, text);
  el.append(body, ...tools.map((t) => toolFold(t.name, t.arguments)));
  if (message.role === "toolResult") {
    replace(el, toolFold(message.toolName || "result", text, message.isError ? "error" : "result"));
  }
  return el;
}

function sessionKeyOf(agentId, mainKey) {
  return `agent:${agentId}:${mainKey}`;
}

/** The agent of an C{agent:<id>:…} session key, else undefined. */
function agentOfKey(key) {
  const match = /^agent:([^:]+):/.exec(key || "");
  return match ? match[1] : undefined;
}

export function mount({ gw }, root) {
  if (!gw.has("chat.send")) {
    replace(root, h("h1", {}, "Chat"), missing("chat.send"));
    return null;
  }
  const defaults = gw.hello.snapshot.sessionDefaults || {};
  const agentSelect = h("select", { id: "chat-agent", "aria-label": "Agent" });
  const sessionInput = h("input", { id: "chat-session", list: "chat-sessions", "aria-label": "Session key", class: "grow" });
  const sessionList = h("datalist", { id: "chat-sessions" });
  const older = h("button", { type: "button", id: "chat-older", hidden: true }, "Load older");
  const messages = h("div", { class: "messages", id: "chat-messages", role: "log", "aria-live": "polite", tabindex: "0" }, older);
  const input = h("textarea", { id: "chat-input", rows: 2, placeholder: "Message", "aria-label": "Message", disabled: !gw.scopes.some((s) => s === "operator.write" || s === "operator.admin") });
  const send = h("button", { class: "primary", type: "submit", id: "chat-send", disabled: input.disabled }, "Send");
  const abort = h("button", { type: "button", id: "chat-abort", disabled: true }, "Abort");
  const error = errorLine("chat-error");
  const runs = new Map(); // runId -> {el, tools: Map}
  let nextOffset = null;
  let alive = true;

  const wanted = new URLSearchParams(location.search).get("session");
  if (wanted) sessionInput.value = wanted;
  const agentId = () => agentSelect.value || defaults.defaultAgentId || "main";
  /** The session key the gateway uses for what was typed: lower-case, scoped to the agent unless already scoped. */
  const sessionKey = () => {
    const typed = sessionInput.value.trim().toLowerCase();
    if (!typed) return sessionKeyOf(agentId(), defaults.mainKey || "main");
    return typed.startsWith("agent:") || typed === "global" ? typed : sessionKeyOf(agentId(), typed);
  };

  function scrollDown() {
    messages.scrollTop = messages.scrollHeight;
  }

  function runView(runId) {
    let run = runs.get(runId);
    if (!run) {
      const el = h("div", { class: "msg assistant", "data-run": runId }, h("span", { class: "text" }), h("span", { class: "state" }, "streaming…"));
      run = { el, tools: new Map() };
      runs.set(runId, run);
      messages.append(el);
      abort.disabled = false;
    }
    return run;
  }

  function finish(runId, state) {
    const run = runs.get(runId);
    if (run) run.el.querySelector(".state").textContent = state;
    runs.delete(runId);
    abort.disabled = runs.size === 0;
  }

  async function loadHistory(more) {
    if (!gw.has("chat.history")) {
      replace(messages, older);
      runs.clear();
      return;
    }
    const params = { sessionKey: sessionKey(), limit: PAGE };
    if (more) params.offset = nextOffset;
    const page = await gw.request("chat.history", params);
    if (!alive) return;
    nextOffset = page.hasMore ? page.nextOffset : null;
    older.hidden = nextOffset === null || nextOffset === undefined;
    const views = page.messages.map(bubble);
    if (more) older.after(...views);
    else {
      replace(messages, older, ...views);
      runs.clear();
      scrollDown();
    }
  }

  async function loadPickers() {
    if (gw.has("agents.list")) {
      const result = await gw.request("agents.list", {});
      replace(agentSelect, result.agents.map((a) => h("option", { value: a.id }, a.name || a.id)));
      agentSelect.value = agentOfKey(sessionInput.value) || result.defaultId;
    } else {
      const agents = (gw.hello.snapshot.health.agents || []).map((a) => a.agentId);
      replace(agentSelect, (agents.length ? agents : [agentId()]).map((id) => h("option", { value: id }, id)));
      agentSelect.value = agentOfKey(sessionInput.value) || defaults.defaultAgentId || agents[0];
    }
    if (gw.has("sessions.list")) {
      const result = await gw.request("sessions.list", { agentId: agentId(), limit: 100 });
      replace(sessionList, result.sessions.map((s) => h("option", { value: s.key }, s.displayName || s.label || s.key)));
    }
  }

  function onChat(payload) {
    if (payload.sessionKey !== sessionKey()) return;
    if (payload.state === "status") return;
    const run = runView(payload.runId);
    if (payload.message) {
      const { text, tools } = parts(payload.message);
      run.el.querySelector(".text").textContent = text;
      for (const call of tools) showTool(run, call.id, toolFold(call.name, call.arguments));
    }
    if (payload.state === "delta") run.el.querySelector(".state").textContent = "streaming…";
    else if (payload.state === "final") finish(payload.runId, "");
    else if (payload.state === "aborted") finish(payload.runId, "aborted");
    else if (payload.state === "error") finish(payload.runId, `error: ${payload.errorMessage || "run failed"}`);
    scrollDown();
  }

  function onAgent(payload) {
    // tool events reach only the connection that started the run (and carry no session key)
    if (payload.stream !== "tool" || !runs.has(payload.runId)) return;
    const run = runView(payload.runId);
    const d = payload.data || {};
    const state = d.phase === "result" ? (d.isError ? "error" : "done") : "running";
    showTool(run, d.toolCallId, toolFold(d.name, d.phase === "result" ? d.result : d.args, state), true);
  }

  /** One fold per tool call of a run; a later event about the same call replaces it when C{update}. */
  function showTool(run, callId, fold, update = false) {
    const previous = run.tools.get(callId);
    if (previous && !update) return;
    if (previous) previous.replaceWith(fold);
    else run.el.insertBefore(fold, run.el.querySelector(".state"));
    run.tools.set(callId, fold);
  }

  const form = h("form", { class: "composer row" }, h("div", { class: "grow" }, input), send, abort);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    error.textContent = "";
    send.disabled = true;
    messages.append(bubble({ role: "user", content: text }));
    scrollDown();
    input.value = "";
    try {
      const ack = await gw.request("chat.send", { sessionKey: sessionKey(), agentId: agentId(), message: text, deliver: false, idempotencyKey: uuid() });
      if (ack.runId && ack.status !== "ok") runView(ack.runId);
    } catch (e) {
      error.textContent = e.message;
    } finally {
      send.disabled = false;
      input.focus();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  abort.addEventListener("click", async () => {
    error.textContent = "";
    try {
      await gw.request("chat.abort", { sessionKey: sessionKey(), agentId: agentId() });
    } catch (e) {
      error.textContent = e.message;
    }
  });
  older.addEventListener("click", () => loadHistory(true).catch((e) => { error.textContent = e.message; }));
  const reload = () => loadHistory(false).catch((e) => { error.textContent = e.message; });
  agentSelect.addEventListener("change", () => { sessionInput.value = ""; reload(); });
  sessionInput.addEventListener("change", reload);

  replace(root, h("div", { class: "chat" },
    h("h1", {}, "Chat"),
    h("div", { class: "row" }, h("label", { for: "chat-agent" }, "Agent"), agentSelect,
      h("label", { for: "chat-session" }, "Session"), sessionInput, sessionList),
    messages, error, form));
  const offs = [gw.on("chat", onChat), gw.on("agent", onAgent)];
  loadPickers().then(() => { sessionInput.placeholder = sessionKey(); return loadHistory(false); })
    .catch((e) => { error.textContent = e.message; });
  return () => { alive = false; offs.forEach((off) => off()); };
}

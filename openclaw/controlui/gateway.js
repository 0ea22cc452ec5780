// The WebSocket client of the gateway protocol: challenge, device-signed connect,
// requests and responses, events, and reconnecting with backoff until stopped.

import { deviceBlock } from "./device.js";
import { uuid } from "./dom.js";

export const PROTOCOL = 4;
const ADMIN_SCOPES = ["operator.admin", "operator.read", "operator.write", "operator.approvals", "operator.pairing"];
const READ_SCOPES = ["operator.read"];
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

/** A refused request or connect, with the protocol's error shape. */
export class GatewayError extends Error {
  constructor(error) {
    super(error.message || error.code || "request failed");
    this.code = error.code;
    this.details = error.details || {};
    this.retryAfterMs = error.retryAfterMs;
  }
}

/** What a refused connect means for the person at the page. */
export function connectVerdict(error) {
  const code = error.details.code || "";
  if (code === "CONTROL_UI_ORIGIN_NOT_ALLOWED") return { state: "origin", retry: false };
  if (code === "AUTH_RATE_LIMITED") return { state: "rate-limited", retry: true, afterMs: error.retryAfterMs || 5000 };
  if (code === "PAIRING_REQUIRED") return { state: "pairing", retry: true, afterMs: 3000 };
  if (code.startsWith("AUTH_") || code.startsWith("DEVICE_AUTH_") || code === "DEVICE_IDENTITY_REQUIRED") {
    return { state: "unauthorized", retry: false };
  }
  if (error.code === "UNAVAILABLE") return { state: "restarting", retry: true, afterMs: error.retryAfterMs || 1000 };
  return { state: "refused", retry: false };
}

export class Gateway {
  /**
   * @param {object} o
   * @param {string} o.url   ws(s):// URL of the gateway
   * @param {string} o.token the shared token ("" when the gateway needs none)
   * @param {boolean} o.readOnly ask for operator.read only
   * @param {object|null} o.identity this browser's device identity (device.js), or null
   * @param {string} o.version the UI's version, sent as the client version
   */
  constructor({ url, token, readOnly, identity, version }) {
    Object.assign(this, { url, token, readOnly, identity, version });
    this.instanceId = uuid();
    this.hello = null;
    this.ws = null;
    this.stopped = true;
    this.attempt = 0;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.stateListeners = new Set();
    this.retryTimer = null;
  }

  get scopes() {
    return this.hello ? this.hello.auth.scopes : [];
  }

  get isAdmin() {
    return this.scopes.includes("operator.admin");
  }

  has(method) {
    return Boolean(this.hello && this.hello.features.methods.includes(method));
  }

  onState(fn) {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    return () => this.listeners.get(event).delete(fn);
  }

  start() {
    this.stopped = false;
    this._open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000);
  }

  /** Send a request; resolves with its payload or rejects with a GatewayError. */
  request(method, params = {}) {
    if (!this.hello || !this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new GatewayError({ code: "UNAVAILABLE", message: "not connected to the gateway" }));
    }
    return this._send(method, params);
  }

  _send(method, params) {
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  _emitState(state, detail = {}) {
    for (const fn of this.stateListeners) fn(state, detail);
  }

  _open() {
    clearTimeout(this.retryTimer);
    this._emitState(this.attempt ? "reconnecting" : "connecting", { attempt: this.attempt });
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let verdict = null;
    ws.onmessage = (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === "event" && frame.event === "connect.challenge" && !this.hello) {
        this._connect(frame.payload.nonce).then(
          (hello) => this._welcome(hello),
          (failure) => {
            // a refusal from the gateway, or this browser failing to sign (then nothing to retry)
            const error = failure instanceof GatewayError ? failure : new GatewayError({ code: "CLIENT", message: failure.message });
            verdict = { ...connectVerdict(error), error };
            this._emitState(verdict.state, verdict);
          },
        );
      } else if (frame.type === "res") {
        const waiter = this.pending.get(frame.id);
        if (!waiter) return;
        this.pending.delete(frame.id);
        if (frame.ok) waiter.resolve(frame.payload);
        else waiter.reject(new GatewayError(frame.error || {}));
      } else if (frame.type === "event") {
        if (frame.event === "shutdown") this._emitState("restarting", { payload: frame.payload });
        for (const fn of this.listeners.get(frame.event) || []) fn(frame.payload, frame);
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      const wasUp = this.hello !== null;
      this.hello = null;
      for (const waiter of this.pending.values()) {
        waiter.reject(new GatewayError({ code: "UNAVAILABLE", message: "the gateway went away" }));
      }
      this.pending.clear();
      if (this.stopped) return;
      if (verdict && !verdict.retry) return; // the refusal was reported; only the person can fix it
      const delay = verdict ? verdict.afterMs : BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      this.attempt += 1;
      if (!verdict) this._emitState("disconnected", { wasUp, retryInMs: delay });
      this.retryTimer = setTimeout(() => this._open(), delay);
    };
  }

  async _connect(nonce) {
    const params = {
      minProtocol: PROTOCOL,
      maxProtocol: PROTOCOL,
      client: {
        id: "openclaw-control-ui",
        version: this.version,
        platform: navigator.platform || "web",
        mode: "webchat",
        instanceId: this.instanceId,
      },
      role: "operator",
      scopes: this.readOnly ? READ_SCOPES : ADMIN_SCOPES,
      caps: ["tool-events"],
      userAgent: navigator.userAgent,
      locale: navigator.language,
    };
    if (this.token) params.auth = { token: this.token };
    if (this.identity) params.device = await deviceBlock(this.identity, params, nonce);
    return this._send("connect", params);
  }

  _welcome(hello) {
    this.hello = hello;
    this.attempt = 0;
    this._emitState("connected", { hello });
  }
}

// This browser's device identity: an Ed25519 key pair made with WebCrypto, kept in
// localStorage for this origin, and the signature of the connect the gateway verifies.

const STORE = "openclaw.device.v1";

function b64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether this page may make a device identity (WebCrypto needs a secure context, Ed25519 a current browser). */
export function available() {
  return Boolean(globalThis.crypto && crypto.subtle && isSecureContext);
}

async function fromStore() {
  const saved = JSON.parse(localStorage.getItem(STORE) || "null");
  if (!saved) return null;
  const privateKey = await crypto.subtle.importKey("pkcs8", unb64url(saved.privateKey), { name: "Ed25519" }, false, ["sign"]);
  return { id: saved.id, publicKey: saved.publicKey, privateKey };
}

async function created() {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
  const identity = { id: await hex(raw), publicKey: b64url(raw), privateKey: b64url(pkcs8) };
  localStorage.setItem(STORE, JSON.stringify(identity));
  return fromStore();
}

/** The stored identity, or a new one; null when this browser cannot make one. */
export async function identity() {
  if (!available()) return null;
  try {
    return (await fromStore()) || (await created());
  } catch (error) {
    // a stored key this browser can no longer import, or no Ed25519 support at all
    localStorage.removeItem(STORE);
    try {
      return await created();
    } catch {
      return null;
    }
  }
}

function normalized(value) {
  return (value || "").trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The v3 string a device signs for a connect (the gateway rebuilds it from the same fields). */
export function signedPayload(deviceId, params, signedAt, nonce) {
  const auth = params.auth || {};
  return [
    "v3", deviceId, params.client.id, params.client.mode, params.role || "operator",
    (params.scopes || []).join(","), String(signedAt),
    auth.token || auth.deviceToken || auth.bootstrapToken || "", nonce,
    normalized(params.client.platform), normalized(params.client.deviceFamily),
  ].join("|");
}

/** The connect's C{device} block: this identity's signature over the challenge. */
export async function deviceBlock(id, params, nonce) {
  const signedAt = Date.now();
  const payload = new TextEncoder().encode(signedPayload(id.id, params, signedAt, nonce));
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, id.privateKey, payload);
  return { id: id.id, publicKey: id.publicKey, signature: b64url(signature), signedAt, nonce };
}

// The till's JSON API as the pages use it: JSON in and out, errors as ApiError with the
// API's code, a lost session sends the page to the lock screen.
import { boot } from "./boot.js";
import { has, t } from "./i18n.js";

// Marks this page's requests, so it can tell its own changes from others' in live events.
export const PAGE_ID = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.error || `http_${status}`;
    this.details = body.details || {};
  }
}

export async function api(method, path, body, { signal } = {}) {
  const init = { method, signal, credentials: "same-origin", headers: { "X-Kiosk-Page": PAGE_ID } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { error: "till_unreachable", message: String(error) });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && boot.page !== "lock" && !loggingOut) leaveFor(error.code);
    throw error;
  }
  return data;
}

// What to tell the person: the catalog's text for the error code, else the API's message.
export function errorText(error) {
  if (error instanceof ApiError && has(`error.${error.code}`)) return t(`error.${error.code}`, error.details);
  return error.message || String(error);
}

// The page goes to the lock screen once, for the first reason. (The idle lock's logout ends
// the session, so a status poll or a second idle tick answered 401 after it must not replace
// "idle" with "login_required".)
let leaving = false;

function leaveFor(reason) {
  if (leaving) return;
  leaving = true;
  location.replace(reason ? `/lock?reason=${encodeURIComponent(reason)}` : "/lock");
}

let loggingOut = null;

export function logout(reason) {
  if (loggingOut) return loggingOut;
  const done = () => leaveFor(reason);
  loggingOut = api("POST", "/api/auth/logout").then(done, done);
  return loggingOut;
}

// The status bar's device, cash drawer and head-office pills, kept current by asking the
// till every few seconds (and at once after a sale). A device that needs someone shows
// what to do; tapping a pill opens the details with the print queue and its Retry button.
import { dateTime, t } from "./i18n.js";
import { api } from "./api.js";
import { h, openDialog, showError, toast } from "./ui.js";

const POLL_MS = 3000;
const $ = (id) => document.getElementById(id);
const listeners = new Set();
let last = null;
let pending = null;

// fn(status) after every refresh (and at once with the last one known)
export function onStatus(fn) {
  listeners.add(fn);
  if (last) fn(last);
}

export function lastStatus() {
  return last;
}

export function refreshStatus() {
  pending ??= api("GET", "/kiosk/api/status").then((status) => {
    last = status;
    render(status);
    for (const fn of listeners) fn(status);
    return status;
  }, () => last).finally(() => { pending = null; });
  return pending;
}

function deviceName(kind) {
  return t(`device.${kind}`);
}

function present(status) {
  return status.devices.filter((device) => device.backend !== "none");
}

// The device pill: the first device needing attention (with its message), else the
// print queue, else all well.
export function devicesText(status) {
  const attention = status.devices.filter((device) => device.attention);
  if (attention.length) {
    return t("status.device_attention", { device: deviceName(attention[0].kind),
                                         message: attention[0].message || t("status.unavailable") });
  }
  if (status.print_queue.length) return t("status.print_queue", { n: status.print_queue.length });
  return t("status.devices_ok");
}

// The head-office pill: enrollment until the till is enrolled, then the connection.
export function syncText(status) {
  const { sync, enrollment } = status;
  if (sync.state === "not_enrolled") {
    return t(`enrollment.${enrollment.state}`, { store: enrollment.store_id ?? "" });
  }
  return t(`sync.${sync.state}`, { n: sync.waiting, store: sync.store_id });
}

function render(status) {
  const devices = $("sb-devices");
  if (devices) {
    const attention = status.devices.some((device) => device.attention) || status.print_queue.length > 0;
    devices.hidden = present(status).length === 0;
    devices.dataset.state = attention ? "attention" : "ok";
    devices.textContent = devicesText(status);
  }
  const drawer = $("sb-drawer");
  if (drawer) drawer.hidden = status.drawer_open !== true;
  const sync = $("sb-sync");
  if (sync) {
    sync.hidden = false;
    const state = status.sync.state === "not_enrolled" ? status.enrollment.state : status.sync.state;
    sync.dataset.state = ["synced", "enrolled"].includes(state) ? "ok"
      : ["offline", "failed", "invalid", "unreadable", "unavailable"].includes(state) ? "attention" : "busy";
    sync.textContent = syncText(status);
  }
}

async function retryPrinting(close) {
  try {
    const { printed } = await api("POST", "/api/printer/retry");
    toast(t("status.printed", { n: printed }), printed ? "ok" : "info");
  } catch (error) {
    showError(error);
  }
  close(null);
  const status = await refreshStatus();
  if (status?.print_queue.length) toast(t("status.still_waiting", { n: status.print_queue.length }), "error");
}

// The details: each device with its state, the print queue, the drawer, head office.
export function showStatusDetails() {
  const status = last;
  if (!status) return null;
  return openDialog((root, close) => {
    // the drawer's row says whether it is open too (with a sensor)
    const drawerState = status.drawer_open === null ? ""
      : ` · ${t(status.drawer_open ? "status.drawer_open" : "status.drawer_closed")}`;
    const rows = present(status).map((device) => h("tr", { "data-device": device.kind },
      h("th", { scope: "row" }, deviceName(device.kind)),
      h("td", { class: device.attention ? "negative" : "" },
        (device.available ? t("status.ready") : (device.message || t("status.unavailable")))
        + (device.kind === "drawer" ? drawerState : ""))));
    const { sync, enrollment } = status;
    const office = [
      h("tr", {}, h("th", { scope: "row" }, t("status.enrollment")),
        h("td", {}, t(`enrollment.${sync.state === "not_enrolled" ? enrollment.state : "enrolled"}`,
                      { store: sync.store_id ?? enrollment.store_id ?? "" }))),
      enrollment.message && sync.state === "not_enrolled"
        ? h("tr", {}, h("th", { scope: "row" }), h("td", { class: "details" }, enrollment.message)) : null,
      sync.state !== "not_enrolled"
        ? h("tr", {}, h("th", { scope: "row" }, t("status.head_office")), h("td", {}, syncText(status))) : null,
      h("tr", {}, h("th", { scope: "row" }, t("status.waiting")), h("td", { "data-figure": "waiting" }, String(sync.waiting))),
      sync.last_ack_at ? h("tr", {}, h("th", { scope: "row" }, t("status.last_sync")), h("td", {}, dateTime(sync.last_ack_at))) : null,
    ];
    const queue = status.print_queue.length
      ? [h("h3", {}, t("status.print_queue", { n: status.print_queue.length })),
         h("ul", { class: "print-queue" }, status.print_queue.map((job) => h("li", {}, job.title,
           job.message ? h("span", { class: "details" }, ` · ${job.message}`) : null))),
         h("button", { type: "button", class: "btn primary big", "data-action": "retry-print",
                       onclick: () => retryPrinting(close) }, t("status.retry"))]
      : [];
    root.append(h("h2", {}, t("status.title")),
                h("table", { class: "report-table" }, h("caption", {}, t("status.devices")), h("tbody", {}, rows)),
                ...queue,
                h("table", { class: "report-table" }, h("caption", {}, t("status.head_office")), h("tbody", {}, office)),
                h("div", { class: "dialog-buttons one" },
                  h("button", { type: "button", class: "btn", onclick: () => close(null) }, t("common.close"))));
  }, "wide");
}

async function switchLanguage(locale) {
  try {
    await api("PUT", "/kiosk/api/language", { locale });
    location.reload();
  } catch (error) {
    showError(error);
  }
}

export function initStatusBar() {
  for (const id of ["sb-devices", "sb-sync"]) {
    $(id)?.addEventListener("click", showStatusDetails);
    $(id)?.addEventListener("mousedown", (event) => event.preventDefault()); // the scan field keeps the focus
  }
  for (const button of document.querySelectorAll("[data-language]")) {
    button.addEventListener("click", () => switchLanguage(button.dataset.language));
  }
  refreshStatus();
  setInterval(refreshStatus, POLL_MS);
}

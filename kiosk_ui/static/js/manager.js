// The manager's screen: cashier accounts (deactivated ones too, to re-activate), stock
// (stock-reports.js), today's reports with charts, and the audit log.
import { boot } from "./boot.js";
import { dateTime, has, t } from "./i18n.js";
import { api } from "./api.js";
import { askForm, h, showError, toast, withOverride } from "./ui.js";
import { initChrome } from "./chrome.js";
import { initStock, showStock, stockScan } from "./stock.js";
import { claimScans, connectLive } from "./live.js";
import { loadReport } from "./reports.js";

const $ = (id) => document.getElementById(id);
const main = $("manager");
const ROLES = ["cashier", "manager", "admin"];
const AUDIT_PAGE = 50;
let auditOffset = 0;

function languageOptions() {
  return [["", t("manager.store_language")], ...Object.entries(boot.languages)];
}

function languageName(locale) {
  return locale ? boot.languages[locale] ?? locale : t("manager.store_language");
}

async function loadCashiers() {
  const { cashiers } = await api("GET", "/api/cashiers?all=1");
  const now = Date.now();
  const status = (cashier) => {
    if (!cashier.active) return t("manager.inactive");
    return cashier.locked_until && Date.parse(cashier.locked_until) > now ? t("lock.locked") : t("manager.active");
  };
  $("cashiers").replaceChildren(
    h("thead", {}, h("tr", {}, ["manager.name", "manager.number", "manager.role", "manager.language", "manager.status", ""]
      .map((key) => h("th", { scope: "col" }, key ? t(key) : "")))),
    h("tbody", {}, cashiers.map((cashier) => h("tr", { "data-code": cashier.code, class: cashier.active ? "" : "inactive" },
      h("td", {}, cashier.name), h("td", {}, cashier.code), h("td", {}, t(`role.${cashier.role}`)),
      h("td", {}, languageName(cashier.locale)),
      h("td", { "data-status": cashier.active ? "active" : "inactive" }, status(cashier)),
      h("td", { class: "row-actions" },
        h("button", { type: "button", class: "btn small", onclick: () => editCashier(cashier) }, t("manager.edit")),
        cashier.active ? null : h("button", { type: "button", class: "btn small primary", "data-action": "reactivate",
                                              onclick: () => reactivate(cashier) }, t("manager.reactivate")))))));
}

function validPin(values, required) {
  if (!values.pin && !required) return null;
  return /^\d{4,8}$/.test(values.pin) ? null : t("input.invalid_pin");
}

async function addCashier() {
  const values = await askForm({
    title: t("manager.add_cashier"), confirmLabel: t("manager.create"),
    fields: [
      { name: "code", label: t("manager.number"), inputmode: "numeric", maxlength: "16" },
      { name: "name", label: t("manager.name"), maxlength: "64" },
      { name: "role", label: t("manager.role"), type: "select", options: ROLES.map((r) => [r, t(`role.${r}`)]), value: "cashier" },
      { name: "locale", label: t("manager.language"), type: "select", options: languageOptions(), value: "" },
      { name: "pin", label: t("lock.pin"), type: "password", inputmode: "numeric", maxlength: "8" },
    ],
    validate: (v) => (!v.code || !v.name ? t("manager.code_name_required") : validPin(v, true)),
  });
  if (!values) return;
  await save(() => withOverride((override) => api("POST", "/api/cashiers", {
    code: values.code, name: values.name, role: values.role, pin: values.pin, locale: values.locale || null, override,
  })), t("manager.created", { name: values.name }));
}

async function editCashier(cashier) {
  const values = await askForm({
    title: t("manager.edit_title", { name: cashier.name }), confirmLabel: t("manager.save"),
    fields: [
      { name: "name", label: t("manager.name"), value: cashier.name, maxlength: "64" },
      { name: "role", label: t("manager.role"), type: "select", options: ROLES.map((r) => [r, t(`role.${r}`)]), value: cashier.role },
      { name: "locale", label: t("manager.language"), type: "select", options: languageOptions(), value: cashier.locale ?? "" },
      { name: "pin", label: t("manager.new_pin"), type: "password", inputmode: "numeric", maxlength: "8" },
      { name: "active", label: t("manager.status"), type: "select", value: cashier.active ? "yes" : "no",
        options: [["yes", t("manager.active")], ["no", t("manager.deactivate")]] },
    ],
    validate: (v) => (!v.name ? t("manager.code_name_required") : validPin(v, false)),
  });
  if (!values) return;
  const body = {};
  if (values.name !== cashier.name) body.name = values.name;
  if (values.role !== cashier.role) body.role = values.role;
  if (values.locale && values.locale !== (cashier.locale ?? "")) body.locale = values.locale;
  if (values.pin) body.pin = values.pin;
  if ((values.active === "yes") !== cashier.active) body.active = values.active === "yes";
  if (!Object.keys(body).length) return;
  const saved = await save(() => withOverride((override) => api("PATCH", `/api/cashiers/${encodeURIComponent(cashier.code)}`,
                                                                 { ...body, override })), t("manager.saved", { name: values.name }));
  // the language of this screen follows the logged-in cashier's
  if (saved && cashier.code === boot.cashier.code && body.locale) location.reload();
}

function reactivate(cashier) {
  return save(() => withOverride((override) => api("PATCH", `/api/cashiers/${encodeURIComponent(cashier.code)}`,
                                                   { active: true, override })), t("manager.reactivated", { name: cashier.name }));
}

async function save(request, message) {
  try {
    const data = await request();
    if (!data) return null;
    toast(message, "ok");
    await loadCashiers();
    return data;
  } catch (error) {
    showError(error);
    return null;
  }
}

function details(entry) {
  return Object.entries(entry.details ?? {})
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`).join(" · ");
}

async function loadAudit(more = false) {
  auditOffset = more ? auditOffset + AUDIT_PAGE : 0;
  const { entries } = await api("GET", `/api/audit?limit=${AUDIT_PAGE}&offset=${auditOffset}`);
  const rows = entries.map((entry) => h("tr", {},
    h("td", { class: "nowrap" }, dateTime(entry.at)),
    h("td", {}, has(`audit.${entry.action}`) ? t(`audit.${entry.action}`) : entry.action),
    h("td", {}, entry.cashier ?? ""), h("td", {}, entry.approved_by ?? ""),
    h("td", { class: "details" }, details(entry))));
  if (!more) {
    $("audit").replaceChildren(
      h("thead", {}, h("tr", {}, ["manager.when", "manager.action", "role.cashier", "manager.approved_by", "manager.details"]
        .map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, rows));
  } else {
    $("audit").querySelector("tbody").append(...rows);
  }
  $("audit-more").hidden = entries.length < AUDIT_PAGE;
}

const TABS = ["cashiers", "stock", "reports", "audit"];

function showTab(name) {
  for (const tab of main.querySelectorAll("[data-tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const tab of TABS) $(`tab-${tab}`).hidden = name !== tab;
  main.dataset.tab = name;
  if (name === "audit") loadAudit().catch(showError);
  if (name === "stock") showStock();
  tellScans();
  if (name === "reports") loadReport().catch(showError);
}

main.addEventListener("click", (event) => {
  // the tab buttons only: #manager itself carries data-tab (the tab in front), and a click
  // anywhere in it re-opening the tab reloaded the stock view under the manager's feet
  const tab = event.target.closest("button[data-tab]");
  if (tab) showTab(tab.dataset.tab);
});
// F-keys for the tabs: F1 cashiers, F2 stock, F3 reports, F4 audit
document.addEventListener("keydown", (event) => {
  const index = ["F1", "F2", "F3", "F4"].indexOf(event.key);
  if (index < 0 || document.getElementById("dialog").open) return;
  event.preventDefault();
  showTab(TABS[index]);
});
initStock();
// on the stock tab the till's scanner counts, looks up and receives here instead of selling
const tellScans = claimScans(connectLive("till", { scan: ({ code }) => stockScan(code) }),
                             () => main.dataset.tab === "stock", main);
const wanted = new URLSearchParams(location.search).get("tab");
$("add-cashier").addEventListener("click", addCashier);
$("audit-more").addEventListener("click", () => loadAudit(true).catch(showError));

initChrome();
loadCashiers().then(() => {
  if (TABS.includes(wanted)) showTab(wanted);
  main.dataset.state = "ready";
}, showError);

// The manager's screen: cashier accounts and the audit log. (Stock and report screens
// come with the issues that add those services.)
import { boot } from "./boot.js";
import { dateTime, has, t } from "./i18n.js";
import { api } from "./api.js";
import { askForm, h, showError, toast, withOverride } from "./ui.js";
import { initChrome } from "./chrome.js";

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
  const { cashiers } = await api("GET", "/api/cashiers");
  const now = Date.now();
  $("cashiers").replaceChildren(
    h("thead", {}, h("tr", {}, ["manager.name", "manager.number", "manager.role", "manager.language", "manager.status", ""]
      .map((key) => h("th", { scope: "col" }, key ? t(key) : "")))),
    h("tbody", {}, cashiers.map((cashier) => h("tr", { "data-code": cashier.code },
      h("td", {}, cashier.name), h("td", {}, cashier.code), h("td", {}, t(`role.${cashier.role}`)),
      h("td", {}, languageName(cashier.locale)),
      h("td", {}, cashier.locked_until && Date.parse(cashier.locked_until) > now ? t("lock.locked") : t("manager.active")),
      h("td", {}, h("button", { type: "button", class: "btn small", onclick: () => editCashier(cashier) }, t("manager.edit")))))));
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
      { name: "active", label: t("manager.status"), type: "select", value: "yes",
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
  if (values.active === "no") body.active = false;
  if (!Object.keys(body).length) return;
  const saved = await save(() => withOverride((override) => api("PATCH", `/api/cashiers/${encodeURIComponent(cashier.code)}`,
                                                                 { ...body, override })), t("manager.saved", { name: values.name }));
  // the language of this screen follows the logged-in cashier's
  if (saved && cashier.code === boot.cashier.code && body.locale) location.reload();
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

function showTab(name) {
  for (const tab of main.querySelectorAll("[data-tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  $("tab-cashiers").hidden = name !== "cashiers";
  $("tab-audit").hidden = name !== "audit";
  if (name === "audit") loadAudit().catch(showError);
}

main.addEventListener("click", (event) => {
  const tab = event.target.closest("[data-tab]");
  if (tab) showTab(tab.dataset.tab);
});
$("add-cashier").addEventListener("click", addCashier);
$("audit-more").addEventListener("click", () => loadAudit(true).catch(showError));

initChrome();
loadCashiers().then(() => { main.dataset.state = "ready"; }, showError);

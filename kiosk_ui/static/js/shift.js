// The shift screen: open with a float, cash in/out, X report, close with a count per
// denomination, and the Z report on screen.
import { boot } from "./boot.js";
import { count, dateTime, money, parseMoney, percent, t } from "./i18n.js";
import { api } from "./api.js";
import { askNumber, askReason, confirmBox, h, keypad, showError, toast, withOverride } from "./ui.js";
import { initChrome } from "./chrome.js";

const $ = (id) => document.getElementById(id);
const main = $("shift");
const METHODS = ["cash", "card", "wechat", "alipay"];
const cards = ["open-card", "current-card", "count-card", "report-card"];

function show(card) {
  for (const id of cards) $(id).hidden = id !== card;
}

function setShiftLabel(shift) {
  $("sb-shift").textContent = shift ? t("status.shift", { number: shift.number }) : t("status.no_shift");
}

async function load() {
  const { shift } = await api("GET", "/api/shift/current");
  setShiftLabel(shift);
  if (!shift) {
    show("open-card");
    $("float").focus();
    return;
  }
  $("shift-heading").textContent = t("status.shift", { number: shift.number });
  $("shift-facts").replaceChildren(
    h("dt", {}, t("shift.opened_at")), h("dd", {}, dateTime(shift.opened_at)),
    h("dt", {}, t("shift.opened_by")), h("dd", {}, shift.opened_by),
    h("dt", {}, t("shift.float")), h("dd", {}, money(shift.opening_float)));
  show("current-card");
}

async function openShift() {
  const amount = parseMoney($("float").value);
  if (amount === null) {
    toast(t("input.invalid_money"), "error");
    $("float").select();
    return;
  }
  try {
    await api("POST", "/api/shifts", { opening_float: amount });
    location.assign("/sale");
  } catch (error) {
    showError(error);
  }
}

async function moveCash(kind) {
  const amount = await askNumber({ title: t(`shift.cash_${kind}`), kind: "money" });
  if (amount === null) return;
  const reason = await askReason({ title: t(`shift.cash_${kind}_reason`),
                                   presets: kind === "in" ? [t("reason.float_top_up"), t("reason.change_from_bank")]
                                     : [t("reason.bank_deposit"), t("reason.petty_cash")] });
  if (reason === null) return;
  try {
    const done = await withOverride((override) => api("POST", "/api/shift/cash", { kind, amount, reason, override }));
    if (done) toast(t(`shift.cash_${kind}_done`, { amount: money(amount) }), "ok");
  } catch (error) {
    showError(error);
  }
}

function figure(label, value, key, kind = "money") {
  const text = kind === "money" ? money(value) : count(value);
  const attrs = { "data-figure": key, "data-value": String(value) };
  if (kind === "money" && value < 0) attrs.class = "negative";
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", attrs, text));
}

function section(title, rows) {
  return h("table", { class: "report-table" }, h("caption", {}, title), h("tbody", {}, rows));
}

// The X report (so far) or the Z report (closed, with counts and differences).
function renderReport(report, kind) {
  $("report-title").textContent = t(kind === "z" ? "report.z_title" : "report.x_title", { number: report.number });
  const sections = [
    section(t("report.sales"), [
      figure(t("report.sales_count"), report.sales_count, "sales_count", "count"),
      figure(t("report.voided_count"), report.voided_count, "voided_count", "count"),
      figure(t("sale.subtotal"), report.subtotal, "subtotal"),
      figure(t("sale.discount"), -report.discount_total, "discount_total"),
      figure(t("sale.total"), report.total, "total"),
      report.rounding ? figure(t("report.rounding"), report.rounding, "rounding") : null,
      figure(t("report.takings"), report.takings, "takings"),
      report.refunds_count ? figure(`${t("reports.refunds")} (${count(report.refunds_count)})`, -report.refunds_payout,
                                    "refunds_payout") : null,
      figure(t("sale.tax"), report.tax_total, "tax_total"),
    ]),
    section(t("report.payments"), METHODS.map((method) => figure(
      `${t(`method.${method}`)} (${count(report.payments[method].count)})`, report.payments[method].amount,
      `payments.${method}`))),
    section(t("report.drawer"), [
      figure(t("shift.float"), report.opening_float, "opening_float"),
      figure(t("shift.cash_in"), report.cash_in, "cash_in"),
      figure(t("shift.cash_out"), -report.cash_out, "cash_out"),
      // the Z report shows it with the count below
      kind === "x" ? figure(t("report.expected_cash"), report.expected.cash, "expected.cash") : null,
    ]),
  ];
  if (kind === "z") {
    sections.push(section(t("report.count"), Object.keys(report.counted).flatMap((method) => [
      figure(t("report.counted", { method: t(`method.${method}`) }), report.counted[method], `counted.${method}`),
      figure(t("report.expected", { method: t(`method.${method}`) }), report.expected[method], `expected.${method}`),
      figure(t("report.difference", { method: t(`method.${method}`) }), report.difference[method], `difference.${method}`),
    ])));
  }
  if (report.tax_bands.length) {
    sections.push(section(t("report.tax_bands"), report.tax_bands.map((band) => figure(
      t("report.tax_band", { rate: percent(band.rate_bp), net: money(band.net) }), band.tax, `tax.${band.rate_bp}`))));
  }
  const footer = kind === "z"
    ? h("p", { class: "report-footer" }, t("report.closed", { name: report.closed_by, at: dateTime(report.closed_at) }))
    : h("p", { class: "report-footer" }, t("report.as_of", { at: dateTime(new Date().toISOString()) }));
  $("report").replaceChildren(h("div", { class: "report-grid" }, sections), footer);
  const actions = kind === "z"
    ? [h("button", { type: "button", class: "btn primary big", onclick: () => location.reload() }, t("shift.open_next")),
       h("button", { type: "button", class: "btn big", onclick: () => $("lock-btn").click() }, t("nav.lock"))]
    : [h("button", { type: "button", class: "btn big", onclick: () => show("current-card") }, t("common.back"))];
  $("report-actions").replaceChildren(...actions);
  show("report-card");
}

async function xReport() {
  try {
    renderReport((await api("GET", "/api/shift/x-report")).report, "x");
  } catch (error) {
    showError(error);
  }
}

// -- counting the drawer

const denominations = [...boot.store.cash.notes, ...boot.store.cash.coins];

function countInput(attrs) {
  return h("input", { type: "text", inputmode: "numeric", autocomplete: "off", class: "count-input", ...attrs });
}

function startCount() {
  const table = $("count-table");
  const rows = denominations.map((face) => h("tr", {},
    h("th", { scope: "row" }, money(face)),
    h("td", {}, countInput({ "data-face": face, "aria-label": t("shift.pieces_of", { face: money(face) }), placeholder: "0" })),
    h("td", { class: "count-sum", "data-sum": face }, "")));
  const total = h("tr", { class: "count-total" }, h("th", { scope: "row" }, t("shift.counted_cash")), h("td"),
                  h("td", { id: "count-cash-total", "data-figure": "counted-cash" }, money(0)));
  const single = denominations.length ? [] : [h("tr", {}, h("th", { scope: "row" }, t("shift.counted_cash")),
    h("td", {}, h("input", { type: "text", inputmode: "decimal", id: "count-cash", class: "amount-input" })))];
  table.replaceChildren(h("tbody", {}, rows, single, denominations.length ? total : null));
  $("count-other").replaceChildren(
    h("p", {}, t("shift.count_terminals")),
    ...METHODS.slice(1).map((method) => h("label", { class: "field" }, h("span", {}, t(`method.${method}`)),
      h("input", { type: "text", inputmode: "decimal", autocomplete: "off", "data-method": method,
                   class: "amount-input", placeholder: t("shift.not_counted") }))),
    keypad(h("div", { class: "keypad count-keypad" }), () => (
      document.activeElement?.closest?.("#count-card") && document.activeElement.tagName === "INPUT" ? document.activeElement : null),
    { decimal: true }));
  show("count-card");
  table.querySelector("input")?.focus();
  updateCount();
}

function countedCash() {
  if (!denominations.length) return parseMoney($("count-cash").value);
  const pieces = {};
  for (const input of $("count-table").querySelectorAll("[data-face]")) {
    const value = input.value.trim();
    if (value === "") continue;
    if (!/^\d{1,6}$/.test(value)) return null;
    if (Number(value)) pieces[input.dataset.face] = Number(value);
  }
  return pieces;
}

function updateCount() {
  if (!denominations.length) return;
  let total = 0;
  for (const input of $("count-table").querySelectorAll("[data-face]")) {
    const n = /^\d{1,6}$/.test(input.value.trim()) ? Number(input.value.trim()) : 0;
    const face = Number(input.dataset.face);
    total += n * face;
    $("count-table").querySelector(`[data-sum="${face}"]`).textContent = n ? money(n * face) : "";
  }
  $("count-cash-total").textContent = money(total);
  $("count-cash-total").dataset.value = String(total);
}

async function closeShift() {
  const cash = countedCash();
  if (cash === null) {
    toast(t("input.invalid_count"), "error");
    return;
  }
  const counted = { cash };
  for (const input of $("count-other").querySelectorAll("[data-method]")) {
    if (!input.value.trim()) continue;
    const amount = parseMoney(input.value);
    if (amount === null) {
      toast(t("input.invalid_money"), "error");
      input.select();
      return;
    }
    counted[input.dataset.method] = amount;
  }
  if (!await confirmBox({ title: t("shift.close_confirm"), message: t("shift.close_confirm_hint"),
                          confirmLabel: t("shift.close_now"), danger: true })) return;
  try {
    const { report } = await api("POST", "/api/shift/close", { counted });
    setShiftLabel(null);
    renderReport(report, "z");
  } catch (error) {
    showError(error);
  }
}

const ACTIONS = {
  "cash-in": () => moveCash("in"), "cash-out": () => moveCash("out"), "x-report": xReport,
  count: startCount, "cancel-count": () => show("current-card"), close: closeShift,
};

main.addEventListener("click", (event) => {
  const action = event.target.closest("[data-action]")?.dataset.action;
  if (action) ACTIONS[action]();
});
main.addEventListener("input", (event) => {
  if (event.target.dataset.face) updateCount();
});
$("open-btn").addEventListener("click", openShift);
$("float").addEventListener("keydown", (event) => {
  if (event.key === "Enter") openShift();
});
keypad($("float-keypad"), $("float"), { decimal: true });

initChrome();
load().then(() => { main.dataset.state = "ready"; }, showError);

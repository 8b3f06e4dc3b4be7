// Returns: find the original sale by scanning the receipt's code (its QR code carries the
// sale's id, a Code 128 its number) or from today's receipts, pick the lines and how many
// come back, the refund method and a reason; the till checks it all again and pays out.
import { count, dateTime, fromMilli, money, qty, t, toMilli } from "./i18n.js";
import { ApiError, api, errorText } from "./api.js";
import { h, showError, toast, withOverride } from "./ui.js";
import { initChrome } from "./chrome.js";
import { claimScans, connectLive } from "./live.js";

const $ = (id) => document.getElementById(id);
const main = $("refund");
const scan = $("receipt-scan");
const NUMERIC = new Set(["refund.col_sold", "refund.col_refunded", "refund.col_paid"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const state = { sale: null, lines: [], picked: new Map(), restock: new Map(), method: "original", goods: [] };

function setMode(mode) {
  main.dataset.mode = mode;
  $("sale-pane").hidden = mode !== "lines";
  $("nr-pane").hidden = mode !== "noreceipt";
  $("done-pane").hidden = mode !== "done";
}

// What a scanned or typed code stands for: the sale's id from the QR code, else a number.
function lookupQuery(code) {
  return UUID.test(code) ? `uuid=${encodeURIComponent(code)}` : `receipt_no=${encodeURIComponent(code)}`;
}

async function find(code) {
  $("find-error").textContent = "";
  if (!code) return;
  if (main.dataset.mode === "noreceipt") {
    await addGoods(code);
    return;
  }
  try {
    const data = await api("GET", `/api/refunds/sale?${lookupQuery(code)}`);
    show(data);
  } catch (error) {
    $("find-error").textContent = errorText(error);
    scan.select();
  }
}

function show({ sale, lines }) {
  state.sale = sale;
  state.lines = lines;
  state.picked = new Map();
  state.restock = new Map(lines.map((line) => [line.line_id, true]));
  state.method = "original";
  scan.value = "";
  drawRecent();
  $("r-heading").textContent = t("done.receipt", { number: sale.receipt_no });
  $("r-facts").textContent = [dateTime(sale.completed_at), sale.cashier.name, money(sale.total + sale.rounding),
                              sale.payments.map((p) => t(`method.${p.method}`)).join(" + "),
                              sale.member ? t("refund.member", { name: sale.member.name }) : null]
    .filter(Boolean).join(" · ");
  $("r-reason").value = "";
  $("r-error").textContent = "";
  renderLines();
  setMode("lines");
  scan.focus(); // the next scan may be another receipt; quantities are tapped (+/−) or typed in their field
}

// The till's rule: a share of what was paid for the line; the last units take what is left.
function lineAmount(line, milli) {
  if (!milli) return 0;
  if (milli === line.remaining_qty_milli) return line.paid - line.refunded_amount;
  return Math.round((line.paid * milli) / line.qty_milli);
}

function problemOf(line, text) {
  if (text === "") return null;
  if (!/^\d{1,9}$/.test(text)) return t(line.unit === "kg" ? "input.invalid_grams" : "input.invalid_count");
  const milli = toMilli(line.unit, Number(text));
  if (milli > line.remaining_qty_milli) {
    return t("refund.too_many", { left: qty(line.remaining_qty_milli, line.unit), sold: qty(line.qty_milli, line.unit),
                                  refunded: qty(line.refunded_qty_milli, line.unit) });
  }
  return null;
}

function renderLines() {
  const head = h("thead", {}, h("tr", {}, ["refund.col_product", "refund.col_sold", "refund.col_refunded",
                                           "refund.col_paid", "refund.col_back", "refund.col_restock"]
    .map((key) => h("th", { scope: "col", class: NUMERIC.has(key) ? "num" : "" }, t(key)))));
  const rows = state.lines.map((line) => {
    const done = line.remaining_qty_milli === 0;
    const input = h("input", { type: "text", inputmode: "numeric", class: "count-input", "data-qty": line.line_id,
                                "aria-label": t("refund.qty_of", { name: line.name }), placeholder: "0", disabled: done,
                                value: state.picked.has(line.line_id) ? String(fromMilli(line.unit, state.picked.get(line.line_id))) : "" });
    const step = (delta) => h("button", { type: "button", class: "btn small", tabindex: "-1", disabled: done,
                                          "data-step": delta, "data-line": line.line_id }, delta > 0 ? "+" : "−");
    return h("tr", { "data-line": line.line_id, class: done ? "refunded" : "" },
      h("td", {}, line.name, line.unit === "kg" ? h("small", {}, ` (${t("refund.in_grams")})`) : null),
      h("td", { class: "num" }, qty(line.qty_milli, line.unit)),
      h("td", { class: "num" }, line.refunded_qty_milli ? qty(line.refunded_qty_milli, line.unit) : "–"),
      h("td", { class: "num" }, money(line.paid)),
      h("td", { class: "qty-cell" }, done ? t("refund.all_back") : [step(-1), input, step(1)],
        h("div", { class: "form-error small", "data-problem": line.line_id })),
      h("td", {}, h("input", { type: "checkbox", "data-restock": line.line_id, checked: state.restock.get(line.line_id),
                               disabled: done, "aria-label": t("refund.col_restock") })));
  });
  $("r-lines").replaceChildren(head, h("tbody", {}, rows));
  for (const button of $("r-method").children) {
    button.setAttribute("aria-checked", String(button.dataset.method === state.method));
  }
  $("r-reasons").replaceChildren(...["reason.faulty", "reason.changed_mind", "reason.wrong_item", "reason.expired"]
    .map((key) => h("button", { type: "button", class: "btn small", "data-reason": t(key) }, t(key))));
  updateTotal();
}

function readPicks() {
  let ok = true;
  state.picked = new Map();
  for (const line of state.lines) {
    const input = $("r-lines").querySelector(`[data-qty="${line.line_id}"]`);
    if (!input) continue;
    const text = input.value.trim();
    const problem = problemOf(line, text);
    $("r-lines").querySelector(`[data-problem="${line.line_id}"]`).textContent = problem ?? "";
    input.classList.toggle("invalid", Boolean(problem));
    if (problem) ok = false;
    else if (text && Number(text) > 0) state.picked.set(line.line_id, toMilli(line.unit, Number(text)));
  }
  return ok;
}

function updateTotal() {
  const ok = readPicks();
  const total = state.lines.reduce((sum, line) => sum + lineAmount(line, state.picked.get(line.line_id) ?? 0), 0);
  $("r-total").textContent = money(total);
  main.querySelector('[data-action="refund"]').disabled = !ok || state.picked.size === 0;
  return ok;
}

function stepLine(lineId, delta) {
  const line = state.lines.find((l) => l.line_id === lineId);
  const input = $("r-lines").querySelector(`[data-qty="${lineId}"]`);
  const unit = line.unit === "kg" ? line.remaining_qty_milli : 1;  // a weighed line comes back whole
  const current = /^\d+$/.test(input.value.trim()) ? Number(input.value.trim()) : 0;
  const max = fromMilli(line.unit, line.remaining_qty_milli);
  input.value = String(Math.max(0, Math.min(max, current + delta * unit)));
  updateTotal();
}

async function refund() {
  if (!state.sale || !updateTotal() || !state.picked.size) return;
  const reason = $("r-reason").value.trim();
  if (!reason) {
    $("r-error").textContent = t("input.reason_required");
    $("r-reason").focus();
    return;
  }
  $("r-error").textContent = "";
  const body = {
    sale_uuid: state.sale.uuid, reason, method: state.method,
    lines: [...state.picked].map(([lineId, milli]) => ({ line_id: lineId, qty_milli: milli,
                                                         restock: state.restock.get(lineId) })),
  };
  try {
    const data = await withOverride((override) => api("POST", "/api/refunds", { ...body, override }));
    if (data) done(data.refund);
  } catch (error) {
    $("r-error").textContent = errorText(error);
    if (error instanceof ApiError && error.code === "refund_too_large") {
      // someone refunded from this receipt meanwhile: show what is left now
      const fresh = await api("GET", `/api/refunds/sale?uuid=${state.sale.uuid}`).catch(() => null);
      if (fresh) {
        state.lines = fresh.lines;
        renderLines();
        $("r-error").textContent = errorText(error);
      }
    }
  }
}

function done(result) {
  $("rd-number").textContent = t("refund.number", { number: result.number });
  $("rd-payout").textContent = money(result.payout);
  $("rd-payments").replaceChildren(...result.payments.map((payment) => h("li", { class: "payment" },
    h("span", {}, t(`method.${payment.method}`)), h("span"), h("span", { class: "p-amount" }, money(payment.amount)))));
  setMode("done");
  toast(t("refund.done", { amount: money(result.payout) }), "ok");
  scan.focus();
  loadRecent();
}

// -- without a receipt: the goods scanned, today's price, paid in cash, a manager approves

function startNoReceipt() {
  state.goods = [];
  $("nr-reason").value = "";
  $("nr-error").textContent = "";
  drawGoods();
  setMode("noreceipt");
  scan.value = "";
  scan.focus();
}

async function addGoods(code) {
  try {
    const found = await api("GET", `/api/products/lookup?code=${encodeURIComponent(code)}`);
    const { product } = found;
    const same = state.goods.find((line) => line.product.id === product.id && line.code === code && !found.qty_milli);
    if (same && product.unit !== "kg") same.qty_milli += 1000;
    else state.goods.push({ code, product, qty_milli: found.qty_milli ?? (product.unit === "kg" ? null : 1000),
                            fixed: found.fixed_gross });
    drawGoods();
  } catch (error) {
    $("nr-error").textContent = errorText(error);
  }
  scan.value = "";
  scan.focus();
}

function goodsAmount(line) {
  if (line.fixed !== null && line.fixed !== undefined) return line.fixed;
  return line.qty_milli ? Math.round((line.product.price * line.qty_milli) / 1000) : 0;
}

function drawGoods() {
  const rows = state.goods.map((line, index) => h("tr", { "data-goods": index },
    h("td", {}, line.product.name),
    h("td", { class: "qty-cell" }, h("input", { class: "count-input", inputmode: "numeric", "data-goods-qty": index,
      value: line.qty_milli === null ? "" : String(fromMilli(line.product.unit, line.qty_milli)),
      placeholder: line.product.unit === "kg" ? t("refund.in_grams") : "1", "aria-label": t("refund.qty_of", { name: line.product.name }) })),
    h("td", { class: "num" }, money(goodsAmount(line))),
    h("td", {}, h("button", { type: "button", class: "btn small", "data-remove-goods": index, "aria-label": t("sale.remove") }, "×"))));
  $("nr-lines").replaceChildren(h("tbody", {}, rows.length ? rows
    : h("tr", {}, h("td", { class: "empty" }, t("refund.scan_goods")))));
  $("nr-total").textContent = money(state.goods.reduce((sum, line) => sum + goodsAmount(line), 0));
  main.querySelector('[data-action="refund-no-receipt"]').disabled = !state.goods.length;
}

async function refundWithoutReceipt() {
  for (const [index, line] of state.goods.entries()) {
    const text = $("nr-lines").querySelector(`[data-goods-qty="${index}"]`).value.trim();
    if (!/^\d{1,9}$/.test(text) || Number(text) === 0) {
      $("nr-error").textContent = t(line.product.unit === "kg" ? "input.invalid_grams" : "input.invalid_count");
      return;
    }
    line.qty_milli = toMilli(line.product.unit, Number(text));
  }
  const reason = $("nr-reason").value.trim();
  if (!reason) {
    $("nr-error").textContent = t("input.reason_required");
    $("nr-reason").focus();
    return;
  }
  const body = { without_receipt: true, reason,
                 lines: state.goods.map((line) => ({ code: line.code, qty_milli: line.qty_milli })) };
  try {
    const data = await withOverride((override) => api("POST", "/api/refunds", { ...body, override }));
    if (data) done(data.refund);
  } catch (error) {
    $("nr-error").textContent = errorText(error);
  }
}

function clear() {
  state.sale = null;
  setMode("find");
  scan.value = "";
  drawRecent();
  scan.focus();
}

let recent = [];

// Today's receipts, newest first; what is typed in the field narrows them by receipt
// number or product name (a scan ends with Enter and looks the receipt up instead).
function drawRecent() {
  const query = scan.value.trim().toLowerCase();
  const shown = recent.filter((sale) => !query || sale.receipt_no.toLowerCase().includes(query)
    || sale.lines.some((line) => line.name.toLowerCase().includes(query) || line.sku.toLowerCase().includes(query)));
  $("recent").replaceChildren(...shown.map((sale) => h("button", { type: "button", class: "btn pick",
                                                                   "data-receipt": sale.receipt_no },
    h("span", { class: "pick-label" }, `${sale.receipt_no} · ${money(sale.total + sale.rounding)}`),
    h("span", { class: "pick-detail" }, `${dateTime(sale.completed_at)} · ${t("sale.lines_count", { n: count(sale.lines.length) })}`
      + ` · ${sale.lines.slice(0, 3).map((line) => line.name).join(", ")}`))));
  if (!shown.length) $("recent").replaceChildren(h("p", { class: "empty" }, t("refund.no_recent")));
}

async function loadRecent() {
  try {
    recent = (await api("GET", "/api/sales?status=completed&limit=50")).sales;
    drawRecent();
  } catch (error) {
    showError(error);
  }
}

scan.addEventListener("input", drawRecent);

$("find-form").addEventListener("submit", (event) => {
  event.preventDefault();
  find(scan.value.trim());
});

main.addEventListener("mousedown", (event) => {
  if (event.target.closest("button")) event.preventDefault();
});

main.addEventListener("click", (event) => {
  const target = event.target;
  const action = target.closest("[data-action]")?.dataset.action;
  if (action === "refund") return refund();
  if (action === "clear") return clear();
  if (action === "no-receipt") return startNoReceipt();
  if (action === "refund-no-receipt") return refundWithoutReceipt();
  const removeGoods = target.closest("[data-remove-goods]");
  if (removeGoods) {
    state.goods.splice(Number(removeGoods.dataset.removeGoods), 1);
    return drawGoods();
  }
  const receipt = target.closest("[data-receipt]");
  if (receipt) return find(receipt.dataset.receipt);
  const step = target.closest("[data-step]");
  if (step) return stepLine(Number(step.dataset.line), Number(step.dataset.step));
  const method = target.closest("[data-method]");
  if (method) {
    state.method = method.dataset.method;
    for (const button of $("r-method").children) button.setAttribute("aria-checked", String(button === method));
    return undefined;
  }
  const reason = target.closest("[data-reason]");
  if (reason) {
    $("r-reason").value = reason.dataset.reason;
    $("r-error").textContent = "";
  }
  return undefined;
});

main.addEventListener("input", (event) => {
  if (event.target.dataset.qty) updateTotal();
  const goods = event.target.dataset.goodsQty;
  if (goods !== undefined) {
    const line = state.goods[Number(goods)];
    const text = event.target.value.trim();
    line.qty_milli = /^\d{1,9}$/.test(text) ? toMilli(line.product.unit, Number(text)) : 0;
    $("nr-total").textContent = money(state.goods.reduce((sum, l) => sum + goodsAmount(l), 0));
  }
});
for (const id of ["r-reason", "nr-reason"]) {
  $(id).addEventListener("input", () => { $(id === "r-reason" ? "r-error" : "nr-error").textContent = ""; });
}
main.addEventListener("change", (event) => {
  if (event.target.dataset.restock) state.restock.set(Number(event.target.dataset.restock), event.target.checked);
});

document.addEventListener("keydown", (event) => {
  if (document.getElementById("dialog").open) return;
  const mode = main.dataset.mode;
  if (event.key === "F10" && mode === "lines") {
    event.preventDefault();
    refund();
  } else if (event.key === "F10" && mode === "noreceipt") {
    event.preventDefault();
    refundWithoutReceipt();
  } else if (event.key === "Escape" && mode !== "find") {
    event.preventDefault();
    clear();
  } else if (event.key === "Enter" && mode === "done" && event.target === scan && !scan.value) {
    event.preventDefault();
    clear();
  } else if (mode === "find" && event.target !== scan && event.key.length === 1
             && !event.ctrlKey && !event.altKey && !event.metaKey && !(event.target instanceof HTMLInputElement)) {
    scan.focus(); // a scanner's characters always reach the receipt field
  }
});

initChrome();
setMode("find");
// the till's own scanner (which types into no page) reads receipts here while this screen is up
claimScans(connectLive("till", { scan: ({ code }) => find(code) }), () => true, main);
loadRecent().then(() => { main.dataset.state = "ready"; });

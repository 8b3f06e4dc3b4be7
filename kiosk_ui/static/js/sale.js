// The sale screen: scan or search, quick keys, line edits, members and promotions,
// totals, park/resume/void, payment with split tender, the receipt (or none), the change
// due and the cash drawer. The sale lives in the till's database;
// this page shows it and asks the API to change it, so a reload resumes exactly.
import { boot } from "./boot.js";
import { count, dateTime, fromMilli, money, percent, plainAmount, parseMoney, qty, t, toMilli } from "./i18n.js";
import { ApiError, PAGE_ID, api, errorText } from "./api.js";
import {
  askDiscount, askForm, askNumber, askReason, confirmBox, dialogOpen, h, keypad, openDialog, pickFrom, showError, toast,
  withOverride,
} from "./ui.js";
import { initChrome } from "./chrome.js";
import { claimScans, connectLive } from "./live.js";
import { lastStatus, onStatus, refreshStatus } from "./statusbar.js";

const $ = (id) => document.getElementById(id);
const main = $("sale");
const scan = $("scan");
const EXTERNAL = ["card", "wechat", "alipay"];
const METHOD_KEYS = { F1: "cash", F2: "card", F3: "wechat", F4: "alipay" };
// errors that mean this page's idea of the sale is out of date
const STALE = new Set(["sale_not_found", "sale_completed", "sale_voided", "sale_parked", "sale_has_payments"]);

const state = {
  sale: null, // the open sale (API view), or null
  done: null, // the sale just completed: shown with its change until the next one starts
  paying: false, // the payment panel is open
  method: "cash",
  selected: null, // id of the selected line
  results: [], // search results under the scan field
  highlighted: -1,
  quick: [],
  category: undefined,
};

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// -- the sale as the till has it

function applySale(sale) {
  if (sale?.status === "completed") {
    state.done = sale;
    state.sale = null;
    state.paying = false;
  } else if (sale?.status === "open") {
    state.sale = sale;
    state.done = null;
    state.paying = sale.lines.length > 0 && (state.paying || sale.payments.length > 0);
  } else {
    state.sale = null;
    state.paying = false;
  }
  const ids = state.sale?.lines.map((line) => line.id) ?? [];
  if (!ids.includes(state.selected)) state.selected = ids.at(-1) ?? null;
  render();
}

let queue = Promise.resolve();
// Cart changes run one after another, in the order they were asked for (a scanner can
// send the next code before the till has answered the last).
function serial(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

async function ensureSale() {
  if (state.sale?.status === "open") return state.sale.uuid;
  const data = await api("POST", "/api/sales");
  applySale(data.sale);
  return data.sale.uuid;
}

async function reloadSale() {
  applySale((await api("GET", "/api/sale/current")).sale);
}

async function report(error) {
  if (error.name === "AbortError") return;
  showError(error);
  if (error instanceof ApiError && STALE.has(error.code)) await reloadSale().catch(() => {});
}

// Change the open sale with request(uuid, override) -> {sale}; asks for a manager's
// approval when the till wants one. Resolves with the API's answer, or null.
function change(request) {
  return serial(async () => {
    const uuid = state.sale?.uuid;
    if (!uuid) return null;
    try {
      const data = await withOverride((override) => request(uuid, override));
      if (data) applySale(data.sale);
      return data;
    } catch (error) {
      await report(error);
      return null;
    }
  });
}

function addItem(payload, product) {
  return serial(async () => {
    try {
      const uuid = await ensureSale();
      let data;
      try {
        data = await api("POST", `/api/sales/${uuid}/lines`, payload);
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== "weight_required") throw error;
        const id = error.details.product_id;
        const name = product?.name ?? (await api("GET", `/api/products/${id}`)).product.name;
        const grams = await askNumber({ title: t("sale.weight_title", { name }), message: t("sale.weight_hint"), kind: "grams" });
        if (grams === null) return;
        data = await api("POST", `/api/sales/${uuid}/lines`, { product_id: id, qty_milli: grams });
      }
      state.selected = data.line.id;
      applySale(data.sale);
      const row = $("lines").querySelector(`[data-id="${data.line.id}"]`);
      row?.classList.add("added");
      row?.scrollIntoView({ block: "nearest" });
    } catch (error) {
      if (error instanceof ApiError && error.code === "unknown_barcode" && payload.code && /\D/.test(payload.code)) {
        scan.value = payload.code;
        search(payload.code);
      }
      await report(error);
    }
  });
}

// -- drawing

function lineHtml(line) {
  const tags = [];
  if (line.discount) {
    const value = line.discount.kind === "percent" ? percent(line.discount.value) : money(line.discount.value);
    tags.push(`<span class="tag">${esc(t("sale.discount_tag", { value }))}</span>`);
  }
  if (line.price_source === "override") tags.push(`<span class="tag">${esc(t("sale.price_changed"))}</span>`);
  for (const code of line.promotions ?? []) {
    tags.push(`<span class="tag promo" data-promotion="${esc(code)}">${esc(boot.promotions?.[code] ?? code)}</span>`);
  }
  if (line.promo_discount) tags.push(`<span class="tag promo">${esc(t("sale.promo_tag", { value: money(line.promo_discount) }))}</span>`);
  if (line.order_discount) tags.push(`<span class="tag">${esc(t("sale.order_discount_tag", { value: money(line.order_discount) }))}</span>`);
  const selected = line.id === state.selected;
  const unitPrice = money(line.unit_price) + (line.unit === "kg" ? `/${t("unit.kg")}` : "");
  const was = line.net !== line.gross ? `<s>${esc(money(line.gross))}</s> ` : "";
  return `<li class="line${selected ? " selected" : ""}" data-id="${line.id}" aria-selected="${selected}">`
    + `<span class="l-name">${esc(line.name)} ${tags.join("")}</span>`
    + `<span class="l-qty">${esc(qty(line.qty_milli, line.unit))}</span>`
    + `<span class="l-price">${esc(unitPrice)}</span>`
    + `<span class="l-amount">${was}${esc(money(line.net))}</span></li>`;
}

function mode() {
  return state.done ? "done" : state.paying ? "pay" : "cart";
}

function render() {
  const current = mode();
  const shown = state.done ?? state.sale;
  const lines = shown?.lines ?? [];
  main.dataset.mode = current;
  $("lines").innerHTML = lines.map(lineHtml).join("");
  $("empty-cart").hidden = lines.length > 0;
  $("lines").querySelector(".selected")?.scrollIntoView({ block: "nearest" });
  $("t-subtotal").textContent = money(shown?.subtotal ?? 0);
  $("t-discount").textContent = money(-(shown?.discount_total ?? 0));
  $("t-discount-row").hidden = !shown?.discount_total;
  const promo = (shown?.promo_discount ?? 0) + lines.reduce((sum, line) => sum + (line.promo_discount ?? 0), 0);
  $("t-promo").textContent = money(-promo);
  $("t-promo-row").hidden = !promo;
  $("t-member").textContent = money(-(shown?.member_discount ?? 0));
  $("t-member-row").hidden = !shown?.member_discount;
  $("t-points").textContent = money(-(shown?.points_discount ?? 0));
  $("t-points-row").hidden = !shown?.points_discount;
  renderMember(shown?.member ?? null, current);
  renderDrawer();
  $("t-tax").textContent = money(shown?.tax_total ?? 0);
  $("t-total").textContent = money(shown?.total ?? 0);
  $("t-count").textContent = lines.length ? t("sale.lines_count", { n: lines.length }) : "";
  $("side-cart").hidden = current !== "cart";
  $("side-pay").hidden = current !== "pay";
  $("side-done").hidden = current !== "done";
  const editable = current === "cart" && lines.length > 0;
  for (const button of $("line-actions").querySelectorAll("button")) button.disabled = !editable || !state.selected;
  for (const action of ["order-discount", "park", "void", "pay"]) {
    main.querySelector(`[data-action="${action}"]`).disabled = !editable;
  }
  main.querySelector('[data-action="member"]').disabled = current !== "cart";
  if (current === "pay") renderPay();
  if (current === "done") renderDone();
}

function renderPay() {
  const sale = state.sale;
  $("pay-due").textContent = money(state.method === "cash" ? sale.cash_due : sale.remaining);
  for (const button of main.querySelectorAll(".method")) {
    button.setAttribute("aria-checked", String(button.dataset.method === state.method));
  }
  $("pay-ref-field").hidden = !EXTERNAL.includes(state.method);
  const quick = $("quick-cash");
  quick.replaceChildren(...(state.method === "cash" ? quickCash(sale.cash_due) : []).map((amount) =>
    h("button", { type: "button", class: "btn", dataset: { amount } }, money(amount))));
  $("payments").replaceChildren(...sale.payments.map((payment) => h("li", { class: "payment" },
    h("span", {}, t(`method.${payment.method}`)),
    h("span", { class: "p-ref" }, payment.reference ?? (payment.tendered !== payment.amount
      ? t("pay.tendered", { amount: money(payment.tendered) }) : "")),
    h("span", { class: "p-amount" }, money(payment.amount)),
    h("button", { type: "button", class: "btn small", dataset: { removePayment: payment.id },
                  "aria-label": t("pay.remove") }, "×"))));
  main.querySelector('[data-action="back"]').disabled = sale.payments.length > 0;
  $("no-receipt")?.setAttribute("aria-pressed", String(wantsNoReceipt(sale)));
}

function renderMember(member, current) {
  $("member-box").hidden = !member;
  if (!member) return;
  $("m-name").textContent = member.name;
  $("m-tier").textContent = boot.tiers?.[member.tier] ?? member.tier;
  $("m-points").textContent = t("member.points", { n: count(member.points) });
  for (const action of ["points", "remove-member"]) {
    main.querySelector(`[data-action="${action}"]`).hidden = current !== "cart";
  }
}

// With [kiosk] drawer_must_close, the next sale waits until the drawer is shut.
function drawerBlocks(status = lastStatus()) {
  return Boolean(boot.drawer_must_close && status?.drawer_open === true && !state.sale);
}

function renderDrawer(status = lastStatus()) {
  $("drawer-block").hidden = !drawerBlocks(status);
  const note = $("done-drawer");
  note.hidden = !(state.done && status?.drawer_open === true);
  note.textContent = t(boot.drawer_must_close ? "sale.close_drawer" : "status.drawer_open");
}

// Exact cash, then the next amounts the store's notes make above it.
function quickCash(due) {
  const amounts = [due];
  for (const note of [...boot.store.cash.notes].reverse()) {
    const up = Math.ceil(due / note) * note;
    if (up > due && !amounts.includes(up)) amounts.push(up);
  }
  return amounts.sort((a, b) => a - b).slice(0, 5);
}

function renderDone() {
  const sale = state.done;
  $("done-receipt").textContent = t("done.receipt", { number: sale.receipt_no });
  $("done-total").textContent = money(sale.total + sale.rounding);
  $("done-paid").textContent = money(sale.payments.reduce((sum, p) => sum + p.tendered, 0));
  $("done-change").textContent = money(sale.change);
  $("done-no-receipt").hidden = !wantsNoReceipt(sale);
}

// -- search and quick keys

let searchTimer;
let searchAbort;

function hideResults() {
  state.results = [];
  state.highlighted = -1;
  $("results").hidden = true;
  scan.setAttribute("aria-expanded", "false");
}

function showResults(products) {
  state.results = products;
  state.highlighted = products.length ? 0 : -1;
  drawResults();
}

function drawResults() {
  const box = $("results");
  box.innerHTML = state.results.length
    ? state.results.map((p, i) => `<button type="button" class="result" role="option" data-index="${i}" `
      + `aria-selected="${i === state.highlighted}"><span class="r-name">${esc(p.name)}</span>`
      + `<span class="r-sku">${esc(p.sku)}</span><span class="r-price">${esc(money(p.price))}`
      + `${p.unit === "kg" ? `/${esc(t("unit.kg"))}` : ""}</span></button>`).join("")
    : `<p class="empty">${esc(t("sale.no_results"))}</p>`;
  box.hidden = false;
  scan.setAttribute("aria-expanded", "true");
  box.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: "nearest" });
}

async function search(query) {
  searchAbort?.abort();
  searchAbort = new AbortController();
  try {
    const data = await api("GET", `/api/products/search?q=${encodeURIComponent(query)}&limit=20`, undefined,
                           { signal: searchAbort.signal });
    if (scan.value.trim() === query) showResults(data.products);
  } catch (error) {
    if (error.name !== "AbortError") showError(error);
  }
}

function onScanInput() {
  const query = scan.value.trim();
  clearTimeout(searchTimer);
  hideResults();
  // digits alone are a barcode on its way (a scanner types fast and ends with Enter)
  if (query && /\D/.test(query)) searchTimer = setTimeout(() => search(query), 120);
}

function pickProduct(product) {
  scan.value = "";
  hideResults();
  addByProduct(product);
}

async function addByProduct(product) {
  if (product.unit === "kg") {
    const grams = await askNumber({ title: t("sale.weight_title", { name: product.name }), message: t("sale.weight_hint"), kind: "grams" });
    if (grams !== null) addItem({ product_id: product.id, qty_milli: grams }, product);
  } else {
    addItem({ product_id: product.id }, product);
  }
}

async function loadQuickKeys() {
  try {
    state.quick = (await api("GET", "/kiosk/api/quick-keys")).categories;
  } catch (error) {
    showError(error);
    return;
  }
  state.category = state.quick[0]?.code;
  renderQuick();
}

function renderQuick() {
  $("quick-tabs").hidden = state.quick.length === 0;
  $("quick-tabs").replaceChildren(...state.quick.map((group) => h("button", {
    type: "button", class: "tab", role: "tab", "aria-selected": String(group.code === state.category),
    dataset: { category: group.code ?? "" },
  }, group.name ?? t("sale.other"))));
  const group = state.quick.find((g) => g.code === state.category);
  $("quick-grid").replaceChildren(...(group?.products ?? []).map((product) => h("button", {
    type: "button", class: "qkey", dataset: { product: product.id },
  }, h("span", { class: "q-name" }, product.name),
  h("span", { class: "q-price" }, money(product.price) + (product.unit === "kg" ? `/${t("unit.kg")}` : "")))));
}

// -- line and sale actions

function selectedLine() {
  return state.sale?.lines.find((line) => line.id === state.selected) ?? null;
}

function moveSelection(step) {
  const lines = state.sale?.lines ?? [];
  if (!lines.length) return;
  const index = lines.findIndex((line) => line.id === state.selected);
  state.selected = lines[Math.max(0, Math.min(lines.length - 1, (index < 0 ? lines.length : index) + step))].id;
  render();
}

async function editQty() {
  const line = selectedLine();
  if (!line || mode() !== "cart") return;
  const kg = line.unit === "kg";
  const value = await askNumber({ title: t(kg ? "sale.weight_title" : "sale.qty_title", { name: line.name }),
                                  kind: kg ? "grams" : "count", initial: fromMilli(line.unit, line.qty_milli) });
  if (value === null) return;
  change((uuid, override) => api("PATCH", `/api/sales/${uuid}/lines/${line.id}`,
                                 { qty_milli: toMilli(line.unit, value), override }));
}

async function editPrice() {
  const line = selectedLine();
  if (!line || mode() !== "cart") return;
  const value = await askNumber({ title: t("sale.price_title", { name: line.name }), kind: "money", initial: line.unit_price, min: 0 });
  if (value === null) return;
  change((uuid, override) => api("PATCH", `/api/sales/${uuid}/lines/${line.id}`, { unit_price: value, override }));
}

async function editDiscount() {
  const line = selectedLine();
  if (!line || mode() !== "cart") return;
  const answer = await askDiscount({ title: t("sale.discount_title", { name: line.name }), current: line.discount });
  if (answer === null) return;
  change((uuid, override) => api("PATCH", `/api/sales/${uuid}/lines/${line.id}`,
                                 { discount: answer === "clear" ? null : answer, override }));
}

async function removeLine() {
  const line = selectedLine();
  if (!line || mode() !== "cart") return;
  if (!await confirmBox({ title: t("sale.remove_title"), message: line.name, confirmLabel: t("sale.remove"), danger: true })) return;
  change((uuid, override) => api("DELETE", `/api/sales/${uuid}/lines/${line.id}`, { override }));
}

async function orderDiscount() {
  if (!state.sale?.lines.length || mode() !== "cart") return;
  const answer = await askDiscount({ title: t("sale.order_discount"), current: state.sale.order_discount });
  if (answer === null) return;
  change((uuid, override) => (answer === "clear"
    ? api("DELETE", `/api/sales/${uuid}/discount`, { override })
    : api("PUT", `/api/sales/${uuid}/discount`, { ...answer, override })));
}

async function park() {
  if (!state.sale?.lines.length || mode() !== "cart") return;
  if (await change((uuid) => api("POST", `/api/sales/${uuid}/park`))) toast(t("sale.parked"), "ok");
}

async function resume() {
  if (mode() === "pay") return;
  let parked;
  try {
    parked = (await api("GET", "/api/sales?status=parked")).sales;
  } catch (error) {
    showError(error);
    return;
  }
  const uuid = await pickFrom({
    title: t("sale.resume_title"), empty: t("sale.none_parked"),
    items: parked.map((sale) => ({
      value: sale.uuid, label: `${money(sale.total)} · ${t("sale.lines_count", { n: sale.lines.length })}`,
      detail: `${dateTime(sale.parked_at)} · ${sale.cashier.name} · ${sale.lines.slice(0, 3).map((l) => l.name).join(", ")}`,
    })),
  });
  if (!uuid) return;
  serial(async () => {
    try {
      applySale((await api("POST", `/api/sales/${uuid}/resume`)).sale);
      toast(t("sale.resumed"), "ok");
    } catch (error) {
      await report(error);
    }
  });
}

async function voidSale() {
  if (!state.sale?.lines.length || mode() !== "cart") return;
  const reason = await askReason({ title: t("sale.void_title"), confirmLabel: t("sale.void"),
                                   presets: [t("reason.customer_left"), t("reason.wrong_items"), t("reason.test_sale")] });
  if (reason === null) return;
  if (await change((uuid, override) => api("POST", `/api/sales/${uuid}/void`, { reason, override }))) {
    toast(t("sale.voided"), "ok");
  }
}

// -- members

// a dialog that takes the till scanner's reads (the member card) while it is open
let scanSink = null;

function askMember() {
  return openDialog((root, close) => {
    // a card number may have letters (M0001): the on-screen keyboard too, beside the number pad
    const input = h("input", { type: "text", autocomplete: "off", autofocus: true, maxlength: "32", inputmode: "numeric",
                                "data-keyboard": "on", "aria-label": t("member.query"), placeholder: t("member.query") });
    const error = h("p", { class: "form-error", role: "alert" });
    const signUp = h("button", { type: "button", class: "btn", hidden: true, "data-action": "sign-up",
                                 onclick: () => close({ signUp: input.value.trim() }) }, t("member.sign_up"));
    const confirm = async () => {
      const query = input.value.trim();
      if (!query) { error.textContent = t("member.query"); return; }
      try {
        const uuid = await ensureSale();
        const data = await api("PUT", `/api/sales/${uuid}/member`, { query });
        close(data);
      } catch (problem) {
        error.textContent = errorText(problem);
        signUp.hidden = !(problem instanceof ApiError && problem.code === "member_not_found");
        input.select();
      }
    };
    scanSink = (code) => { input.value = code; confirm(); };
    tellScans();
    root.append(h("form", { method: "dialog", onsubmit: (event) => { event.preventDefault(); confirm(); } },
      h("h2", {}, t("member.title")), h("p", {}, t("member.hint")), input, keypad(h("div"), input), error, signUp,
      h("div", { class: "dialog-buttons" },
        h("button", { type: "button", class: "btn", onclick: () => close(null) }, t("common.cancel")),
        h("button", { type: "submit", class: "btn big primary", "data-testid": "dialog-ok" }, t("member.find")))));
  }).finally(() => {
    scanSink = null;
    tellScans();
  });
}

async function member() {
  if (mode() !== "cart") return;
  let data = await serial(askMember);
  if (data?.signUp !== undefined) data = await signUpMember(data.signUp);
  if (!data) return;
  applySale(data.sale);
  toast(t("member.attached", { name: data.sale.member.name }), "ok");
}

// A new member at the till (sent to head office through the outbox), then on this sale.
async function signUpMember(typed) {
  const phoneLike = /^\+?\d{11,20}$/.test(typed);
  const values = await askForm({
    title: t("member.sign_up"), confirmLabel: t("member.sign_up"),
    fields: [{ name: "card_no", label: t("member.card_no"), maxlength: "32", value: phoneLike ? "" : typed },
             { name: "name", label: t("manager.name"), maxlength: "64" },
             { name: "phone", label: t("member.phone"), inputmode: "tel", maxlength: "20", value: phoneLike ? typed : "" }],
    validate: (v) => (v.card_no && v.name ? null : t("member.card_name_required")),
  });
  if (!values) return null;
  return serial(async () => {
    try {
      await api("POST", "/api/members", { card_no: values.card_no, name: values.name, phone: values.phone || null });
      const uuid = await ensureSale();
      return await api("PUT", `/api/sales/${uuid}/member`, { query: values.card_no });
    } catch (error) {
      showError(error);
      return null;
    }
  });
}

async function redeemPoints() {
  const held = state.sale?.member?.points;
  if (!held || mode() !== "cart") return;
  const points = await askNumber({ title: t("member.redeem_title"), message: t("member.points", { n: count(held) }),
                                   kind: "count", initial: state.sale.points_redeemed || undefined, min: 0, max: held });
  if (points === null) return;
  change((uuid) => api("PUT", `/api/sales/${uuid}/points`, { points }));
}

function removeMember() {
  if (!state.sale?.member || mode() !== "cart") return;
  change((uuid) => api("DELETE", `/api/sales/${uuid}/member`));
}

// -- receipt

// The customer's choice is kept with the sale by the till (a restart or another browser keeps it).
function wantsNoReceipt(sale) {
  return sale?.receipt_wanted === false;
}

function toggleNoReceipt() {
  if (!state.sale || mode() !== "pay") return;
  // decided when the request runs (after any change queued before it), from the sale as the till has it
  change((uuid) => api("PUT", `/api/sales/${uuid}/receipt`, { print: wantsNoReceipt(state.sale) }));
}

function showReceipt() {
  if (!state.done || !boot.hardware) return;
  const sale = state.done;
  openDialog((root, close) => {
    root.append(h("h2", {}, t("done.receipt", { number: sale.receipt_no })),
                h("div", { class: "receipt-preview" },
                  h("img", { src: `/kiosk/api/sales/${sale.uuid}/receipt.png`, alt: t("done.receipt", { number: sale.receipt_no }),
                             "data-testid": "receipt-image" })),
                h("div", { class: "dialog-buttons" },
                  h("button", { type: "button", class: "btn", onclick: () => close(null) }, t("common.close")),
                  h("button", { type: "button", class: "btn big primary", onclick: () => { close(null); reprint(); } },
                    t("done.reprint"))));
  }, "wide receipt");
}

// -- payment

function resetAmount() {
  const sale = state.sale;
  if (!sale) return;
  $("pay-amount").value = plainAmount(state.method === "cash" ? sale.cash_due : sale.remaining);
  $("pay-ref").value = "";
}

function focusPayment() {
  const field = EXTERNAL.includes(state.method) ? $("pay-ref") : $("pay-amount");
  field.focus();
  field.select();
}

function startPayment() {
  if (!state.sale?.lines.length || mode() !== "cart") return;
  state.paying = true;
  state.method = "cash";
  hideResults();
  render();
  resetAmount();
  focusPayment();
}

function selectMethod(method) {
  state.method = method;
  render();
  resetAmount();
  focusPayment();
}

function leavePayment() {
  if (state.sale?.payments.length) {
    toast(t("pay.remove_first"), "error");
    return;
  }
  state.paying = false;
  render();
  scan.focus();
}

async function takePayment(amountGiven) {
  const amount = amountGiven ?? parseMoney($("pay-amount").value);
  if (!amount) {
    toast(t("input.invalid_money"), "error");
    $("pay-amount").select();
    return;
  }
  const body = { method: state.method, amount };
  if (EXTERNAL.includes(state.method)) {
    body.reference = $("pay-ref").value.trim();
    if (!body.reference) {
      toast(t("pay.reference_needed"), "error");
      $("pay-ref").focus();
      return;
    }
  }
  const data = await change((uuid) => api("POST", `/api/sales/${uuid}/payments`, body));
  if (data?.completed) {
    scan.focus();
    refreshStatus(); // the drawer opens, the receipt prints (or waits in the queue)
  } else if (data) {
    resetAmount();
    focusPayment();
  }
}

function removePayment(id) {
  change((uuid, override) => api("DELETE", `/api/sales/${uuid}/payments/${id}`, { override })).then((data) => {
    if (data) {
      resetAmount();
      focusPayment();
    }
  });
}

async function reprint() {
  if (!state.done) return;
  try {
    await api("POST", `/api/sales/${state.done.uuid}/reprint`);
    toast(t("done.reprinted"), "ok");
  } catch (error) {
    showError(error);
  }
}

function newSale() {
  state.done = null;
  render();
  scan.focus();
  if (boot.drawer_must_close) refreshStatus();
}

// -- input

const ACTIONS = {
  qty: editQty, price: editPrice, discount: editDiscount, remove: removeLine, "order-discount": orderDiscount,
  park, resume, void: voidSale, pay: startPayment, back: leavePayment, take: () => takePayment(), "new-sale": newSale, reprint,
  member, points: redeemPoints, "remove-member": removeMember, "no-receipt": toggleNoReceipt, "show-receipt": showReceipt,
};
const CART_KEYS = {
  F2: () => { scan.focus(); scan.select(); }, F3: editQty, F4: editPrice, F5: member, F6: editDiscount, F7: orderDiscount,
  F8: park, F9: resume, F10: startPayment,
};
const DONE_KEYS = { F5: showReceipt, F6: reprint };

function isField(element) {
  return element instanceof HTMLInputElement || element instanceof HTMLSelectElement || element instanceof HTMLTextAreaElement;
}

scan.addEventListener("input", onScanInput);
scan.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    const value = scan.value.trim();
    clearTimeout(searchTimer);
    if (state.highlighted >= 0 && !$("results").hidden) {
      pickProduct(state.results[state.highlighted]);
    } else if (value) {
      scan.value = "";
      hideResults();
      addItem({ code: value });
    } else if (mode() === "done") {
      newSale();
    }
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    if (!$("results").hidden && state.results.length) {
      state.highlighted = (state.highlighted + step + state.results.length) % state.results.length;
      drawResults();
    } else {
      moveSelection(step);
    }
  } else if (event.key === "Escape") {
    event.preventDefault();
    scan.value = "";
    hideResults();
  } else if (event.key === "Delete" && !scan.value) {
    event.preventDefault();
    removeLine();
  } else if (event.key === "+" && !scan.value) {
    event.preventDefault();
    startPayment();
  }
});

document.addEventListener("keydown", (event) => {
  if (dialogOpen()) return;
  const current = mode();
  if (current === "pay") {
    if (METHOD_KEYS[event.key]) {
      event.preventDefault();
      selectMethod(METHOD_KEYS[event.key]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      leavePayment();
    } else if (event.key === "F5") {
      event.preventDefault();
      toggleNoReceipt();
    } else if (event.key === "Enter" && (event.target.id === "pay-amount" || event.target.id === "pay-ref")) {
      event.preventDefault();
      takePayment();
    }
    return;
  }
  if (current === "done" && DONE_KEYS[event.key]) {
    event.preventDefault();
    DONE_KEYS[event.key]();
    return;
  }
  if (CART_KEYS[event.key]) {
    event.preventDefault();
    if (current === "cart" || event.key === "F2" || event.key === "F9") CART_KEYS[event.key]();
  } else if (event.target !== scan && !isField(event.target) && event.key.length === 1
             && !event.ctrlKey && !event.altKey && !event.metaKey) {
    scan.focus(); // a scanner or typing never gets lost: the characters go to the scan field
  }
});

// Buttons do not take the focus from the scan or amount field when pressed.
main.addEventListener("mousedown", (event) => {
  if (event.target.closest("button, li")) event.preventDefault();
});

main.addEventListener("click", (event) => {
  const target = event.target;
  const action = target.closest("[data-action]")?.dataset.action;
  if (action) return ACTIONS[action]();
  const line = target.closest(".line");
  if (line && mode() === "cart") {
    state.selected = Number(line.dataset.id);
    render();
  }
  const result = target.closest(".result");
  if (result) return pickProduct(state.results[Number(result.dataset.index)]);
  const tab = target.closest("[data-category]");
  if (tab) {
    state.category = tab.dataset.category || null;
    return renderQuick();
  }
  const key = target.closest("[data-product]");
  if (key) {
    const product = state.quick.flatMap((g) => g.products).find((p) => p.id === Number(key.dataset.product));
    return addByProduct(product);
  }
  const method = target.closest("[data-method]");
  if (method) return selectMethod(method.dataset.method);
  const amount = target.closest("[data-amount]");
  if (amount) return takePayment(Number(amount.dataset.amount));
  const payment = target.closest("[data-remove-payment]");
  if (payment) return removePayment(Number(payment.dataset.removePayment));
  if (mode() !== "pay" && !isField(document.activeElement)) scan.focus();
  return undefined;
});

document.getElementById("dialog").addEventListener("close", () => {
  if (mode() === "pay") focusPayment();
  else scan.focus();
});

// -- start

initChrome();
onStatus((status) => renderDrawer(status));
applySale(boot.sale);
if (state.paying) {
  resetAmount();
  focusPayment();
} else {
  scan.focus();
}
main.dataset.state = "ready";
loadQuickKeys();
const live = connectLive("till", {
  "sale.changed": (message) => {
    if (message.origin !== PAGE_ID) serial(() => reloadSale().catch(report));
  },
  // the hardware scanner read a code the till refused
  "scan.rejected": (message) => showError(new ApiError(400, { error: message.error, message: message.message,
                                                            details: { code_scanned: message.code } })),
  reconnect: () => serial(() => reloadSale().catch(report)),
  // the till's scanner read a code while a dialog here takes scans (a member card)
  scan: ({ code }) => scanSink?.(code),
});
// the hardware scanner's reads go into the sale, except while the member dialog is open
const tellScans = claimScans(live, () => scanSink !== null);

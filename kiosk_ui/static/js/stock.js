// The manager's stock tab: look a product up and adjust its stock or low-stock level,
// receive goods, count a stock take by scanning, and the low-stock list. One scan field
// serves every view (a scan looks up, adds to the delivery, or counts one piece).
import { fromMilli, money, parseMoney, qty, t, toMilli } from "./i18n.js";
import { ApiError, api, errorText } from "./api.js";
import { askForm, askNumber, confirmBox, h, pickFrom, toast, withOverride } from "./ui.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["lookup", "receipt", "take", "low"];
const state = { view: "lookup", product: null, delivery: new Map(), take: null };


function fail(error) {
  $("stock-error").textContent = errorText(error);
}

function unitHint(product) {
  return t(product.unit === "kg" ? "stock.in_grams" : "stock.in_pieces");
}

// A code (barcode, SKU, scale label) or a name: the product it means, or null.
async function findProduct(text) {
  try {
    return (await api("GET", `/api/products/lookup?code=${encodeURIComponent(text)}`)).product;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404 || !/\D/.test(text)) throw error;
  }
  const { products } = await api("GET", `/api/products/search?q=${encodeURIComponent(text)}&limit=20`);
  if (products.length === 1) return products[0];
  return pickFrom({ title: t("stock.pick_product"), empty: t("sale.no_results"),
                    items: products.map((p) => ({ value: p, label: p.name, detail: `${p.sku} · ${money(p.price)}` })) });
}

// -- lookup and adjust

async function lookup(text) {
  const product = await findProduct(text);
  if (!product) return;
  state.product = product;
  await drawProduct();
}

async function drawProduct() {
  const { stock } = await api("GET", `/api/stock/${state.product.id}`);
  const product = state.product;
  $("stock-view").replaceChildren(h("div", { class: "stock-card", "data-product": product.id },
    h("h3", {}, product.name), h("p", { class: "details" }, `${product.sku}`),
    h("dl", { class: "facts" },
      h("dt", {}, t("stock.on_hand")), h("dd", { "data-figure": "on_hand", class: stock.low ? "negative" : "" },
        qty(stock.on_hand_milli, product.unit)),
      h("dt", {}, t("stock.low_level")), h("dd", { "data-figure": "low_level" },
        stock.low_stock_milli === null ? t("stock.no_level") : qty(stock.low_stock_milli, product.unit))),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn", "data-action": "adjust", onclick: adjust }, t("stock.adjust")),
      h("button", { type: "button", class: "btn", "data-action": "threshold", onclick: threshold }, t("stock.set_level")))));
}

async function adjust() {
  const product = state.product;
  const values = await askForm({
    title: t("stock.adjust_title", { name: product.name }), confirmLabel: t("stock.adjust"),
    fields: [{ name: "delta", label: `${t("stock.delta")} (${unitHint(product)})`, inputmode: "numeric", maxlength: "10" },
             { name: "reason", label: t("common.reason"), type: "select", value: "damaged",
               options: ["damaged", "expired", "theft", "found", "correction"].map((r) => [t(`stock.reason.${r}`), t(`stock.reason.${r}`)]) }],
    validate: (v) => (/^[-+]?\d{1,9}$/.test(v.delta) && Number(v.delta) !== 0 ? null : t("stock.invalid_delta")),
  });
  if (!values) return;
  try {
    const done = await withOverride((override) => api("POST", "/api/stock/adjustments", {
      product_id: product.id, delta_milli: toMilli(product.unit, Number(values.delta)), reason: values.reason, override }));
    if (!done) return;
    toast(t("stock.adjusted", { name: product.name, qty: qty(done.stock.on_hand_milli, product.unit) }), "ok");
    await drawProduct();
  } catch (error) {
    fail(error);
  }
}

async function threshold() {
  const product = state.product;
  const value = await askNumber({ title: t("stock.level_title", { name: product.name }), message: unitHint(product),
                                  kind: product.unit === "kg" ? "grams" : "count", min: 0 });
  if (value === null) return;
  try {
    if (await withOverride((override) => api("PUT", `/api/stock/${product.id}/threshold`,
                                             { low_stock_milli: toMilli(product.unit, value), override }))) {
      await drawProduct();
    }
  } catch (error) {
    fail(error);
  }
}

// -- goods receipt

async function addDelivery(text) {
  const product = await findProduct(text);
  if (!product) return;
  const line = state.delivery.get(product.id) ?? { product, qty: 0, cost: "" };
  if (product.unit === "kg") {
    const grams = await askNumber({ title: t("sale.weight_title", { name: product.name }), kind: "grams" });
    if (grams === null) return;
    line.qty += grams;
  } else {
    line.qty += 1;
  }
  state.delivery.set(product.id, line);
  drawDelivery();
}

function drawDelivery() {
  const rows = [...state.delivery.values()].map((line) => h("tr", { "data-product": line.product.id },
    h("td", {}, line.product.name), h("td", { class: "details" }, unitHint(line.product)),
    h("td", {}, h("input", { class: "count-input", inputmode: "numeric", value: String(line.qty), "data-delivery-qty": line.product.id,
                             "aria-label": t("stock.qty_of", { name: line.product.name }) })),
    h("td", {}, h("input", { class: "count-input", inputmode: "decimal", value: line.cost, placeholder: t("stock.cost_optional"),
                             "data-delivery-cost": line.product.id, "aria-label": t("stock.cost_of", { name: line.product.name }) }))));
  $("stock-view").replaceChildren(
    h("div", { class: "form-grid" },
      h("label", { class: "field" }, h("span", {}, t("stock.supplier")), h("input", { id: "supplier", maxlength: "100", value: state.supplier ?? "" })),
      h("label", { class: "field" }, h("span", {}, t("stock.reference")), h("input", { id: "delivery-ref", maxlength: "64", value: state.reference ?? "" }))),
    rows.length
      ? h("table", { class: "grid", id: "delivery" }, h("thead", {}, h("tr", {}, ["stock.product", "stock.unit", "stock.qty", "stock.cost"]
        .map((key) => h("th", { scope: "col" }, t(key))))), h("tbody", {}, rows))
      : h("p", { class: "empty" }, t("stock.scan_delivery")),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn", onclick: () => { state.delivery.clear(); drawDelivery(); } }, t("common.clear")),
      h("button", { type: "button", class: "btn primary big", "data-action": "receive", disabled: !rows.length, onclick: receive },
        t("stock.receive"))));
}

async function receive() {
  const supplier = $("supplier").value.trim();
  if (!supplier) {
    $("stock-error").textContent = t("stock.supplier_required");
    $("supplier").focus();
    return;
  }
  const lines = [];
  for (const line of state.delivery.values()) {
    const qtyText = $("stock-view").querySelector(`[data-delivery-qty="${line.product.id}"]`).value.trim();
    const costText = $("stock-view").querySelector(`[data-delivery-cost="${line.product.id}"]`).value.trim();
    if (!/^\d{1,9}$/.test(qtyText) || Number(qtyText) === 0) {
      $("stock-error").textContent = t("stock.invalid_qty", { name: line.product.name });
      return;
    }
    const cost = costText ? parseMoney(costText) : null;
    if (costText && cost === null) {
      $("stock-error").textContent = t("input.invalid_money");
      return;
    }
    lines.push({ product_id: line.product.id, qty_milli: toMilli(line.product.unit, Number(qtyText)),
                 ...(cost === null ? {} : { cost_price: cost }) });
  }
  try {
    const done = await withOverride((override) => api("POST", "/api/stock/receipts", {
      supplier, reference: $("delivery-ref").value.trim() || null, lines, override }));
    if (!done) return;
    toast(t("stock.received", { n: lines.length }), "ok");
    state.delivery.clear();
    state.supplier = state.reference = "";
    drawDelivery();
  } catch (error) {
    fail(error);
  }
}

// -- stock take

// The till's answers about the take in the order they were asked: a load answered after a
// later question (another load, or a take started, applied or cancelled) is out of date.
let takeAsked = 0;
let takeShown = 0;

function setTake(take, asked = ++takeAsked) {
  if (asked < takeShown) return;
  takeShown = asked;
  state.take = take;
  if (state.view === "take") drawTake(); // (an answer that comes after the manager moved on draws nothing)
}

async function loadTake() {
  const asked = ++takeAsked;
  setTake((await api("GET", "/api/stock/takes/open")).stock_take, asked);
}

function drawTake() {
  const take = state.take;
  if (!take) {
    $("stock-view").replaceChildren(h("p", {}, t("stock.take_hint")),
      h("button", { type: "button", class: "btn primary big", "data-action": "start-take", onclick: startTake }, t("stock.start_take")));
    return;
  }
  const rows = take.lines.map((line) => h("tr", { "data-product": line.product_id },
    h("td", {}, line.name), h("td", { class: "num" }, qty(line.expected_milli, line.unit)),
    h("td", { class: "num" }, h("button", { type: "button", class: "btn small", "data-figure": "counted",
                                            onclick: () => setCount(line) }, qty(line.counted_milli, line.unit))),
    h("td", { class: `num ${line.variance_milli < 0 ? "negative" : ""}`, "data-figure": "variance" }, qty(line.variance_milli, line.unit)),
    h("td", { class: "num" }, line.variance_value === null ? "–" : money(line.variance_value))));
  $("stock-view").replaceChildren(
    h("p", { class: "details" }, t("stock.take_scan_hint")),
    h("table", { class: "grid", id: "take-lines" }, h("thead", {}, h("tr", {}, ["stock.product", "stock.expected", "stock.counted",
      "stock.variance", "stock.variance_value"].map((key, i) => h("th", { scope: "col", class: i ? "num" : "" }, t(key))))),
    h("tbody", {}, rows)),
    h("p", { class: "r-total" }, t("stock.total_variance"), " ", h("strong", { "data-figure": "total_variance" }, money(take.total_variance_value))),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn danger", onclick: cancelTake }, t("stock.cancel_take")),
      h("button", { type: "button", class: "btn primary big", "data-action": "apply-take", disabled: !rows.length, onclick: applyTake },
        t("stock.apply_take"))));
}

async function startTake() {
  try {
    const done = await withOverride((override) => api("POST", "/api/stock/takes", { override }));
    if (done) setTake(done.stock_take);
  } catch (error) {
    fail(error);
  }
}

async function countScan(text) {
  if (!state.take) await startTake();
  if (!state.take) return;
  await api("POST", `/api/stock/takes/${state.take.uuid}/counts`, { code: text, mode: "add" });
  await loadTake();
}

async function setCount(line) {
  const value = await askNumber({ title: t("stock.count_title", { name: line.name }), message: unitHint(line),
                                  kind: line.unit === "kg" ? "grams" : "count", min: 0,
                                  initial: fromMilli(line.unit, line.counted_milli) });
  if (value === null) return;
  try {
    await api("POST", `/api/stock/takes/${state.take.uuid}/counts`,
              { product_id: line.product_id, qty_milli: toMilli(line.unit, value), mode: "set" });
    await loadTake();
  } catch (error) {
    fail(error);
  }
}

async function applyTake() {
  if (!await confirmBox({ title: t("stock.apply_confirm"), message: t("stock.apply_hint"), confirmLabel: t("stock.apply_take") })) return;
  try {
    const done = await withOverride((override) => api("POST", `/api/stock/takes/${state.take.uuid}/apply`, { override }));
    if (!done) return;
    toast(t("stock.take_applied", { value: money(done.stock_take.total_variance_value ?? 0) }), "ok");
    setTake(null);
  } catch (error) {
    fail(error);
  }
}

async function cancelTake() {
  if (!await confirmBox({ title: t("stock.cancel_take"), confirmLabel: t("stock.cancel_take"), danger: true })) return;
  try {
    await api("POST", `/api/stock/takes/${state.take.uuid}/cancel`);
    setTake(null);
  } catch (error) {
    fail(error);
  }
}

// -- low stock

async function loadLow() {
  const { products } = await api("GET", "/api/stock/low");
  $("stock-view").replaceChildren(products.length
    ? h("table", { class: "grid", id: "low-stock" },
      h("thead", {}, h("tr", {}, ["stock.product", "stock.on_hand", "stock.low_level"].map((key, i) => h("th", { scope: "col", class: i ? "num" : "" }, t(key))))),
      h("tbody", {}, products.map((p) => h("tr", { "data-product": p.product_id },
        h("td", {}, p.name, h("span", { class: "details" }, ` ${p.sku}`)),
        h("td", { class: "num negative" }, qty(p.on_hand_milli, p.unit)), h("td", { class: "num" }, qty(p.low_stock_milli, p.unit))))))
    : h("p", { class: "empty" }, t("stock.none_low")));
}

// -- the tab

let scans = Promise.resolve();

// A code typed or scanned into the field, or read by the till's scanner: what it does
// depends on the view. One after another, in the order they came.
export function stockScan(text) {
  if (!text) return scans;
  scans = scans.then(async () => {
    $("stock-error").textContent = "";
    try {
      if (state.view === "low") showStock("lookup");
      await ON_SCAN[state.view](text);
    } catch (error) {
      fail(error);
    }
    $("stock-scan").focus();
  });
  return scans;
}

const ON_SCAN = { lookup, receipt: addDelivery, take: countScan, low: lookup };

export function showStock(view = state.view) {
  if (view === "low" || state.view !== view) $("stock-error").textContent = "";
  if (state.view === "receipt" && $("supplier")) {
    state.supplier = $("supplier").value;
    state.reference = $("delivery-ref").value;
  }
  state.view = view;
  for (const button of $("stock-views").children) button.setAttribute("aria-selected", String(button.dataset.view === view));
  $("stock-scan").placeholder = t(`stock.scan_${view}`);
  const draw = { lookup: () => (state.product ? drawProduct() : $("stock-view").replaceChildren(h("p", { class: "empty" }, t("stock.lookup_hint")))),
                 receipt: drawDelivery, take: loadTake, low: loadLow }[view];
  Promise.resolve(draw()).catch(fail);
  $("stock-scan").focus();
}

export function initStock() {
  $("stock-views").addEventListener("click", (event) => {
    const button = event.target.closest("[data-view]");
    if (button && VIEWS.includes(button.dataset.view)) showStock(button.dataset.view);
  });
  $("stock-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("stock-scan").value.trim();
    $("stock-scan").value = "";
    stockScan(text);
  });
  $("tab-stock").addEventListener("mousedown", (event) => {
    if (event.target.closest("button")) event.preventDefault();
  });
}

// Touch-friendly building blocks: toast, on-screen keypad, and modal dialogs (numbers,
// discounts, reasons, confirmations, picking from a list, small forms, manager approval).
// Every dialog works with a finger, and with a keyboard alone: Enter confirms, Esc cancels.
import { ApiError, api, errorText } from "./api.js";
import { has, parseMoney, percent, plainAmount, t } from "./i18n.js";

// h("button", {class: "btn", onclick}, "text", child...) -> element
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

let toastTimer;
export function toast(message, kind = "info") {
  const element = document.getElementById("toast");
  element.textContent = message;
  element.dataset.kind = kind;
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { element.hidden = true; }, kind === "error" ? 6000 : 3500);
}

export function showError(error) {
  toast(errorText(error), "error");
}

// Keys that type into `input` (an element, or a function that says which one: the
// focused field of a form); pressing a key leaves the focus where it is.
export function keypad(container, input, { decimal = false } = {}) {
  const target = typeof input === "function" ? input : () => input;
  container.classList.add("keypad");
  container.replaceChildren();
  const keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3", decimal ? "." : "00", "0", "⌫"];
  for (const key of keys) {
    const button = h("button", { type: "button", class: "key", tabindex: "-1", dataset: { key } }, key);
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => {
      const input = target();
      if (!input || input.disabled) return;
      if (key === "⌫") input.value = input.value.slice(0, -1);
      else if (!input.maxLength || input.maxLength < 0 || input.value.length + key.length <= input.maxLength) input.value += key;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.focus();
    });
    container.append(button);
  }
  return container;
}

const dialog = document.getElementById("dialog");

export function dialogOpen() {
  return dialog.open;
}

// Fill the dialog with render(dialog, close); resolves with what close() is given
// (null when cancelled with Esc or Cancel).
export function openDialog(render, className = "") {
  return new Promise((resolve) => {
    let settled = false;
    const close = (value) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.replaceChildren();
      resolve(value);
    };
    dialog.replaceChildren();
    dialog.className = `dialog ${className}`;
    dialog.oncancel = (event) => { event.preventDefault(); close(null); };
    render(dialog, close);
    dialog.showModal();
    (dialog.querySelector("[autofocus]") || dialog.querySelector("input, select, button"))?.focus();
  });
}

function buttons(close, confirm, { confirmLabel = t("common.ok"), danger = false } = {}) {
  return h("div", { class: "dialog-buttons" },
    h("button", { type: "button", class: "btn", onclick: () => close(null) }, t("common.cancel")),
    h("button", { type: "submit", class: `btn big ${danger ? "danger" : "primary"}`, "data-testid": "dialog-ok" },
      confirmLabel));
}

function form(confirm, ...children) {
  return h("form", { method: "dialog", onsubmit: (event) => { event.preventDefault(); confirm(); } }, ...children);
}

const NUMBER_KINDS = {
  money: { decimal: true, parse: parseMoney, format: plainAmount },
  // grams for a weight, pieces for a count: whole numbers
  grams: { decimal: false, parse: wholeNumber, format: String },
  count: { decimal: false, parse: wholeNumber, format: String },
  // percent with up to two decimals, as basis points
  percent: { decimal: true, parse: percentPoints, format: (bp) => String(bp / 100) },
};

function wholeNumber(text) {
  return /^\s*\d{1,9}\s*$/.test(text ?? "") ? Number(text) : null;
}

function percentPoints(text) {
  const match = /^\s*(\d{1,3})(?:[.,](\d{0,2}))?\s*$/.exec(text ?? "");
  return match ? Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0") || 0) : null;
}

// A number typed or keyed in: money (minor units), grams, a count, or a percent (bp).
export function askNumber({ title, message, kind = "money", initial, min = 1, max }) {
  const spec = NUMBER_KINDS[kind];
  return openDialog((root, close) => {
    const input = h("input", { class: "amount-input", type: "text", inputmode: spec.decimal ? "decimal" : "numeric",
                                autocomplete: "off", autofocus: true, "aria-label": title,
                                value: initial === undefined ? "" : spec.format(initial) });
    const error = h("p", { class: "form-error", role: "alert" });
    const confirm = () => {
      const value = spec.parse(input.value);
      if (value === null || value < min || (max !== undefined && value > max)) {
        error.textContent = t(`input.invalid_${kind}`);
        input.select();
        return;
      }
      close(value);
    };
    root.append(form(confirm, h("h2", {}, title), message ? h("p", {}, message) : null, input,
                      keypad(h("div"), input, { decimal: spec.decimal }), error, buttons(close, confirm)));
    input.select();
  });
}

// A discount: {kind: "percent"|"amount", value} or "clear"; null when cancelled.
export function askDiscount({ title, current }) {
  return openDialog((root, close) => {
    let kind = current?.kind ?? "percent";
    const input = h("input", { class: "amount-input", type: "text", inputmode: "decimal", autocomplete: "off",
                                autofocus: true, "aria-label": title });
    const error = h("p", { class: "form-error", role: "alert" });
    const kinds = h("div", { class: "segmented", role: "radiogroup" });
    const presets = h("div", { class: "presets" });
    const select = (next) => {
      kind = next;
      for (const button of kinds.children) button.setAttribute("aria-checked", String(button.dataset.kind === kind));
      presets.hidden = kind !== "percent";
      input.focus();
    };
    for (const option of ["percent", "amount"]) {
      kinds.append(h("button", { type: "button", class: "btn", role: "radio", dataset: { kind: option },
                                 onclick: () => select(option) }, t(`discount.${option}`)));
    }
    for (const bp of [500, 1000, 2000, 5000]) {
      presets.append(h("button", { type: "button", class: "btn", onclick: () => { input.value = String(bp / 100); input.focus(); } },
                       percent(bp)));
    }
    if (current) input.value = NUMBER_KINDS[current.kind === "percent" ? "percent" : "money"].format(current.value);
    const confirm = () => {
      const value = kind === "percent" ? percentPoints(input.value) : parseMoney(input.value);
      if (value === null || value <= 0 || (kind === "percent" && value > 10000)) {
        error.textContent = t(kind === "percent" ? "input.invalid_percent" : "input.invalid_money");
        return;
      }
      close({ kind, value });
    };
    root.append(form(confirm, h("h2", {}, title), kinds, presets, input,
                     keypad(h("div"), input, { decimal: true }), error,
                     current ? h("button", { type: "button", class: "btn danger", onclick: () => close("clear") },
                                 t("discount.clear")) : null,
                     buttons(close, confirm)));
    select(kind);
  });
}

// A reason in words, with ready-made ones to tap.
export function askReason({ title, presets = [], confirmLabel }) {
  return openDialog((root, close) => {
    const input = h("input", { type: "text", maxlength: "200", autocomplete: "off", autofocus: true,
                                "aria-label": t("common.reason"), placeholder: t("common.reason") });
    const error = h("p", { class: "form-error", role: "alert" });
    const confirm = () => {
      if (!input.value.trim()) { error.textContent = t("input.reason_required"); return; }
      close(input.value.trim());
    };
    root.append(form(confirm, h("h2", {}, title),
                     h("div", { class: "presets" }, presets.map((text) =>
                       h("button", { type: "button", class: "btn", onclick: () => { input.value = text; input.focus(); } }, text))),
                     input, error, buttons(close, confirm, { confirmLabel })));
  });
}

export function confirmBox({ title, message, confirmLabel, danger = false }) {
  return openDialog((root, close) => {
    const confirm = () => close(true);
    root.append(form(confirm, h("h2", {}, title), message ? h("p", {}, message) : null,
                     buttons(close, confirm, { confirmLabel, danger })));
    root.querySelector("[type=submit]").setAttribute("autofocus", "");
  }).then(Boolean);
}

// One of `items` ({label, detail, value}); null when cancelled or there is none.
export function pickFrom({ title, items, empty }) {
  return openDialog((root, close) => {
    const list = h("div", { class: "pick-list" });
    for (const item of items) {
      list.append(h("button", { type: "button", class: "btn pick", onclick: () => close(item.value) },
                    h("span", { class: "pick-label" }, item.label), h("span", { class: "pick-detail" }, item.detail ?? "")));
    }
    root.append(h("h2", {}, title), items.length ? list : h("p", { class: "empty" }, empty),
                h("div", { class: "dialog-buttons" },
                  h("button", { type: "button", class: "btn", onclick: () => close(null) }, t("common.cancel"))));
  }, "wide");
}

// A small form: fields [{name, label, type: text|password|select, options: [[value, label]], value}].
export function askForm({ title, fields, confirmLabel, validate }) {
  return openDialog((root, close) => {
    const inputs = {};
    const error = h("p", { class: "form-error", role: "alert" });
    const rows = fields.map((field) => {
      let input;
      if (field.type === "select") {
        input = h("select", { name: field.name }, field.options.map(([value, label]) =>
          h("option", { value, selected: value === (field.value ?? "") }, label)));
      } else {
        input = h("input", { name: field.name, type: field.type ?? "text", autocomplete: "off",
                              inputmode: field.inputmode, maxlength: field.maxlength, value: field.value ?? "" });
      }
      inputs[field.name] = input;
      return h("label", { class: "field" }, h("span", {}, field.label), input);
    });
    const confirm = () => {
      const values = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value.trim()]));
      const problem = validate ? validate(values) : null;
      if (problem) { error.textContent = problem; return; }
      close(values);
    };
    root.append(form(confirm, h("h2", {}, title), h("div", { class: "form-grid" }, rows), error,
                     buttons(close, confirm, { confirmLabel })));
  }, "wide");
}

let cashiersCache = null;

// A manager's number and PIN for `action` ({cashier_code, pin}); null when cancelled.
export async function askManager({ action, roles, problem }) {
  cashiersCache ??= (await api("GET", "/api/cashiers")).cashiers;
  const approvers = cashiersCache.filter((c) => (roles?.length ? roles.includes(c.role) : c.role !== "cashier"));
  return openDialog((root, close) => {
    let chosen = approvers.length === 1 ? approvers[0] : null;
    const pin = h("input", { class: "pin-input", type: "password", inputmode: "numeric", maxlength: "8",
                              autocomplete: "off", "aria-label": t("lock.pin"), placeholder: t("lock.pin") });
    const error = h("p", { class: "form-error", role: "alert" }, problem ?? "");
    const tiles = h("div", { class: "tiles small" });
    const choose = (cashier) => {
      chosen = cashier;
      for (const tile of tiles.children) tile.setAttribute("aria-pressed", String(tile.dataset.code === cashier.code));
      pin.focus();
    };
    for (const cashier of approvers) {
      tiles.append(h("button", { type: "button", class: "tile", dataset: { code: cashier.code }, "aria-pressed": "false",
                                 onclick: () => choose(cashier) },
                     h("span", { class: "tile-name" }, cashier.name), h("span", { class: "tile-code" }, cashier.code)));
    }
    const confirm = () => {
      if (!chosen) { error.textContent = t("override.pick_manager"); return; }
      if (!/^\d{4,8}$/.test(pin.value)) { error.textContent = t("input.invalid_pin"); pin.select(); return; }
      close({ cashier_code: chosen.code, pin: pin.value });
    };
    root.append(form(confirm, h("h2", {}, t("override.title")),
                     h("p", {}, t("override.needed", { action: has(`action.${action}`) ? t(`action.${action}`) : action })),
                     tiles, pin, keypad(h("div"), pin), error, buttons(close, confirm, { confirmLabel: t("override.approve") })));
    if (chosen) choose(chosen);
  }, "wide");
}

// Run request(override) and, when the till answers override_required (or a wrong manager
// PIN), ask for a manager's approval and run it again with it. null when cancelled.
export async function withOverride(request) {
  let override;
  let problem = null;
  let last = null;
  for (;;) {
    try {
      return await request(override);
    } catch (error) {
      const retry = error instanceof ApiError && (error.code === "override_required"
        || (override && (error.code === "bad_credentials" || error.code === "override_not_allowed")));
      if (!retry) throw error;
      if (error.code === "override_required") last = error.details;
      problem = override ? errorText(error) : null;
      override = await askManager({ action: last?.action, roles: last?.roles, problem });
      if (!override) return null;
    }
  }
}


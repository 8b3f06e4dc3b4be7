// The lock screen: cashier tiles and a PIN pad. A login goes to the sale screen, which
// resumes the sale in progress (or to the shift screen when no shift is open).
import { has, t } from "./i18n.js";
import { api, errorText } from "./api.js";
import { h, keypad } from "./ui.js";
import { startClock } from "./chrome.js";

const $ = (id) => document.getElementById(id);
const pin = $("pin");
let chosen = null;

function choose(cashier, tile) {
  chosen = cashier;
  for (const other of $("tiles").children) other.setAttribute("aria-pressed", String(other === tile));
  $("pin-who").textContent = t("lock.pin_for", { name: cashier.name });
  $("pin-error").textContent = "";
  pin.disabled = false;
  $("login-btn").disabled = false;
  pin.value = "";
  pin.focus();
}

async function login(event) {
  event.preventDefault();
  if (!chosen) return;
  if (!/^\d{4,8}$/.test(pin.value)) {
    $("pin-error").textContent = t("input.invalid_pin");
    return;
  }
  $("login-btn").disabled = true;
  try {
    await api("POST", "/api/auth/login", { cashier_code: chosen.code, pin: pin.value });
    location.replace("/sale");
  } catch (error) {
    $("pin-error").textContent = errorText(error);
    pin.value = "";
    pin.focus();
    $("login-btn").disabled = false;
  }
}

async function start() {
  startClock();
  const reason = new URLSearchParams(location.search).get("reason");
  if (reason && has(`lock.reason.${reason}`)) {
    $("lock-reason").textContent = t(`lock.reason.${reason}`);
    $("lock-reason").hidden = false;
  }
  keypad($("pin-keypad"), pin);
  $("pin-form").addEventListener("submit", login);
  const { cashiers } = await api("GET", "/api/cashiers");
  const now = Date.now();
  $("tiles").replaceChildren(...cashiers.map((cashier) => {
    const locked = cashier.locked_until && Date.parse(cashier.locked_until) > now;
    const tile = h("button", { type: "button", class: "tile", "aria-pressed": "false", dataset: { code: cashier.code } },
      h("span", { class: "tile-name" }, cashier.name),
      h("span", { class: "tile-code" }, `${cashier.code} · ${t(`role.${cashier.role}`)}`),
      locked ? h("span", { class: "tile-locked" }, t("lock.locked")) : null);
    tile.addEventListener("click", () => choose(cashier, tile));
    return tile;
  }));
  $("tiles").querySelector("button")?.focus();
  $("lock").dataset.state = "ready";
}

start().catch((error) => { $("pin-error").textContent = errorText(error); });

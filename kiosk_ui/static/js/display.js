// The customer display (second screen): the lines, the total, what was paid and the
// change, fed live by the till over Socket.IO; an idle screen between customers.
import { money, qty } from "./i18n.js";
import { h } from "./ui.js";
import { startClock } from "./chrome.js";
import { connectLive } from "./live.js";

// after a sale, the change stays on screen this long (or until the next sale starts)
const THANKS_SECONDS = 60;
const $ = (id) => document.getElementById(id);
const main = $("display");
let idleTimer;

function render(state) {
  clearTimeout(idleTimer);
  const age = state.mode === "paid" ? Date.now() / 1000 - state.at : 0;
  const mode = state.mode === "paid" && age > THANKS_SECONDS ? "idle" : state.mode;
  main.dataset.mode = mode;
  $("d-idle").hidden = mode !== "idle";
  $("d-sale").hidden = mode === "idle";
  if (mode === "idle") return;
  $("d-lines").replaceChildren(...state.lines.map((line) => h("li", { class: line.discounted ? "discounted" : "" },
    h("span", { class: "d-name" }, line.name),
    h("span", { class: "d-qty" }, `${qty(line.qty_milli, line.unit)} × ${money(line.unit_price)}`),
    h("span", { class: "d-net" }, money(line.net)))));
  $("d-lines").lastElementChild?.scrollIntoView({ block: "end" });
  $("d-discount-row").hidden = !state.discount_total;
  $("d-discount").textContent = money(state.discount_total);
  $("d-total").textContent = money(state.total + state.rounding);
  $("d-paid-row").hidden = !state.paid;
  $("d-paid").textContent = money(state.paid + state.change);
  $("d-change-row").hidden = mode !== "paid";
  $("d-change").textContent = money(state.change);
  $("d-thanks").hidden = mode !== "paid";
  if (mode === "paid") idleTimer = setTimeout(() => render({ mode: "idle" }), (THANKS_SECONDS - age) * 1000);
}

startClock();
connectLive("display", {
  "display.update": (state) => {
    render(state);
    main.dataset.state = "ready";
  },
});

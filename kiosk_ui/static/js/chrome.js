// What every logged-in screen has: the status bar (clock, devices, head office, language),
// the lock button and the idle lock.
import { boot } from "./boot.js";
import { clock } from "./i18n.js";
import { logout } from "./api.js";
import { initStatusBar } from "./statusbar.js";
import { initKeyboard } from "./keyboard.js";

export function startClock() {
  const element = document.getElementById("sb-clock");
  if (!element) return;
  const tick = () => { element.textContent = clock(); };
  tick();
  setInterval(tick, 10_000);
}

export function initChrome() {
  startClock();
  initStatusBar();
  initKeyboard();
  document.getElementById("lock-btn")?.addEventListener("click", () => logout());
  // Idle lock: the till ends an idle session too; this locks the screen at the same time.
  let last = Date.now();
  const touch = () => { last = Date.now(); };
  for (const event of ["pointerdown", "keydown", "wheel"]) document.addEventListener(event, touch, true);
  setInterval(() => {
    if (Date.now() - last > boot.idle_seconds * 1000) logout("idle");
  }, 5_000);
}

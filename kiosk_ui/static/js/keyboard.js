// The on-screen keyboard for text fields (names, reasons, searches) on a till with a touch
// screen and no keyboard. It opens when a text field is touched (a finger or a pen; with
// the "always" setting, any tap or click), never when a field merely gets the focus, so a
// keyboard-wedge scanner (which types into the focused field) never opens it and its
// characters go straight into the field as before. A key types into the focused field
// with the events a real keyboard fires (keydown, keypress, beforeinput, input, keyup;
// Enter submits the field's form), so the pages' own handlers (live search, Enter to add,
// Enter to confirm a dialog) react as they do to a keyboard.
//
// Number fields that have a number pad beside them keep the pad (unless they say
// data-keyboard="on": a member's card number may have letters). A field opts out with
// data-keyboard="off".
import { t } from "./i18n.js";
import { h, toast } from "./ui.js";

const SETTING_KEY = "fleetpos.keyboard";
const TEXT_TYPES = new Set(["text", "search", "password", "tel", "url"]);
const ROWS = [
  ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "Backspace"],
  ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "-"],
  ["a", "s", "d", "f", "g", "h", "j", "k", "l", "'", "Enter"],
  ["Shift", "z", "x", "c", "v", "b", "n", "m", ",", ".", "/"],
  ["Close", "@", " ", "#"],
];
const SPECIAL = {
  Backspace: { label: "⌫", aria: "keyboard.backspace", wide: 1.5 },
  Enter: { label: "↵", text: "keyboard.enter", wide: 1.5 },
  Shift: { label: "⇧", aria: "keyboard.shift", wide: 1.5 },
  Close: { text: "keyboard.close", wide: 2 },
  " ": { text: "keyboard.space", wide: 7 },
};

// "touch": open when a field is touched with a finger or pen (the default);
// "always": open on any tap or click on a text field (a till with a mouse and no keyboard).
// Set once per till with ?keyboard=always (or touch) in the kiosk's start URL, or with
// the status bar's keyboard button; kept in the browser's storage for this till.
export function keyboardSetting() {
  return localStorage.getItem(SETTING_KEY) === "always" ? "always" : "touch";
}

export function setKeyboardSetting(value) {
  if (value !== "always" && value !== "touch") throw new Error(`keyboard setting must be always or touch: ${value}`);
  localStorage.setItem(SETTING_KEY, value);
}

// A field the keyboard types into: a text-like input or a textarea, enabled and writable,
// not a number field that has its own number pad.
export function wantsKeyboard(element) {
  if (!(element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement)) return false;
  if (element instanceof HTMLInputElement && !TEXT_TYPES.has(element.type)) return false;
  if (element.disabled || element.readOnly || element.dataset.keyboard === "off") return false;
  const numeric = ["numeric", "decimal"].includes(element.inputMode);
  if (numeric && element.dataset.keyboard !== "on") {
    const scope = element.closest("dialog") ?? document;
    if ([...scope.querySelectorAll(".keypad")].some((pad) => pad.offsetParent !== null)) return false;
  }
  return true;
}

let board = null;
let target = null; // the field the keyboard was opened for
let shifted = false;

function build() {
  const root = h("div", { class: "osk", id: "osk", role: "group", "aria-label": t("keyboard.title") },
    ROWS.map((row) => h("div", { class: "osk-row" }, row.map((key) => {
      const spec = SPECIAL[key] ?? {};
      return h("button", { type: "button", tabindex: "-1", class: "osk-key", dataset: { key },
                           style: `flex-grow: ${spec.wide ?? 1}`, "aria-label": spec.aria && t(spec.aria),
                           "aria-pressed": key === "Shift" ? "false" : null },
               spec.text ? t(spec.text) : spec.label ?? key);
    }))));
  // the keys never take the focus from the field they type into
  root.addEventListener("mousedown", (event) => event.preventDefault());
  root.addEventListener("click", (event) => {
    const button = event.target.closest(".osk-key");
    if (button) press(button.dataset.key);
  });
  return root;
}

function field() {
  const active = document.activeElement;
  if (wantsKeyboard(active)) return active;
  if (target?.isConnected && wantsKeyboard(target)) {
    target.focus();
    return target;
  }
  return null;
}

function keyEvent(type, key, element) {
  const code = key.length === 1 && /[a-z]/i.test(key) ? `Key${key.toUpperCase()}`
    : /^\d$/.test(key) ? `Digit${key}` : key === " " ? "Space" : key;
  return element.dispatchEvent(new KeyboardEvent(type, { key, code, bubbles: true, cancelable: true, composed: true,
                                                         shiftKey: key.length === 1 && key !== key.toLowerCase() }));
}

// What the browser does with a key in a text field: edit at the caret, then tell the page.
function edit(element, inputType, data) {
  if (!element.dispatchEvent(new InputEvent("beforeinput", { inputType, data, bubbles: true, cancelable: true, composed: true }))) {
    return;
  }
  const start = element.selectionStart ?? element.value.length;
  const end = element.selectionEnd ?? start;
  if (inputType === "deleteContentBackward") {
    if (start === end && start === 0) return;
    element.setRangeText("", start === end ? start - 1 : start, end, "end");
  } else {
    const room = element.maxLength >= 0 ? element.maxLength - (element.value.length - (end - start)) : Infinity;
    if (room < data.length) return;
    element.setRangeText(data, start, end, "end");
  }
  element.dispatchEvent(new InputEvent("input", { inputType, data, bubbles: true, composed: true }));
}

// Enter in a text field submits its form the way the browser does: through the form's
// submit button, or with no button when the field is the form's only text field.
function implicitSubmit(element) {
  const form = element.form;
  if (!form) return;
  const submit = form.querySelector("button:not([type]), button[type=submit], input[type=submit]");
  if (submit) {
    if (!submit.disabled) form.requestSubmit(submit);
  } else if ([...form.elements].filter((e) => e instanceof HTMLInputElement && TEXT_TYPES.has(e.type)).length === 1) {
    form.requestSubmit();
  }
}

function press(key) {
  if (key === "Close") return closeKeyboard();
  if (key === "Shift") {
    shifted = !shifted;
    render();
    return undefined;
  }
  const element = field();
  if (!element) return closeKeyboard();
  const typed = key.length === 1 && shifted ? key.toUpperCase() : key;
  if (keyEvent("keydown", typed, element)) {
    if (key === "Backspace") {
      edit(element, "deleteContentBackward", null);
    } else if (key === "Enter") {
      if (element instanceof HTMLTextAreaElement) edit(element, "insertLineBreak", "\n");
      else implicitSubmit(element);
    } else if (keyEvent("keypress", typed, element)) {
      edit(element, "insertText", typed);
    }
  }
  if (element.isConnected) keyEvent("keyup", typed, element);
  if (shifted && key.length === 1 && key !== " ") {
    shifted = false; // one capital, as a phone's keyboard does
    render();
  }
  return undefined;
}

function render() {
  if (!board) return;
  board.querySelector('[data-key="Shift"]').setAttribute("aria-pressed", String(shifted));
  for (const button of board.querySelectorAll(".osk-key")) {
    const key = button.dataset.key;
    if (key.length === 1 && /[a-z]/.test(key)) button.textContent = shifted ? key.toUpperCase() : key;
  }
}

export function keyboardOpen() {
  return Boolean(board?.isConnected && !board.hidden);
}

// Show the keyboard for `element`: at the bottom of the page, which gives it the room (the
// screen's panes shrink above it), or inside the open dialog (a modal dialog makes the rest
// of the page inert) with the dialog moved up above it.
export function openKeyboard(element) {
  board ??= build();
  target = element;
  const dialog = element.closest("dialog");
  const host = dialog ?? document.body;
  if (board.parentElement !== host) host.append(board);
  board.classList.toggle("in-dialog", Boolean(dialog));
  board.hidden = false;
  document.body.classList.add("osk-open");
  for (const open of document.querySelectorAll("dialog.osk-above")) if (open !== dialog) open.classList.remove("osk-above");
  dialog?.classList.add("osk-above");
  document.documentElement.style.setProperty("--osk-height", `${board.offsetHeight}px`);
  requestAnimationFrame(() => element.scrollIntoView({ block: "nearest" }));
}

export function closeKeyboard() {
  target = null;
  if (!board) return;
  board.hidden = true;
  document.body.classList.remove("osk-open");
  for (const dialog of document.querySelectorAll("dialog.osk-above")) dialog.classList.remove("osk-above");
}

export function initKeyboard() {
  const wanted = new URLSearchParams(location.search).get("keyboard");
  if (wanted === "always" || wanted === "touch") setKeyboardSetting(wanted);
  // A tap opens (or closes) the keyboard once it is over, at its click: opening or closing
  // moves the layout, and a tap's mouse events (and its click) must not land on what moved
  // under them. The focus a tap moves meanwhile is left to the click too.
  let touched = null;
  let tapping = false;
  let tapTimer;
  document.addEventListener("pointerdown", (event) => {
    if (board?.contains(event.target)) return;
    const element = event.target;
    tapping = true;
    clearTimeout(tapTimer);
    touched = wantsKeyboard(element) && (["touch", "pen"].includes(event.pointerType) || keyboardSetting() === "always")
      ? element : null;
  }, true);
  const tapOver = () => { tapTimer = setTimeout(() => { tapping = false; }, 400); };
  document.addEventListener("pointerup", tapOver, true);
  document.addEventListener("pointercancel", tapOver, true);
  document.addEventListener("click", (event) => {
    const element = touched;
    touched = null;
    tapping = false;
    if (board?.contains(event.target)) return;
    if (element && event.target === element && wantsKeyboard(element)) {
      openKeyboard(element);
    } else if (keyboardOpen() && event.target !== target) {
      setTimeout(closeKeyboard, 0); // a tap elsewhere: after its click has done its work
    }
  }, true);
  // once open, it follows the focus to the next text field of the same dialog (or of the
  // page), and goes away when the focus leaves for anything else (a dialog opening or
  // closing, a button)
  document.addEventListener("focusin", (event) => {
    if (!keyboardOpen() || tapping || board.contains(event.target)) return;
    const element = event.target;
    if (wantsKeyboard(element) && element.closest("dialog") === target?.closest("dialog")) openKeyboard(element);
    else closeKeyboard();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.isTrusted && keyboardOpen()) closeKeyboard();
  }, true);
  // the status bar's keyboard button: "always" on or off for this till
  const toggle = document.getElementById("sb-keyboard");
  if (toggle) {
    toggle.setAttribute("aria-pressed", String(keyboardSetting() === "always"));
    toggle.addEventListener("mousedown", (event) => event.preventDefault());
    toggle.addEventListener("click", () => {
      const always = keyboardSetting() !== "always";
      setKeyboardSetting(always ? "always" : "touch");
      toggle.setAttribute("aria-pressed", String(always));
      toast(t(always ? "keyboard.always_on" : "keyboard.touch_only"), "ok");
    });
  }
  document.getElementById("dialog")?.addEventListener("close", () => {
    if (target?.closest("dialog") || !target?.isConnected) closeKeyboard();
  });
}

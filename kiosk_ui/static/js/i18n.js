// One way to show text, money, quantities and times: the page's message catalog (the
// same one the server's templates use) and the browser's Intl for the page's locale.
import { boot } from "./boot.js";

export const locale = boot.locale;
const messages = boot.messages;
const store = boot.store;

export function has(key) {
  return Object.prototype.hasOwnProperty.call(messages, key);
}

// t(key, {name}) with the catalog's {name} placeholders; a missing key shows as itself.
export function t(key, params = {}) {
  const text = has(key) ? messages[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

const exponent = store.exponent;
const moneyFormat = new Intl.NumberFormat(locale, {
  style: "currency", currency: store.currency,
  minimumFractionDigits: exponent, maximumFractionDigits: exponent,
});

// Minor units as exact decimal text ("1250" -> "12.50"): no floating point on money.
export function plainAmount(minor) {
  const sign = minor < 0 ? "-" : "";
  const digits = String(Math.abs(minor)).padStart(exponent + 1, "0");
  return exponent ? `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}` : `${sign}${digits}`;
}

export function money(minor) {
  return moneyFormat.format(plainAmount(minor));
}

// "12.5" / "12.50" / "12" -> minor units; null when it is not an amount.
export function parseMoney(text) {
  const match = /^\s*(\d{1,12})(?:[.,](\d*))?\s*$/.exec(text ?? "");
  if (!match || (match[2] ?? "").length > exponent) return null;
  return Number(match[1]) * 10 ** exponent + Number((match[2] ?? "").padEnd(exponent, "0") || 0);
}

const countFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const weightFormat = new Intl.NumberFormat(locale, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
const percentFormat = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 });

export function count(n) {
  return countFormat.format(n);
}

// A line's quantity: pieces, or kilograms to the gram.
export function qty(milli, unit) {
  return unit === "kg" ? `${weightFormat.format(milli / 1000)} ${t("unit.kg")}` : countFormat.format(milli / 1000);
}

// A quantity as the cashier types it, grams of a kg product or pieces, and in thousandths
// (qty_milli) as the till keeps it.
export function toMilli(unit, typed) {
  return unit === "kg" ? typed : typed * 1000;
}

export function fromMilli(unit, milli) {
  return unit === "kg" ? milli : milli / 1000;
}

export function percent(bp) {
  return percentFormat.format(bp / 10000);
}

const dateTimeFormat = new Intl.DateTimeFormat(locale, {
  dateStyle: "medium", timeStyle: "short", timeZone: store.timezone,
});
const timeFormat = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: store.timezone });

export function dateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "";
}

export function clock(date = new Date()) {
  return timeFormat.format(date);
}

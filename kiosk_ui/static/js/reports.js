// The manager's day report: the summary, sales by hour, top products and sales by
// cashier as small SVG charts (charts.js), payments, and the CSV downloads.
import { boot } from "./boot.js";
import { count, money, t } from "./i18n.js";
import { api } from "./api.js";
import { h } from "./ui.js";
import { barChart, columnChart } from "./charts.js";

const $ = (id) => document.getElementById(id);
const TOP_PRODUCTS = 10;
const CSV_SECTIONS = ["summary", "by_hour", "by_product", "by_category", "by_cashier", "by_payment"];

// today in the store's time zone, as YYYY-MM-DD
function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: boot.store.timezone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

function figure(label, value, key, text = money(value)) {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", { "data-figure": key, "data-value": String(value) }, text));
}

function chartCard(title, chart, testid) {
  return h("figure", { class: "chart-card", "data-chart": testid }, h("figcaption", {}, title), chart);
}

export async function loadReport() {
  const input = $("report-day");
  if (!input.value) {
    input.value = today();
    input.onchange = () => loadReport();
  }
  const { report } = await api("GET", `/api/reports/day?date=${encodeURIComponent(input.value)}`);
  const s = report.summary;
  const summary = h("table", { class: "report-table" }, h("caption", {}, t("reports.summary")), h("tbody", {},
    figure(t("report.sales_count"), s.sales_count, "sales_count", count(s.sales_count)),
    figure(t("sale.total"), s.total, "total"),
    figure(t("sale.discount"), -s.discount_total, "discount_total"),
    figure(t("reports.average"), s.average_sale, "average_sale"),
    figure(t("reports.refunds"), -s.refunds_payout, "refunds_payout"),
    figure(t("reports.net"), s.net_after_refunds, "net_after_refunds"),
    figure(t("reports.margin"), s.gross_margin, "gross_margin")));
  const payments = h("table", { class: "report-table" }, h("caption", {}, t("report.payments")), h("tbody", {},
    report.by_payment.map((row) => figure(`${t(`method.${row.method}`)} (${count(row.count)})`, row.net, `payment.${row.method}`))));
  const hours = report.by_hour.map((row) => ({ label: String(row.hour), value: row.total }));
  const products = report.by_product.slice(0, TOP_PRODUCTS).map((row) => ({ label: row.name, value: row.net }));
  const cashiers = report.by_cashier.map((row) => ({ label: row.name || row.cashier, value: row.total,
                                                     note: t("sale.lines_count", { n: row.sales_count }) }));
  const empty = (items) => !items.some((item) => item.value);
  $("report-heading").textContent = t("reports.title_for", { day: report.date });
  $("report-body").replaceChildren(
    h("div", { class: "report-grid" }, summary, payments),
    h("div", { class: "charts" },
      chartCard(t("reports.by_hour"), empty(hours) ? h("p", { class: "empty" }, t("reports.no_sales"))
        : columnChart({ items: hours, format: money, title: t("reports.by_hour"), labelEvery: 2 }), "by_hour"),
      chartCard(t("reports.top_products"), empty(products) ? h("p", { class: "empty" }, t("reports.no_sales"))
        : barChart({ items: products, format: money, title: t("reports.top_products") }), "top_products"),
      chartCard(t("reports.by_cashier"), empty(cashiers) ? h("p", { class: "empty" }, t("reports.no_sales"))
        : barChart({ items: cashiers, format: money, title: t("reports.by_cashier") }), "by_cashier")),
    h("p", { class: "csv-links" }, t("reports.csv"), " ", CSV_SECTIONS.map((section) => h("a", {
      class: "btn small", href: `/api/reports/day.csv?date=${report.date}&section=${section}`, download: "" },
    t(`reports.section.${section}`)))));
}

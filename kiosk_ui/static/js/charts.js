// Small SVG bar charts for the manager's reports, drawn here rather than with a charting
// library (the Pi stays light): vertical bars over a sequence (sales by hour) and
// horizontal bars for a ranking (top products, by cashier). Values are numbers (money in
// minor units); `format` writes them for people. Each bar has a <title> for its figure.
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// A round top for an axis: 1, 2 or 5 times a power of ten at or above `max`.
export function niceMax(max) {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

// items: [{label, value}] in order; a column per item with the label under it.
export function columnChart({ items, format, title, height = 200, labelEvery = 1 }) {
  const width = 420;
  const left = 70;
  const bottom = 22;
  const top = 8;
  const plotHeight = height - top - bottom;
  const top_value = niceMax(Math.max(0, ...items.map((item) => item.value)));
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart column-chart", role: "img",
                          "aria-label": title, preserveAspectRatio: "xMidYMid meet" });
  svg.append(el("title", {}, title));
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotHeight * (1 - fraction);
    svg.append(el("line", { x1: left, x2: width, y1: y, y2: y, class: "grid-line" }),
               el("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "axis" }, format(top_value * fraction)));
  }
  const slot = (width - left) / Math.max(1, items.length);
  items.forEach((item, index) => {
    const barHeight = plotHeight * (item.value / top_value);
    const x = left + index * slot + slot * 0.15;
    const bar = el("rect", { x, y: top + plotHeight - barHeight, width: slot * 0.7, height: Math.max(0, barHeight),
                             class: "bar", "data-label": item.label, "data-value": item.value });
    bar.append(el("title", {}, `${item.label}: ${format(item.value)}`));
    svg.append(bar);
    if (index % labelEvery === 0) {
      svg.append(el("text", { x: x + slot * 0.35, y: height - 6, "text-anchor": "middle", class: "axis" }, item.label));
    }
  });
  return svg;
}

// items: [{label, value, note?}] largest first; a row per item, its figure at the bar's end.
export function barChart({ items, format, title }) {
  const width = 420;
  const row = 28;
  const labelWidth = 130;
  const height = Math.max(1, items.length) * row + 6;
  const max = Math.max(0, ...items.map((item) => item.value)) || 1;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart bar-chart", role: "img", "aria-label": title });
  svg.append(el("title", {}, title));
  items.forEach((item, index) => {
    const y = 3 + index * row;
    const barWidth = (width - labelWidth - 90) * (Math.max(0, item.value) / max);
    const label = item.label.length > 10 ? `${item.label.slice(0, 9)}…` : item.label;
    svg.append(el("text", { x: labelWidth - 8, y: y + row * 0.62, "text-anchor": "end", class: "label" }, label));
    const bar = el("rect", { x: labelWidth, y: y + 3, width: barWidth, height: row - 8, class: "bar",
                             "data-label": item.label, "data-value": item.value });
    bar.append(el("title", {}, `${item.label}: ${format(item.value)}${item.note ? ` (${item.note})` : ""}`));
    svg.append(bar, el("text", { x: labelWidth + barWidth + 6, y: y + row * 0.62, class: "figure" },
                       format(item.value)));
  });
  return svg;
}

// YASR view "Timeline": rows with a date (xsd:gYear, xsd:gYearMonth, xsd:date, xsd:dateTime) on a horizontal
// axis, drawn as SVG. A row with two dates (e.g. ?start ?end) is a bar from the first to the second; the row's
// name is its first `…Label` column, else its first text column, else its first IRI.

import { compact, fallbackLabel, isLocal, thingHref } from "./common.js";
import { icon } from "./graph.js";

const XSD = "http://www.w3.org/2001/XMLSchema#";
const DATE_TYPES = new Set(["gYear", "gYearMonth", "date", "dateTime"].map((t) => XSD + t));
const SVG = "http://www.w3.org/2000/svg";
const ROW = 22;
const LABEL_WIDTH = 260;
const MAX_ROWS = 500;

/** A date literal as a fractional year (1993-09-13 → 1993.70), or null. */
export function yearOf(term) {
  if (!term || !term.datatype || !DATE_TYPES.has(term.datatype)) return null;
  const m = /^(-?\d{1,6})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(term.value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = m[2] ? Number(m[2]) - 1 : 0;
  const day = m[3] ? Number(m[3]) - 1 : 0;
  return year + (month + day / 31) / 12;
}

/** The rows to draw: {label, href, start, end, when} sorted by start. */
export function timelineRows(vars, bindings, { cfg, prefixes }) {
  const dateVars = vars.filter((v) => bindings.some((row) => yearOf(row[v]) !== null));
  const labelVar =
    vars.find((v) => v.endsWith("Label") && !dateVars.includes(v)) ||
    vars.find((v) => !dateVars.includes(v) && bindings.some((row) => row[v] && row[v].type !== "uri" && yearOf(row[v]) === null));
  const iriVar = vars.find((v) => bindings.some((row) => row[v] && row[v].type === "uri"));
  const startVar = dateVars.find((v) => /start|begin|from/i.test(v));
  const endVar = dateVars.find((v) => /end|until|to$/i.test(v));
  const rows = [];
  for (const row of bindings) {
    const at = (v) => (v && row[v] && yearOf(row[v]) !== null ? { year: yearOf(row[v]), text: row[v].value } : null);
    // A start and an end make a span; otherwise the first date of the row is a point.
    const first = dateVars.map(at).find(Boolean);
    const start = at(startVar) || first;
    if (!start) continue;
    const endAt = at(endVar);
    const end = endAt && endAt.year > start.year ? endAt : null;
    const iri = iriVar && row[iriVar] ? row[iriVar].value : null;
    const label =
      (labelVar && row[labelVar] && row[labelVar].value) || (iri ? compact(iri, prefixes) || fallbackLabel(iri) : "(row)");
    rows.push({
      label,
      iri,
      href: iri ? thingHref(iri, cfg) : null,
      local: iri ? isLocal(iri, cfg) : false,
      start: start.year,
      end: end ? end.year : null,
      when: end ? `${start.text} – ${end.text}` : start.text,
    });
  }
  return rows.sort((a, b) => a.start - b.start || a.label.localeCompare(b.label));
}

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An SVG timeline of the rows, `width` pixels wide. */
export function drawTimeline(rows, width = 900) {
  const shown = rows.slice(0, MAX_ROWS);
  const first = Math.min(...shown.map((r) => r.start));
  const last = Math.max(...shown.map((r) => r.end ?? r.start));
  const pad = Math.max(1, Math.round((last - first) * 0.04));
  const min = Math.floor(first) - pad;
  const max = Math.ceil(last) + pad;
  const span = Math.max(1, max - min);
  const plot = Math.max(200, width - LABEL_WIDTH - 20);
  const x = (year) => LABEL_WIDTH + ((year - min) / span) * plot;
  const height = shown.length * ROW + 40;
  const svg = svgEl("svg", {
    class: "timeline",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": `Timeline of ${shown.length} results from ${min} to ${max - 1}`,
  });
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].find((s) => span / s <= 12) || 1000;
  const axis = svgEl("g", { class: "tl-axis" });
  for (let year = Math.ceil(min / step) * step; year <= max; year += step) {
    axis.append(svgEl("line", { x1: x(year), x2: x(year), y1: 20, y2: height - 4, class: "tl-grid" }));
    axis.append(svgEl("text", { x: x(year), y: 14, "text-anchor": "middle", class: "tl-year" }, String(year)));
  }
  svg.append(axis);
  shown.forEach((row, i) => {
    const y = 30 + i * ROW;
    const group = svgEl("g", { class: "tl-row" });
    const title = svgEl("title", {}, `${row.label}: ${row.when}`);
    const name = svgEl("text", { x: LABEL_WIDTH - 10, y: y + 4, "text-anchor": "end", class: "tl-label" }, truncate(row.label, 38));
    let mark;
    if (row.end !== null && row.end > row.start) {
      mark = svgEl("rect", { x: x(row.start), y: y - 6, width: Math.max(4, x(row.end) - x(row.start)), height: 12, rx: 3, class: "tl-bar" });
    } else {
      mark = svgEl("circle", { cx: x(row.start), cy: y, r: 6, class: "tl-point" });
    }
    const after = row.end !== null ? x(row.end) : x(row.start);
    const roomRight = width - after > 12 + 7 * row.when.length;
    const when = roomRight
      ? svgEl("text", { x: after + 10, y: y + 4, class: "tl-when" }, row.when)
      : svgEl("text", { x: x(row.start) - 10, y: y + 4, "text-anchor": "end", class: "tl-when" }, row.when);
    group.append(title, mark, when);
    if (row.href) {
      const link = svgEl("a", { href: row.href, class: "tl-link" });
      if (!row.local) link.setAttribute("target", "_blank");
      link.append(name);
      group.append(link);
    } else group.append(name);
    svg.append(group);
  });
  return svg;
}

function truncate(text, n) {
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

/** The YASR plugin. */
export function makeTimelinePlugin(cfg) {
  return class TimelinePlugin {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 4;
      this.label = "Timeline";
    }

    rows() {
      const results = this.yasr.results;
      return timelineRows(results.getVariables() || [], results.getBindings() || [], { cfg, prefixes: this.yasr.getPrefixes() });
    }

    canHandleResults() {
      const results = this.yasr.results;
      if (!results || results.hasError() || results.getType() === "ttl" || results.getBoolean() !== undefined) return false;
      const bindings = results.getBindings() || [];
      return bindings.some((row) => Object.values(row).some((t) => yearOf(t) !== null));
    }

    draw() {
      const rows = this.rows();
      const box = document.createElement("div");
      box.className = "results-timeline";
      const width = Math.max(640, this.yasr.resultsEl.clientWidth || 900);
      box.append(drawTimeline(rows, width));
      if (rows.length > MAX_ROWS) {
        const note = document.createElement("p");
        note.className = "graph-help";
        note.textContent = `Only the first ${MAX_ROWS} of ${rows.length} dated rows are drawn.`;
        box.append(note);
      }
      this.yasr.resultsEl.appendChild(box);
    }

    getIcon() {
      // an axis with marks and a bar
      return icon("M1 13h14v1H1z", "M3 10h1v3H3zM8 10h1v3H8zM13 10h1v3h-1z", "M3 3h8v2H3zM6 6.5h8v2H6z");
    }
  };
}

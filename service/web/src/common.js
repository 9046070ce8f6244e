// Shared helpers of the pages: the page's configuration, links to things, fetching JSON, small DOM builders.

/** The configuration the server put in <script type="application/json" id="page-config">. */
export function pageConfig() {
  const node = document.getElementById("page-config");
  return node ? JSON.parse(node.textContent) : {};
}

/** An element with attributes and children (strings become text nodes; null children are skipped). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An error carrying the server's problem details (RFC 9457), when there are some. */
export class ApiError extends Error {
  constructor(status, problem, url) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status} from ${url}`);
    this.status = status;
    this.problem = problem || {};
    this.url = url;
  }
}

/** GET a JSON document; throws ApiError with the problem details on a non-2xx answer. */
export async function getJSON(url, { signal } = {}) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, signal });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, body, url);
  return body;
}

/** A URL with query parameters (empty values left out). */
export function withParams(base, params) {
  const url = new URL(base, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
  }
  return url.pathname + url.search;
}

/** Where a thing is shown on this site: our things under {root}id/… (which dereference to their pages),
 *  vocabulary terms under {root}def…; other http(s) IRIs as they are; null for any other scheme. */
export function thingHref(iri, cfg) {
  if (!iri) return null;
  if (cfg.idBase && iri.startsWith(cfg.idBase)) return cfg.root + "id/" + iri.slice(cfg.idBase.length);
  if (cfg.vocab && iri.startsWith(cfg.vocab)) return cfg.root + "def" + iri.slice(cfg.vocab.length);
  return /^https?:/i.test(iri) ? iri : null; // javascript:, data:, urn: … are shown, never linked
}

/** Whether an IRI is one of ours (a page on this site). */
export function isLocal(iri, cfg) {
  return !!iri && ((cfg.idBase && iri.startsWith(cfg.idBase)) || (cfg.vocab && iri.startsWith(cfg.vocab)));
}

/** The prefixed name of an IRI with the given prefixes, or null. */
export function compact(iri, prefixes) {
  let best = null;
  for (const [name, ns] of Object.entries(prefixes || {})) {
    if (iri.startsWith(ns)) {
      const local = iri.slice(ns.length);
      if (/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(local) || local === "") {
        const candidate = `${name}:${local}`;
        if (!best || candidate.length < best.length) best = candidate;
      }
    }
  }
  return best;
}

/** A readable name for an IRI without a label: its last segment, hyphens as spaces. */
export function fallbackLabel(iri) {
  const tail = String(iri).replace(/[#/]+$/, "").split(/[#/]/).pop() || iri;
  try {
    return decodeURIComponent(tail).replace(/[-_]+/g, " ");
  } catch {
    return tail;
  }
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
  "November", "December"];

/** A date as people write it: "1993-08-20" → "20 August 1993", "1993-08" → "August 1993"; a year, or anything
 *  else, as it is. */
export function dateInWords(date) {
  const m = String(date ?? "").match(/^(-?\d{4})-(\d{2})(?:-(\d{2}))?/);
  if (!m || !MONTHS[Number(m[2]) - 1]) return String(date ?? "");
  const month = `${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
  return m[3] ? `${Number(m[3])} ${month}` : month;
}

/** The kind of one of our things, read from its IRI (person, org, work, …). */
export function kindOf(iri, cfg) {
  if (cfg.idBase && iri.startsWith(cfg.idBase)) return iri.slice(cfg.idBase.length).split("/")[0];
  if (cfg.vocab && iri.startsWith(cfg.vocab + "/")) return iri.slice(cfg.vocab.length + 1).split("/")[0];
  return "thing";
}

/** Debounce: call fn after `ms` of quiet. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Show a message in a status box: kind is "info", "error" or "busy"; children are nodes or strings. */
export function setStatus(box, kind, ...children) {
  box.replaceChildren(...children.flat().map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  box.className = `status-box ${kind || ""}`.trim();
  box.hidden = children.length === 0;
}

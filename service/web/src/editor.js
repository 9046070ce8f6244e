// The SPARQL editor at /editor (and at /sparql for browsers): YASQE to write, YASR to read the results, with our
// prefixes, autocompletion of our classes, properties and things, the named queries as examples, and two views of
// our own (Graph, Timeline). The query is kept in the page address (#query=…), so every state can be shared.

import Yasqe from "@zazuko/yasqe";
import Yasr from "@zazuko/yasr";
import { el, getJSON, pageConfig, compact, setStatus } from "./common.js";
import { searchThings } from "./search.js";
import { makeGraphPlugin } from "./results-graph.js";
import { makeTimelinePlugin } from "./results-timeline.js";

const cfg = pageConfig();
const OUR_PREFIXES = cfg.prefixes || {};

// --- autocompletion ---------------------------------------------------------------------------------

/** Labels of suggested terms, by the text inserted (shown beside the suggestion). */
const hintLabels = new Map();

function allPrefixes(yasqe) {
  return { ...OUR_PREFIXES, ...(yasqe.getPrefixesFromQuery() || {}) };
}

/** What the user typed, as the start of an IRI (prefixed names expanded with ours and the query's prefixes). */
function typedIri(yasqe, token) {
  const text = token.string.trim();
  if (text.startsWith("<")) return { iri: text.replace(/^</, "").replace(/>$/, ""), local: "" };
  const colon = text.indexOf(":");
  if (colon < 0) return { iri: null, local: text };
  const prefix = text.slice(0, colon);
  const ns = allPrefixes(yasqe)[prefix];
  return { iri: ns ? ns + text.slice(colon + 1) : null, local: text.slice(colon + 1), prefix, ns };
}

function insertable(yasqe, iri) {
  return compact(iri, allPrefixes(yasqe)) || `<${iri}>`;
}

function termCompleter(name, { terms, isValidCompletionPosition }) {
  return {
    name,
    bulk: false,
    autoShow: true,
    persistenceId: null,
    isValidCompletionPosition,
    preProcessToken: (_yasqe, token) => token,
    get: async (yasqe, token) => {
      const list = await terms();
      const { iri, local } = typedIri(yasqe, token);
      const words = (local || "").toLowerCase().replace(/[-_]/g, " ");
      const found = list.filter(
        (t) => (iri && t.iri.startsWith(iri)) || (words && t.label && t.label.toLowerCase().includes(words)),
      );
      return found.slice(0, 60).map((t) => {
        hintLabels.set(insertable(yasqe, t.iri), t.label || "");
        return t.iri;
      });
    },
    postProcessSuggestion: (yasqe, _token, iri) => insertable(yasqe, iri),
    postprocessHints: (_yasqe, hints) =>
      hints.map((h) => ({ ...h, displayText: hintLabels.get(h.text) ? `${h.text}  —  ${hintLabels.get(h.text)}` : h.text })),
  };
}

let vocabulary = null;
function loadVocabulary() {
  vocabulary = vocabulary || getJSON(cfg.api.vocabulary).catch(() => ({ classes: [], properties: [] }));
  return vocabulary;
}

function isVariable(token) {
  return token.string.startsWith("?") || token.string.startsWith("$");
}

const thingPrefixes = Object.entries(OUR_PREFIXES)
  .filter(([, ns]) => cfg.idBase && ns.startsWith(cfg.idBase))
  .map(([name]) => name + ":");

Yasqe.registerAutocompleter(
  termCompleter("bc-properties", {
    terms: async () => (await loadVocabulary()).properties,
    isValidCompletionPosition: (yasqe) => {
      const token = yasqe.getCompleteToken();
      if (!token.string.length || isVariable(token)) return false;
      return token.state.possibleCurrent.indexOf("a") >= 0;
    },
  }),
  false,
);

Yasqe.registerAutocompleter(
  termCompleter("bc-classes", {
    terms: async () => (await loadVocabulary()).classes,
    isValidCompletionPosition: (yasqe) => {
      const token = yasqe.getCompleteToken();
      if (!token.string.length || isVariable(token)) return false;
      const cursor = yasqe.getDoc().getCursor();
      const previous = yasqe.getPreviousNonWsToken(cursor.line, token);
      const property = previous && previous.state ? previous.state.lastProperty : "";
      return property === "a" || property === "rdf:type" || property.endsWith("22-rdf-syntax-ns#type>");
    },
  }),
  false,
);

Yasqe.registerAutocompleter(
  {
    name: "bc-things",
    bulk: false,
    autoShow: true,
    persistenceId: null,
    isValidCompletionPosition: (yasqe) => {
      const token = yasqe.getCompleteToken();
      const text = token.string;
      if (isVariable(token) || token.state.possibleCurrent.indexOf("a") >= 0) return false;
      return thingPrefixes.some((p) => text.startsWith(p) && text.length > p.length) || (cfg.idBase && text.startsWith("<" + cfg.idBase));
    },
    preProcessToken: (_yasqe, token) => token,
    get: async (yasqe, token) => {
      const { local } = typedIri(yasqe, token);
      const words = (local || token.string).replace(/^<.*\//, "").replace(/[-_]/g, " ").trim();
      if (words.length < 2) return [];
      const found = await searchThings(cfg, words).catch(() => []);
      return found.map((t) => {
        hintLabels.set(insertable(yasqe, t.iri), t.label || "");
        return t.iri;
      });
    },
    postProcessSuggestion: (yasqe, _token, iri) => insertable(yasqe, iri),
    postprocessHints: (_yasqe, hints) =>
      hints.map((h) => ({ ...h, displayText: hintLabels.get(h.text) ? `${h.text}  —  ${hintLabels.get(h.text)}` : h.text })),
  },
  false,
);

// Our prefixes (not the public list): typing `bc:` adds `PREFIX bc: <…>` when the query lacks it.
Yasqe.forkAutocompleter(
  "prefixes",
  {
    name: "bc-prefixes",
    persistenceId: null,
    get: () => Object.entries(OUR_PREFIXES).map(([name, ns]) => `${name}: <${ns}>`).sort(),
  },
  false,
);

/** Declare the prefixes that the query uses without declaring them (when they are ours). */
function declareMissingPrefixes(yasqe) {
  const declared = yasqe.getPrefixesFromQuery() || {};
  const missing = {};
  const doc = yasqe.getDoc();
  for (let line = 0; line < doc.lineCount(); line++) {
    for (const token of yasqe.getLineTokens(line)) {
      if (token.type !== "string-2") continue;
      const colon = token.string.indexOf(":");
      const prefix = colon >= 0 ? token.string.slice(0, colon) : null;
      if (prefix !== null && !(prefix in declared) && prefix in OUR_PREFIXES) missing[prefix] = OUR_PREFIXES[prefix];
    }
  }
  if (Object.keys(missing).length) yasqe.addPrefixes(missing);
}

// --- results views ------------------------------------------------------------------------------------

Yasr.registerPlugin("graph", makeGraphPlugin(cfg));
Yasr.registerPlugin("timeline", makeTimelinePlugin(cfg));

/** Problem details (RFC 9457) from the endpoint, shown as a readable message. */
async function renderProblem(error) {
  let problem = null;
  try {
    problem = JSON.parse(error.text);
  } catch {
    return undefined;
  }
  if (!problem || typeof problem !== "object" || !problem.detail) return undefined;
  const where = problem.line ? ` (line ${problem.line}, column ${problem.column})` : "";
  return el(
    "div",
    { class: "problem" },
    el("p", { class: "problem-title" }, `${problem.title || "Error"}${problem.status ? ` (${problem.status})` : ""}${where}`),
    el("pre", { class: "problem-detail" }, problem.detail),
  );
}

// --- the page -------------------------------------------------------------------------------------------

/** Names for the results' controls that YASR leaves unnamed (the page-size select, the filter box). */
function nameResultControls(host) {
  for (const select of host.querySelectorAll("select.tableSizer, .dataTables_length select")) {
    if (!select.getAttribute("aria-label")) select.setAttribute("aria-label", "Rows per page");
  }
  for (const input of host.querySelectorAll(".tableFilter, .dataTables_filter input")) {
    if (!input.getAttribute("aria-label")) input.setAttribute("aria-label", "Filter the results");
  }
}

/** A view that does not fit the results (a timeline without dates) is greyed out by YASR: say so to assistive
 *  technology too (a greyed-out control need not meet the contrast of an active one), whenever YASR changes it. */
function markDisabledViews(host) {
  const mark = () => {
    for (const button of host.querySelectorAll(".yasr_btn")) {
      const disabled = String(button.classList.contains("disabled"));
      if (button.getAttribute("aria-disabled") !== disabled) button.setAttribute("aria-disabled", disabled);
    }
  };
  new MutationObserver(mark).observe(host, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
  mark();
}

/** What CodeMirror leaves out for screen readers and keyboards: a name for the text area that receives the
 *  typing, and a way to reach (and scroll) the text with the keyboard when it is longer than the box. */
function makeAccessible(yasqe) {
  const input = yasqe.getInputField();
  input.setAttribute("aria-label", "SPARQL query");
  input.setAttribute("aria-describedby", "editor-keys");
  const scroller = yasqe.getScrollerElement();
  scroller.setAttribute("tabindex", "0");
  for (const button of document.querySelectorAll(".yasqe_buttons button, .yasqe_buttons .yasqe_share")) {
    if (!button.getAttribute("aria-label") && button.title) button.setAttribute("aria-label", button.title);
  }
}

function shareLink(query) {
  return `${window.location.origin}${cfg.root}editor#query=${encodeURIComponent(query)}`;
}

/** The query in the page address: #query=… (what share links carry) wins over ?query=. */
function queryFromAddress() {
  const hash = new URLSearchParams(window.location.hash.slice(1));
  if (hash.get("query")) return hash.get("query");
  return null;
}

function remember(query) {
  const url = `${window.location.pathname}#query=${encodeURIComponent(query)}`;
  if (url !== window.location.pathname + window.location.hash) window.history.replaceState(null, "", url);
}

async function main() {
  const yasqeHost = document.getElementById("yasqe");
  const yasrHost = document.getElementById("yasr");
  const plain = document.getElementById("plain-query");
  const tools = document.getElementById("editor-tools");
  const examplesBox = document.getElementById("examples");
  const shareButton = document.getElementById("share");
  const shareStatus = document.getElementById("share-status");
  if (plain) plain.hidden = true;
  if (tools) tools.hidden = false;

  const fromAddress = queryFromAddress();
  const initial = fromAddress || cfg.query || cfg.defaultQuery || "";
  const autorun = Boolean(fromAddress || cfg.query);

  // Replace (not merge: the libraries merge arrays index by index) the default lists.
  Yasqe.defaults.autocompleters = ["variables", "bc-prefixes", "bc-properties", "bc-classes", "bc-things"];
  Yasr.defaults.pluginOrder = ["table", "graph", "timeline", "response"];
  const yasqe = new Yasqe(yasqeHost, {
    value: initial,
    persistenceId: null,
    consumeShareLink: null,
    createShareableLink: (y) => shareLink(y.getValue()),
    editorHeight: "320px",
    lineWrapping: true, // long lines wrap, rather than scroll sideways (phones)
    requestConfig: {
      endpoint: window.location.origin + cfg.endpoint,
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle",
      acceptHeaderUpdate: "text/plain,*/*;q=0.9",
    },
  });
  const yasr = new Yasr(yasrHost, {
    persistenceId: null,
    prefixes: () => allPrefixes(yasqe),
    defaultPlugin: "table",
    errorRenderers: [renderProblem],
    getPlainQueryLinkToEndpoint: () => `${cfg.endpoint}?query=${encodeURIComponent(yasqe.getValue())}`,
  });
  window.backchannel = Object.assign(window.backchannel || { graphs: {} }, { yasqe, yasr });
  makeAccessible(yasqe);
  yasr.on("drawn", () => nameResultControls(yasrHost));
  markDisabledViews(yasrHost);

  declareMissingPrefixes(yasqe);
  yasqe.on("queryBefore", (y) => {
    declareMissingPrefixes(y);
    remember(y.getValue());
    yasrHost.classList.add("busy");
  });
  yasqe.on("queryResponse", (_y, response, duration) => {
    yasrHost.classList.remove("busy");
    yasr.setResponse(response, duration);
    const truncated = response && response.headers && response.headers.get && response.headers.get("X-Backchannel-Truncated");
    const limit = response && response.headers && response.headers.get && response.headers.get("X-Backchannel-Row-Limit");
    const note = document.getElementById("truncated-note");
    if (truncated === "true") {
      const text = `Only the first ${limit} rows are shown: add a LIMIT, or page with LIMIT/OFFSET.`;
      if (note) note.textContent = text;
      else yasrHost.before(el("p", { id: "truncated-note", class: "status-box info" }, text));
    } else if (note) note.remove();
  });

  const run = () => yasqe.query().catch(() => {});

  // Examples: the named queries, with their example values bound.
  let examples = [];
  getJSON(cfg.api.examples)
    .then((doc) => {
      examples = (doc && doc.examples) || [];
      for (const ex of examples) {
        examplesBox.append(el("option", { value: ex.name, title: ex.description || "" }, ex.summary || ex.name));
      }
      if (cfg.example) {
        const ex = examples.find((e) => e.name === cfg.example);
        if (ex && !fromAddress) {
          examplesBox.value = ex.name;
          yasqe.setValue(ex.query);
          run();
        } else if (!ex) setStatus(shareStatus, "error", `There is no example called “${cfg.example}”.`);
      }
    })
    .catch(() => {
      examplesBox.disabled = true;
      examplesBox.title = "The named queries could not be loaded";
    });
  examplesBox.addEventListener("change", () => {
    const ex = examples.find((e) => e.name === examplesBox.value);
    if (!ex) return;
    yasqe.setValue(ex.query);
    run();
  });

  shareButton.addEventListener("click", async () => {
    const link = shareLink(yasqe.getValue());
    remember(yasqe.getValue());
    try {
      await navigator.clipboard.writeText(link);
      setStatus(shareStatus, "info", "Link copied.");
    } catch {
      const field = el("input", { type: "text", readonly: true, value: link, class: "share-link", "aria-label": "Link to this query" });
      setStatus(shareStatus, "info", field);
      field.select();
    }
  });

  window.addEventListener("hashchange", () => {
    const query = queryFromAddress();
    if (query && query !== yasqe.getValue()) {
      yasqe.setValue(query);
      run();
    }
  });

  if (autorun && !cfg.example) run();
}

main();

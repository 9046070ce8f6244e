// The path explorer at /explore: two things, the shortest chains of statements between them as a graph, and each
// chain explained in plain English with its sources. The question is the page address (/explore?from=…&to=…).

import { ApiError, el, getJSON, pageConfig, setStatus, thingHref, isLocal, withParams, fallbackLabel } from "./common.js";
import { columnsLayout, drawGraph, highlight, KIND_COLOURS } from "./graph.js";
import { searchBox, valueOf, thingsIn } from "./search.js";
import { normalisePaths } from "./paths-api.js";

const cfg = pageConfig();
const PARAMS = [
  "from", "to", "mode", "k", "max_length", "include_predicates", "exclude_predicates", "include_kinds",
  "exclude_kinds", "max_degree", "after", "before", "directed",
];

const form = document.getElementById("path-form");
const status = document.getElementById("explore-status");
const results = document.getElementById("explore-results");
const canvas = document.getElementById("path-graph");
const list = document.getElementById("path-list");
const inputs = Object.fromEntries(PARAMS.map((name) => [name, form.elements.namedItem(name)]));

let controller = null;

/** The question in the form, as query parameters (empty fields left out). */
function questionFromForm() {
  const q = {};
  for (const name of PARAMS) {
    const input = inputs[name];
    if (!input) continue;
    let value;
    if (name === "from" || name === "to") value = valueOf(input);
    else if (input.type === "checkbox") value = input.checked ? "true" : "";
    else value = input.value.trim();
    if (value) q[name] = value;
  }
  return q;
}

/** Fill the form from a question (labels for IRIs come later, from the answer). */
function fillForm(question) {
  for (const name of PARAMS) {
    const input = inputs[name];
    if (!input) continue;
    if (input.type === "checkbox") input.checked = ["true", "1", "yes"].includes(question[name] || "");
    else input.value = question[name] || "";
    if (name === "from" || name === "to") {
      delete input.dataset.iri;
      delete input.dataset.label;
    }
  }
  const advanced = PARAMS.slice(2).some((name) => question[name]);
  if (advanced) form.querySelector("details.options").open = true;
}

/** Show the label of a resolved end in its box (keeping the IRI as the value sent). */
function showEnd(input, thing) {
  if (!input || !thing || !thing.iri) return;
  input.value = thing.label || fallbackLabel(thing.iri);
  input.dataset.iri = thing.iri;
  input.dataset.label = input.value;
}

function questionFromAddress() {
  const params = new URLSearchParams(window.location.search);
  const q = {};
  for (const name of PARAMS) if (params.get(name)) q[name] = params.get(name);
  return q;
}

function candidateButtons(end, things) {
  return el(
    "ul",
    { class: "candidates" },
    things.map((thing) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            class: "candidate",
            onclick: () => {
              showEnd(inputs[end], thing);
              submit();
            },
          },
          thing.label,
        ),
        thing.kind ? ` (${thing.kind})` : "",
      ),
    ),
  );
}

/** Explain an error of the paths API in the page: unknown names get suggestions, ambiguous ones candidates. */
function showProblem(err) {
  results.hidden = true;
  if (!(err instanceof ApiError)) {
    setStatus(status, "error", `The paths could not be fetched: ${err.message}`);
    return;
  }
  const problem = err.problem || {};
  // Which end the API could not resolve: the one whose text the message quotes.
  const detail = problem.detail || "";
  const quoted = (name) => {
    const text = inputs[name].value.trim();
    return text && (detail.includes(`'${text}'`) || detail.includes(`"${text}"`));
  };
  const end = quoted("from") ? "from" : quoted("to") ? "to" : null;
  const candidates = thingsIn(problem.candidates ?? []);
  const suggestions = thingsIn(problem.suggestions ?? []);
  const pieces = [el("p", {}, problem.detail || err.message)];
  const target = end || (inputs.to.value && !inputs.from.value ? "from" : "to");
  if (candidates.length) {
    pieces.push(el("p", {}, "Which one do you mean?"), candidateButtons(target, candidates));
  } else if (suggestions.length) {
    pieces.push(el("p", {}, "Did you mean:"), candidateButtons(target, suggestions));
  }
  setStatus(status, "error", pieces);
}

function kindLegend(kinds) {
  return el(
    "ul",
    { class: "legend", "aria-label": "Colours of the kinds of things" },
    [...kinds].sort().map((kind) => {
      const swatch = el("span", { class: "swatch" });
      swatch.style.backgroundColor = KIND_COLOURS[kind] || KIND_COLOURS.thing;
      return el("li", {}, swatch, kind);
    }),
  );
}

/** Draw the answer: the graph on the left, the explained paths on the right. */
function render(answer) {
  const { from, to, paths } = answer;
  showEnd(inputs.from, from);
  showEnd(inputs.to, to);
  if (!paths.length) {
    results.hidden = true;
    setStatus(
      status,
      "info",
      el("p", {}, answer.message || `No connection found between ${from ? from.label : "them"} and ${to ? to.label : "the other end"} within the limits.`),
      el("p", {}, "Try a longer path (Options → Longest path), fewer excluded relations or kinds, or no hub limit."),
    );
    return;
  }
  setStatus(
    status,
    "info",
    el("p", {}, `${paths.length} ${paths.length === 1 ? "path" : "paths"} from ${from.label} to ${to.label}.`),
    ...(answer.notes || []).map((note) => el("p", { class: "resolved" }, `Names: ${note}.`)),
  );
  results.hidden = false;

  const nodes = new Map();
  const edges = new Map();
  const columns = new Map();
  const kinds = new Set();
  paths.forEach((path, index) => {
    path.nodes.forEach((node, position) => {
      if (!nodes.has(node.id)) {
        const kind = node.kind || (node.iri && isLocal(node.iri, cfg) ? kindOfIri(node.iri) : "thing");
        kinds.add(kind);
        nodes.set(node.id, {
          data: {
            id: node.id,
            iri: node.iri,
            label: node.label,
            kind,
            href: node.iri ? thingHref(node.iri, cfg) : null,
            end: node.id === from.id || node.id === to.id,
            paths: [],
          },
        });
      }
      nodes.get(node.id).data.paths.push(index);
      const column = node.id === to.id ? Infinity : position;
      columns.set(node.id, Math.min(columns.get(node.id) ?? Infinity, column));
    });
    for (const hop of path.hops) {
      const id = `${hop.subject}|${hop.predicate}|${hop.object}`;
      if (!edges.has(id)) {
        edges.set(id, { data: { id, source: hop.subject, target: hop.object, label: hop.label, paths: [] } });
      }
      edges.get(id).data.paths.push(index);
    }
  });
  const longest = Math.max(...[...columns.values()].filter(Number.isFinite), 0);
  for (const [id, column] of columns) if (!Number.isFinite(column)) columns.set(id, longest + 1);

  const cy = drawGraph(
    canvas,
    { nodes: [...nodes.values()], edges: [...edges.values()] },
    {
      name: "paths",
      layout: columnsLayout(columns),
      onNode: (node) => {
        const href = node.data("href");
        if (href) window.location.assign(href);
      },
      onEdge: (edge) => selectPath(edge.data("paths")[0]),
    },
  );
  canvas.nextElementSibling?.classList.contains("legend") && canvas.nextElementSibling.remove();
  canvas.after(kindLegend(kinds));

  list.replaceChildren(
    ...paths.map((path, index) =>
      el(
        "li",
        { class: "path", dataset: { index }, onclick: (e) => (e.target.closest("a") ? null : selectPath(index)) },
        el("p", { class: "path-meta" }, `${path.hops.length} ${path.hops.length === 1 ? "step" : "steps"}` + (path.score !== undefined ? ` · score ${path.score}` : "")),
        path.explanation ? el("p", { class: "explanation" }, path.explanation) : null,
        path.broadConcept
          ? el("p", { class: "broad-concept" }, "Only through the broad concept ", thingLink(path.broadConcept), ": both ends are filed under it, and nothing more specific ties them.")
          : null,
        el(
          "ol",
          { class: "hops" },
          path.hops.map((hop) =>
            el(
              "li",
              {},
              thingLink(hop.fromNode),
              " ",
              el("span", { class: "relation" }, hop.phrase),
              " ",
              thingLink(hop.toNode),
              hop.when ? ` (${hop.when})` : null,
              hop.sources.length
                ? el(
                    "span",
                    { class: "sources" },
                    " [source: ",
                    hop.sources.map((s, i) => [i ? ", " : "", el("a", { href: thingHref(s.iri, cfg) }, s.label)]),
                    "]",
                  )
                : null,
            ),
          ),
        ),
        path.timeOrder.length > 1
          ? el("p", { class: "time-order" }, "In time: ", path.timeOrder.map((n, i) => [i ? " → " : "", `${n.label} (${n.date})`]))
          : null,
        path.reasons.length ? el("ul", { class: "reasons", "aria-label": "Why this path ranks here" }, path.reasons.map((r) => el("li", {}, r))) : null,
      ),
    ),
  );
  document.querySelector(".explanations .truncated")?.remove();
  if (answer.truncated) list.after(el("p", { class: "graph-help truncated" }, "More paths exist: ask for more (Options → How many paths)."));

  function selectPath(index) {
    [...list.children].forEach((li, i) => li.classList.toggle("active", i === index));
    const keep = cy.elements().filter((ele) => (ele.data("paths") || []).includes(index));
    highlight(cy, keep);
  }
  cy.on("tap", (event) => {
    if (event.target === cy) {
      highlight(cy, null);
      [...list.children].forEach((li) => li.classList.remove("active"));
    }
  });
}

function kindOfIri(iri) {
  if (cfg.idBase && iri.startsWith(cfg.idBase)) return iri.slice(cfg.idBase.length).split("/")[0];
  if (cfg.vocab && iri.startsWith(cfg.vocab + "/")) return "concept";
  return "thing";
}

function thingLink(node) {
  if (!node) return "";
  const href = node.iri ? thingHref(node.iri, cfg) : null;
  return href ? el("a", { href, class: "thing-link" }, node.label) : el("span", {}, node.label);
}

async function run(question) {
  if (!question.from || !question.to) {
    results.hidden = true;
    setStatus(status, "info", "Choose the two things to connect: type a name and pick from the suggestions.");
    return;
  }
  if (controller) controller.abort();
  controller = new AbortController();
  setStatus(status, "busy", "Looking for connections…");
  try {
    const answer = await getJSON(withParams(cfg.api.paths, question), { signal: controller.signal });
    render(normalisePaths(answer, cfg));
  } catch (err) {
    if (err.name === "AbortError") return;
    showProblem(err);
  }
}

function submit() {
  const question = questionFromForm();
  const url = withParams(cfg.root + "explore", question);
  if (url !== window.location.pathname + window.location.search) window.history.pushState(question, "", url);
  run(question);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
const swap = document.getElementById("swap");
swap.hidden = false;
swap.addEventListener("click", () => {
  const [a, b] = [inputs.from, inputs.to];
  const saved = { value: a.value, iri: a.dataset.iri, label: a.dataset.label };
  a.value = b.value;
  b.value = saved.value;
  for (const [input, iri, label] of [[a, b.dataset.iri, b.dataset.label], [b, saved.iri, saved.label]]) {
    if (iri) {
      input.dataset.iri = iri;
      input.dataset.label = label;
    } else {
      delete input.dataset.iri;
      delete input.dataset.label;
    }
  }
});
searchBox(inputs.from, cfg);
searchBox(inputs.to, cfg);
window.addEventListener("popstate", () => {
  const question = questionFromAddress();
  fillForm(question);
  run(question);
});

const initial = Object.keys(cfg.question || {}).length ? cfg.question : questionFromAddress();
fillForm(initial);
run(initial);

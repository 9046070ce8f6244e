// The influence view at /influence: a thing's lineage (what influenced it) and legacy (what it influenced) as a
// graph and as lists, and the ranking of the most influential things as a table and a picture.

import { ApiError, el, getJSON, pageConfig, setStatus, thingHref, withParams, fallbackLabel } from "./common.js";
import { drawGraph, fitHeight } from "./graph.js";
import { searchBox, valueOf, thingsIn } from "./search.js";
import { normaliseInfluence, normaliseRanking, rankingEdges } from "./influence-api.js";

const cfg = pageConfig();
const form = document.getElementById("thing-form");
const input = document.getElementById("thing");
const status = document.getElementById("influence-status");
const lineageSection = document.getElementById("lineage-section");
const lineageGraph = document.getElementById("influence-graph");
const lineageList = document.getElementById("lineage-list");
const influencedList = document.getElementById("influenced-list");
const rankingGraph = document.getElementById("ranking-graph");
const rankingBody = document.querySelector("#ranking-table tbody");

let controller = null;

function thingLink(thing) {
  const href = thing.iri ? thingHref(thing.iri, cfg) : null;
  return href ? el("a", { href }, thing.label) : el("span", {}, thing.label);
}

function listItems(things, which) {
  if (!things.length) {
    const none = which === "lineage" ? "The graph records no influence on it." : "The graph records nothing it influenced.";
    return [el("li", { class: "none" }, none)];
  }
  return things.map((t) =>
    el(
      "li",
      { title: t.text || "" },
      thingLink(t),
      t.distance ? el("span", { class: "distance" }, t.distance === 1 ? " · directly" : ` · ${t.distance} steps away`) : null,
      t.via ? el("span", { class: "via" }, ` (through ${t.via})`) : null,
    ),
  );
}

function nodeData(thing, extra = {}) {
  return {
    data: {
      id: thing.iri,
      iri: thing.iri,
      label: thing.label || fallbackLabel(thing.iri),
      kind: thing.kind || kindOfIri(thing.iri),
      href: thingHref(thing.iri, cfg),
      ...extra,
    },
  };
}

function kindOfIri(iri) {
  if (cfg.idBase && iri.startsWith(cfg.idBase)) return iri.slice(cfg.idBase.length).split("/")[0];
  if (cfg.vocab && iri.startsWith(cfg.vocab + "/")) return "concept";
  return "thing";
}

/** Draw lineage and legacy: influences on the left, the thing in the middle, what it influenced on the right. */
function drawInfluence(answer) {
  const { thing, edges, lineage, influenced } = answer;
  const nodes = new Map([[thing.iri, nodeData(thing, { end: true })]]);
  for (const t of [...lineage, ...influenced]) if (!nodes.has(t.iri)) nodes.set(t.iri, nodeData(t));
  const links = edges
    .filter((e) => nodes.has(e.source) && nodes.has(e.target))
    .map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, label: e.label || "" } }));
  // Columns: influences at negative distances, the thing at 0, what it influenced at positive ones; on a narrow
  // screen rows instead (influences above, what it influenced below), so that the picture fills the width.
  const vertical = lineageGraph.clientWidth < 600;
  const positions = {};
  const place = (things, sign) => {
    const byDistance = new Map();
    for (const t of things) {
      const d = t.distance || 1;
      if (!byDistance.has(d)) byDistance.set(d, []);
      byDistance.get(d).push(t.iri);
    }
    for (const [d, ids] of byDistance) {
      ids.forEach((id, row) => {
        const across = row - (ids.length - 1) / 2;
        if (!positions[id]) positions[id] = vertical ? { x: across * 150, y: sign * d * 110 } : { x: sign * d * 200, y: across * 70 };
      });
    }
  };
  positions[thing.iri] = { x: 0, y: 0 };
  place(lineage, -1);
  place(influenced, 1);
  fitHeight(lineageGraph, positions, { vertical });
  return drawGraph(
    lineageGraph,
    { nodes: [...nodes.values()], edges: links },
    {
      name: "influence",
      layout: { name: "preset", positions, fit: true, padding: 30 },
      onNode: (node) => {
        if (node.id() === thing.iri) {
          if (node.data("href")) window.location.assign(node.data("href"));
        }
        else choose({ iri: node.data("iri"), label: node.data("label") });
      },
    },
  );
}

async function showThing(value) {
  if (!value) {
    lineageSection.hidden = true;
    setStatus(status, "info");
    return;
  }
  if (controller) controller.abort();
  controller = new AbortController();
  setStatus(status, "busy", "Tracing influence…");
  try {
    const params = { thing: value };
    const [lineage, influenced] = await Promise.all([
      getJSON(withParams(cfg.api.influence + "lineage", params), { signal: controller.signal }),
      getJSON(withParams(cfg.api.influence + "influenced", params), { signal: controller.signal }),
    ]);
    const answer = normaliseInfluence(lineage, influenced, cfg);
    input.value = answer.thing.label;
    input.dataset.iri = answer.thing.iri;
    input.dataset.label = answer.thing.label;
    setStatus(status, "info", `${answer.thing.label}: influenced by ${answer.lineage.length}, influenced ${answer.influenced.length}.`);
    lineageSection.hidden = false;
    lineageList.replaceChildren(...listItems(answer.lineage, "lineage"));
    influencedList.replaceChildren(...listItems(answer.influenced, "influenced"));
    drawInfluence(answer);
  } catch (err) {
    if (err.name === "AbortError") return;
    lineageSection.hidden = true;
    if (err instanceof ApiError) {
      const problem = err.problem || {};
      const options = thingsIn(problem.candidates ?? problem.suggestions ?? []);
      setStatus(
        status,
        "error",
        el("p", {}, problem.detail || err.message),
        options.length
          ? el(
              "ul",
              {},
              options.map((t) => el("li", {}, el("button", { type: "button", class: "candidate", onclick: () => choose(t) }, t.label))),
            )
          : null,
      );
    } else setStatus(status, "error", `The influence could not be fetched: ${err.message}`);
  }
}

function choose(thing) {
  input.value = thing.label;
  input.dataset.iri = thing.iri;
  input.dataset.label = thing.label;
  const url = withParams(cfg.root + "influence", { thing: thing.iri });
  window.history.pushState({ thing: thing.iri }, "", url);
  showThing(thing.iri);
}

async function showRanking() {
  let ranked;
  try {
    ranked = normaliseRanking(await getJSON(withParams(cfg.api.influence + "ranking", { limit: 20 })));
  } catch (err) {
    rankingBody.replaceChildren(el("tr", {}, el("td", { colspan: 3 }, `The ranking could not be fetched: ${err.message}`)));
    return;
  }
  rankingBody.replaceChildren(
    ...ranked.map((t) =>
      el(
        "tr",
        {},
        el("td", { class: "number" }, String(t.rank)),
        el(
          "td",
          {},
          thingLink(t),
          t.kind ? el("span", { class: "kind" }, ` ${t.kind}`) : null,
          " ",
          el("button", { type: "button", class: "as-link", title: `Show the lineage and legacy of ${t.label}`, onclick: () => choose(t) }, "lineage"),
        ),
        // The ranking's figures (PageRank, betweenness) are for the curious: on hovering, not in the table.
        el("td", { class: "influenced", title: t.reason || (t.score === null ? null : `PageRank ${formatScore(t.score)}`) },
          influencedInWords(t.direct, t.influenced)),
      ),
    ),
  );
  // The picture: the ranked things sized by PageRank, with who (of them) directly influenced whom.
  const docs = [];
  for (let i = 0; i < ranked.length; i += 4) {
    const batch = ranked.slice(i, i + 4).map((t) =>
      getJSON(withParams(cfg.api.influence + "influenced", { thing: t.iri, max_depth: 1 })).catch(() => ({ results: [] })),
    );
    docs.push(...(await Promise.all(batch)));
  }
  const max = Math.max(...ranked.map((t) => Number(t.score) || 0), 1e-9);
  const cy = drawGraph(
    rankingGraph,
    {
      nodes: ranked.map((t) => {
        const node = nodeData(t);
        node.data.size = Math.round(14 + 30 * ((Number(t.score) || 0) / max));
        node.data.label = `${t.rank}. ${node.data.label}`;
        node.data.rank = t.rank;
        return node;
      }),
      edges: rankingEdges(ranked, docs).map((e, i) => ({ data: { id: `r${i}`, source: e.source, target: e.target, label: "" } })),
    },
    {
      name: "ranking",
      // In rank order, five to a row (three on a phone), with the influence links between them.
      layout: {
        name: "grid",
        cols: rankingGraph.clientWidth < 600 ? 3 : 5, // three to a row on a phone
        sort: (a, b) => a.data("rank") - b.data("rank"),
        avoidOverlap: true,
        avoidOverlapPadding: 20,
        padding: 30,
        animate: false,
      },
      onNode: (node) => choose({ iri: node.data("iri"), label: node.data("label").replace(/^\d+\. /, "") }),
    },
  );
  cy.style().selector("node[size]").style({ width: "data(size)", height: "data(size)" }).update();
}

/** "2 things directly, 5 in all" (or "nothing recorded"), for a reader rather than a table of figures. */
function influencedInWords(direct, all) {
  if (direct === null || direct === undefined) return "";
  if (!direct && !all) return "nothing recorded";
  const things = (n) => `${n} ${n === 1 ? "thing" : "things"}`;
  if (all === null || all === undefined || all === direct) return `${things(direct)}${direct ? " directly" : ""}`;
  return `${things(direct)} directly, ${all} in all`;
}

function formatScore(score) {
  const n = Number(score);
  if (!Number.isFinite(n)) return String(score);
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = valueOf(input);
  const url = withParams(cfg.root + "influence", { thing: value });
  window.history.pushState({ thing: value }, "", url);
  showThing(value);
});
searchBox(input, cfg, { onChoose: (thing) => choose(thing) });
window.addEventListener("popstate", () => showThing(new URLSearchParams(window.location.search).get("thing")));

showThing(cfg.thing || new URLSearchParams(window.location.search).get("thing"));
showRanking();

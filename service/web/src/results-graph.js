// YASR view "Graph": the things named by the results, drawn with cytoscape.js.
//
// - CONSTRUCT / DESCRIBE: every statement whose object is an IRI (or blank node) is an arrow labelled with its
//   property; rdfs:label, skos:prefLabel and foaf:name give the things their names.
// - SELECT: every IRI of a row is a thing; the IRIs of one row are chained in the order of the columns (arrows
//   labelled with the column name), and a column `xLabel` names the thing in column `x`. Columns named
//   s/p/o (or subject/predicate/object) are read as statements.

import { compact, fallbackLabel, isLocal, kindOf, thingHref } from "./common.js";
import { drawGraph, icon } from "./graph.js";

const LABELS = new Set([
  "http://www.w3.org/2000/01/rdf-schema#label",
  "http://www.w3.org/2004/02/skos/core#prefLabel",
  "http://xmlns.com/foaf/0.1/name",
]);
const MAX_NODES = 400;

/** Nodes and edges (cytoscape elements) from SPARQL JSON bindings and variables. */
export function elementsFromBindings(vars, bindings, { cfg, prefixes }) {
  const graph = new GraphBuilder(cfg, prefixes);
  const pick = (names) => vars.find((v) => names.includes(v.toLowerCase()));
  const [s, p, o] = [pick(["s", "subject"]), pick(["p", "predicate", "property"]), pick(["o", "object", "value"])];
  if (s && p && o) {
    for (const row of bindings) graph.statement(row[s], row[p], row[o]);
    return graph.elements();
  }
  const labelled = new Map(vars.filter((v) => vars.includes(v + "Label")).map((v) => [v, v + "Label"]));
  for (const row of bindings) {
    const things = vars.filter((v) => row[v] && (row[v].type === "uri" || row[v].type === "bnode"));
    for (const v of things) graph.node(row[v], row[labelled.get(v)]?.value);
    for (let i = 1; i < things.length; i++) graph.edge(row[things[i - 1]], row[things[i]], things[i], things[i]);
  }
  return graph.elements();
}

/** Nodes and edges from RDF statements (N3.js quads). */
export function elementsFromStatements(quads, { cfg, prefixes }) {
  const graph = new GraphBuilder(cfg, prefixes);
  const asBinding = (term) =>
    term.termType === "NamedNode"
      ? { type: "uri", value: term.value }
      : term.termType === "BlankNode"
        ? { type: "bnode", value: term.value }
        : { type: "literal", value: term.value };
  for (const quad of quads) graph.statement(asBinding(quad.subject), asBinding(quad.predicate), asBinding(quad.object));
  return graph.elements();
}

class GraphBuilder {
  constructor(cfg, prefixes) {
    this.cfg = cfg;
    this.prefixes = prefixes;
    this.nodes = new Map();
    this.edges = new Map();
  }

  id(term) {
    return (term.type === "bnode" ? "_:" : "") + term.value;
  }

  node(term, label) {
    const id = this.id(term);
    let node = this.nodes.get(id);
    if (!node) {
      if (this.nodes.size >= MAX_NODES) return null;
      const iri = term.type === "uri" ? term.value : null;
      node = {
        id,
        iri,
        label: iri ? compact(iri, this.prefixes) || fallbackLabel(iri) : "(blank node)",
        kind: iri && isLocal(iri, this.cfg) ? kindOf(iri, this.cfg) : "thing",
        href: iri ? thingHref(iri, this.cfg) : null,
        named: false,
      };
      this.nodes.set(id, node);
    }
    if (label && !node.named) {
      node.label = label;
      node.named = true;
    }
    return node;
  }

  edge(from, to, label, key) {
    const a = this.node(from);
    const b = this.node(to);
    if (!a || !b) return;
    const id = `${a.id} ${key} ${b.id}`;
    if (!this.edges.has(id)) this.edges.set(id, { id, source: a.id, target: b.id, label });
  }

  statement(s, p, o) {
    if (!s || !p || !o || (s.type !== "uri" && s.type !== "bnode")) return;
    if (o.type === "uri" || o.type === "bnode") {
      const label = compact(p.value, this.prefixes) || fallbackLabel(p.value);
      this.edge(s, o, label, p.value);
    } else if (LABELS.has(p.value)) {
      this.node(s, o.value);
    } else {
      this.node(s);
    }
  }

  elements() {
    return {
      nodes: [...this.nodes.values()].map(({ named, ...data }) => ({ data: { ...data, named } })),
      edges: [...this.edges.values()].map((data) => ({ data })),
    };
  }
}

/** Fill in the names of things the results did not name, from the endpoint (English labels). */
export async function fetchLabels(cy, cfg) {
  const unnamed = cy.nodes().filter((n) => n.data("iri") && !n.data("named")).map((n) => n.data("iri")).slice(0, 200);
  if (!unnamed.length) return;
  const query =
    "SELECT ?thing (SAMPLE(?l) AS ?label) WHERE { VALUES ?thing { " +
    unnamed.map((iri) => `<${iri}>`).join(" ") +
    " } ?thing <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel> ?l " +
    'FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en")) } GROUP BY ?thing';
  const response = await fetch(cfg.endpoint, {
    method: "POST",
    headers: { Accept: "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query }).toString(),
  });
  if (!response.ok || cy.destroyed()) return;
  const doc = await response.json();
  cy.batch(() => {
    for (const row of doc.results.bindings) {
      const node = cy.getElementById(row.thing.value);
      if (node.nonempty() && row.label) node.data({ label: row.label.value, named: true });
    }
  });
}

/** The YASR plugin. */
export function makeGraphPlugin(cfg) {
  return class GraphPlugin {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 5;
      this.label = "Graph";
      this.helpReference = undefined;
    }

    elements() {
      const results = this.yasr.results;
      const prefixes = this.yasr.getPrefixes();
      if (results.getType() === "ttl") return elementsFromStatements(results.getStatements(), { cfg, prefixes });
      return elementsFromBindings(results.getVariables(), results.getBindings(), { cfg, prefixes });
    }

    canHandleResults() {
      const results = this.yasr.results;
      if (!results || results.hasError() || results.getBoolean() !== undefined) return false;
      if (results.getType() === "ttl") return true;
      const bindings = results.getBindings() || [];
      return bindings.some((row) => Object.values(row).some((t) => t.type === "uri" || t.type === "bnode"));
    }

    draw() {
      const elements = this.elements();
      const box = document.createElement("div");
      box.className = "results-graph";
      const canvas = document.createElement("div");
      canvas.className = "graph-canvas";
      const note = document.createElement("p");
      note.className = "graph-help";
      note.textContent =
        `${elements.nodes.length} things, ${elements.edges.length} links` +
        (elements.nodes.length >= MAX_NODES ? ` (only the first ${MAX_NODES} things are drawn)` : "") +
        ". Drag to move, scroll to zoom; click a thing to open its page.";
      box.append(canvas, note);
      this.yasr.resultsEl.appendChild(box);
      const layout =
        elements.nodes.length > 60
          ? { name: "cose", animate: false, randomize: true, nodeRepulsion: 9000, idealEdgeLength: 90 }
          : { name: "cose", animate: false, randomize: true, nodeRepulsion: 20000, idealEdgeLength: 140, padding: 40 };
      this.cy = drawGraph(canvas, elements, {
        layout,
        name: "results",
        onNode: (node) => {
          const href = node.data("href");
          if (!href) return;
          if (isLocal(node.data("iri"), cfg)) window.location.assign(href);
          else window.open(href, "_blank", "noopener");
        },
      });
      fetchLabels(this.cy, cfg).catch(() => {});
    }

    destroy() {
      if (this.cy) this.cy.destroy();
      this.cy = null;
    }

    getIcon() {
      // three linked dots
      return icon("M3 3.5a2 2 0 1 1 0 .01zM13 3.5a2 2 0 1 1 0 .01zM8 12.5a2 2 0 1 1 0 .01z",
        "M4.6 4.6l2.6 6 .9-.4-2.6-6zM11.4 4.6l-2.6 6-.9-.4 2.6-6zM5 3h6v1H5z");
    }
  };
}

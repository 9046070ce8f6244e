// Drawing graphs with cytoscape.js: one style for every picture of the site, colours by kind of thing.

import cytoscape from "cytoscape";

export const KIND_COLOURS = {
  person: "#1f4e8c",
  org: "#2f7d4f",
  work: "#8a3b12",
  event: "#7a2f7a",
  process: "#b0571c",
  place: "#3d7f8c",
  source: "#6b6b6b",
  track: "#a8322d",
  "process-type": "#a8322d",
  role: "#a8322d",
  concept: "#a8322d",
  literal: "#9a9384",
  thing: "#4a5560",
};

export const STYLE = [
  {
    selector: "node",
    style: {
      "background-color": (n) => KIND_COLOURS[n.data("kind")] || KIND_COLOURS.thing,
      label: "data(label)",
      color: "#1d232b",
      "font-family": "system-ui, sans-serif",
      "font-size": 11,
      "text-wrap": "wrap",
      "text-max-width": 130,
      "text-valign": "bottom",
      "text-margin-y": 4,
      "text-background-color": "#fdfcf9",
      "text-background-opacity": 0.85,
      "text-background-padding": 2,
      width: 18,
      height: 18,
      "border-width": 2,
      "border-color": "#fff",
    },
  },
  { selector: "node[?end]", style: { width: 28, height: 28, "font-weight": "bold", "font-size": 13, "border-color": "#1d232b" } },
  { selector: "node[kind = 'literal']", style: { shape: "round-rectangle", width: 12, height: 12 } },
  {
    selector: "edge",
    style: {
      width: 1.6,
      "line-color": "#9a9384",
      "target-arrow-color": "#9a9384",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.9,
      "curve-style": "bezier",
      label: "data(label)",
      "font-family": "system-ui, sans-serif",
      "font-size": 9.5,
      color: "#5b6672",
      "text-rotation": "autorotate",
      "text-background-color": "#fdfcf9",
      "text-background-opacity": 0.9,
      "text-background-padding": 1,
    },
  },
  { selector: ".faded", style: { opacity: 0.18 } },
  { selector: "edge.highlight", style: { "line-color": "#8a3b12", "target-arrow-color": "#8a3b12", width: 3, color: "#8a3b12" } },
  { selector: "node.highlight", style: { "border-color": "#8a3b12", "border-width": 3 } },
  { selector: "node:selected", style: { "border-color": "#f0b429", "border-width": 3 } },
];

/** Pages keep their drawn graphs here, so that tests (and curious people) can reach cytoscape's API. */
export function register(name, cy) {
  window.backchannel = window.backchannel || { graphs: {} };
  window.backchannel.graphs[name] = cy;
  return cy;
}

/** A cytoscape instance in `container` showing `elements` ({nodes, edges} in cytoscape's format). */
export function drawGraph(container, elements, { layout = { name: "cose", animate: false }, name, onNode, onEdge } = {}) {
  const previous = name && window.backchannel && window.backchannel.graphs[name];
  if (previous) previous.destroy();
  const cy = cytoscape({
    container,
    elements,
    style: STYLE,
    layout,
    minZoom: 0.2,
    maxZoom: 3,
  });
  // A few things would be blown up to fill the box: keep them at a readable size (the first layout has already
  // run when the constructor returns; later ones, e.g. after a resize, end with "layoutstop").
  // Spread the things out rather than zoom in, so that labels keep their size and do not overlap (force layouts
  // leave a few things very close together).
  const readable = () => {
    const n = cy.nodes().length;
    if (n >= 2) {
      const box = cy.nodes().boundingBox({ includeLabels: false });
      const want = Math.min(Math.max(cy.width(), 400) * 1.2, 170 * Math.sqrt(n) + 120);
      const factor = want / Math.max(box.w, box.h, 1);
      if (factor > 1.05) {
        const [cx, cy0] = [(box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2];
        cy.nodes().positions((node) => {
          const p = node.position();
          return { x: cx + (p.x - cx) * factor, y: cy0 + (p.y - cy0) * factor };
        });
        cy.fit(undefined, 30);
      }
    }
    if (cy.zoom() > 1.25) cy.zoom(1.25).center();
  };
  readable();
  clearEdgeLabels(cy);
  cy.on("layoutstop", () => {
    readable();
    clearEdgeLabels(cy);
  });
  if (onNode) cy.on("tap", "node", (event) => onNode(event.target, event));
  if (onEdge) cy.on("tap", "edge", (event) => onEdge(event.target, event));
  cy.on("mouseover", "node", (event) => {
    if (event.target.data("href")) container.style.cursor = "pointer";
  });
  cy.on("mouseout", "node", () => {
    container.style.cursor = "";
  });
  if (name) register(name, cy);
  return cy;
}

/** A small inline SVG icon (for buttons and tabs): `paths` are SVG path data in a 16×16 box. */
export function icon(...paths) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "15");
  svg.setAttribute("height", "15");
  svg.setAttribute("aria-hidden", "true");
  for (const d of paths) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** Fade everything but the given elements (or undo the fading with null). */
export function highlight(cy, keep) {
  cy.elements().removeClass("faded highlight");
  if (!keep) return;
  cy.elements().not(keep).addClass("faded");
  keep.addClass("highlight");
}

/** A layered layout: `columns` maps node id → column, rows spread evenly. Left to right, or (`vertical`, for
 *  narrow screens) top to bottom, so that the picture fills the width of a phone. */
export function columnsLayout(columns, { spacingX = 190, spacingY = 90, vertical = false } = {}) {
  const byColumn = new Map();
  for (const [id, column] of columns) {
    if (!byColumn.has(column)) byColumn.set(column, []);
    byColumn.get(column).push(id);
  }
  const positions = {};
  for (const [column, ids] of byColumn) {
    ids.forEach((id, row) => {
      const across = row - (ids.length - 1) / 2;
      positions[id] = vertical ? { x: across * 150, y: column * 110 } : { x: column * spacingX, y: across * spacingY };
    });
  }
  return { name: "preset", positions, fit: true, padding: 30 };
}

/** Size the box of a layered picture to the picture (in pixels: between a minimum and most of a screen), rather
 *  than leave a small drawing in a large empty box. */
export function fitHeight(container, positions, { vertical = false } = {}) {
  const points = Object.values(positions);
  if (!points.length) return;
  const spread = (key) => Math.max(...points.map((p) => p[key])) - Math.min(...points.map((p) => p[key]));
  const width = Math.max(container.clientWidth, 200);
  let height;
  if (vertical) {
    const scale = Math.min(1.25, (width - 60) / Math.max(spread("x") + 140, 1));
    height = spread("y") * scale + 120;
  } else {
    const scale = Math.min(1.25, (width - 60) / Math.max(spread("x") + 140, 1));
    height = spread("y") * scale + 140;
  }
  const most = Math.max(320, window.innerHeight * 0.8);
  container.style.height = `${Math.round(Math.min(Math.max(height, 240), most))}px`;
}

/** Keep every relation's name clear of the things: an edge whose label falls on a thing it does not join (a link
 *  that skips a column of the layout) is bent away from it, trying each side at growing distances. */
export function clearEdgeLabels(cy) {
  const boxes = cy.nodes().map((n) => ({ id: n.id(), box: n.boundingBox({ includeLabels: true }) }));
  const hits = (edge) => {
    const m = edge.midpoint();
    const ends = new Set([edge.source().id(), edge.target().id()]);
    return boxes.some(({ id, box }) => !ends.has(id) && m.x > box.x1 - 8 && m.x < box.x2 + 8 && m.y > box.y1 - 8 && m.y < box.y2 + 8);
  };
  for (const edge of cy.edges()) {
    if (!hits(edge)) continue;
    for (const distance of [55, -55, 95, -95, 140, -140]) {
      edge.style({ "curve-style": "unbundled-bezier", "control-point-distances": distance, "control-point-weights": 0.5 });
      if (!hits(edge)) break;
    }
  }
}

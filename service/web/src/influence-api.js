// The answers of GET /influence/lineage, /influence/influenced and /influence/ranking (service/routers/paths.py)
// in the shape the influence view draws.
//
// lineage / influenced: {thing: {iri, label, kind}, results: [{iri, label, kind, depth, text, via: [hop]}]}, where
// each hop is kg/explain.py's hop_json (from, to, subject, predicate, object, direction, reading, sources).
// ranking: {results: [{iri, label, kind, rank, pagerank, betweenness, influenced_directly,
// influenced_transitively, reason}]}.

import { fallbackLabel } from "./common.js";

function thing(t) {
  if (!t) return null;
  if (typeof t === "string") return { iri: t, label: fallbackLabel(t), kind: null };
  const iri = t.iri || t.id;
  return { iri, label: t.label || fallbackLabel(iri || ""), kind: t.kind || null, date: t.date || null };
}

function entries(doc) {
  const list = Array.isArray(doc) ? doc : doc.results || [];
  return list.map((e) => {
    const hops = e.via || e.hops || [];
    const middle = hops.slice(0, -1).map((h) => h.to && h.to.label).filter(Boolean);
    return { ...thing(e), distance: e.depth ?? hops.length, via: middle.length ? middle.join(" → ") : null, text: e.text || null, hops };
  });
}

/** The influence links of the entries' hops, each drawn from the influencer to the influenced, labelled with the
 *  relation read in that direction. `towards` says how the walk went: "lineage" walks from the influenced to its
 *  influencers, "influenced" the other way. */
function edgesOf(list, towards) {
  const out = new Map();
  for (const entry of list) {
    for (const h of entry.hops) {
      const from = h.from && h.from.iri;
      const to = h.to && h.to.iri;
      if (!from || !to) continue;
      const [source, target] = towards === "lineage" ? [to, from] : [from, to];
      const predicate = h.predicate || {};
      const stated = h.subject && h.subject.iri === source;
      const label = (stated ? predicate.label : predicate.inverse_label) || predicate.label || "";
      out.set(`${source} ${target}`, { source, target, label });
    }
  }
  return [...out.values()];
}

export function normaliseInfluence(lineageDoc, influencedDoc) {
  const lineage = entries(lineageDoc);
  const influenced = entries(influencedDoc);
  const t = thing(lineageDoc.thing || influencedDoc.thing);
  const edges = [...edgesOf(lineage, "lineage"), ...edgesOf(influenced, "influenced")];
  return { thing: t, lineage, influenced, edges };
}

export function normaliseRanking(doc) {
  const list = Array.isArray(doc) ? doc : doc.results || [];
  return list.map((r, i) => ({
    ...thing(r),
    rank: r.rank ?? i + 1,
    score: r.pagerank ?? r.score ?? null,
    betweenness: r.betweenness ?? null,
    direct: r.influenced_directly ?? null,
    influenced: r.influenced_transitively ?? null,
    reason: r.reason || null,
  }));
}

/** Influence links among the ranked things: who (of them) directly influenced whom (of them). */
export function rankingEdges(ranked, influencedDocs) {
  const ids = new Set(ranked.map((t) => t.iri));
  const out = new Map();
  influencedDocs.forEach((doc, i) => {
    const source = ranked[i].iri;
    for (const e of entries(doc)) {
      if (e.distance === 1 && ids.has(e.iri) && e.iri !== source) out.set(`${source} ${e.iri}`, { source, target: e.iri });
    }
  });
  return [...out.values()];
}

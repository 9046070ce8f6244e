// The answers of GET /influence/lineage, /influence/influenced and /influence/ranking in the shape the view draws.

import { fallbackLabel } from "./common.js";

function thing(t) {
  if (!t) return null;
  if (typeof t === "string") return { iri: t, label: fallbackLabel(t), kind: null };
  const base = t.thing && typeof t.thing === "object" ? { ...t.thing, ...t } : t;
  const iri = base.iri || base.id || (typeof t.thing === "string" ? t.thing : null);
  return { ...base, iri, label: base.label || fallbackLabel(iri || ""), kind: base.kind || null };
}

function entries(doc) {
  const list = Array.isArray(doc) ? doc : doc.lineage || doc.influenced || doc.entries || doc.results || doc.things || [];
  return list.map((e) => {
    const t = thing(e);
    const hops = e.hops || e.path || [];
    const distance = e.depth ?? e.distance ?? (hops.length || null);
    const via = hops.length > 1 ? hops.slice(0, -1).map((h) => (h.to && h.to.label) || "").filter(Boolean).join(", ") : null;
    return { ...t, distance, via, hops };
  });
}

/** Edges between the thing and its influencers/influenced, from the hops of each entry (influence points from
 *  influencer to influenced). */
function edgesOf(list, towards) {
  const out = new Map();
  for (const entry of list) {
    for (const h of entry.hops || []) {
      const from = (h.from && (h.from.iri || h.from)) || null;
      const to = (h.to && (h.to.iri || h.to)) || null;
      if (!from || !to) continue;
      // In a lineage the walk goes from the influenced to its influencer; in "influenced" the other way.
      const [source, target] = towards === "lineage" ? [to, from] : [from, to];
      const label = (h.predicate && (h.predicate.label || h.predicate)) || h.reading || "";
      out.set(`${source} ${target}`, { source, target, label: typeof label === "string" ? label : "" });
    }
  }
  return [...out.values()];
}

export function normaliseInfluence(lineageDoc, influencedDoc) {
  const lineage = entries(lineageDoc);
  const influenced = entries(influencedDoc);
  const t = thing(lineageDoc.thing || lineageDoc.of || influencedDoc.thing || influencedDoc.of);
  const edges = [...edgesOf(lineage, "lineage"), ...edgesOf(influenced, "influenced")];
  // Entries without hops: link them straight to the thing.
  for (const e of lineage) if (!(e.hops || []).length) edges.push({ source: e.iri, target: t.iri, label: "" });
  for (const e of influenced) if (!(e.hops || []).length) edges.push({ source: t.iri, target: e.iri, label: "" });
  return { thing: t, lineage, influenced, edges };
}

export function normaliseRanking(doc) {
  const list = Array.isArray(doc) ? doc : doc.ranking || doc.results || doc.things || [];
  const things = list.map((r, i) => {
    const t = thing(r);
    return {
      ...t,
      rank: r.rank ?? i + 1,
      score: r.score ?? r.pagerank ?? null,
      influenced: r.transitive ?? r.influenced ?? r.direct ?? null,
      reason: r.reason || null,
    };
  });
  const edges = (doc.edges || doc.links || []).map((e) => ({ source: e.source || e.from, target: e.target || e.to }));
  return { things, edges };
}

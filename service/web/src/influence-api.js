// The answers of GET /influence/lineage, /influence/influenced and /influence/ranking (declared in
// service/schemas.py: InfluenceAnswer, RankingAnswer) in the shape the influence view draws.
//
// lineage / influenced: {thing: Node, results: [{iri, label, kind, date?, depth, text, via: [Hop]}]};
// ranking: {results: [{iri, label, kind, rank, pagerank, betweenness, influenced_directly,
// influenced_transitively, reason}]}.

function thing(t) {
  return { iri: t.iri, label: t.label, kind: t.kind, date: t.date ?? null };
}

function entries(doc) {
  return doc.results.map((e) => {
    const middle = e.via.slice(0, -1).map((h) => h.to.label);
    return { ...thing(e), distance: e.depth, via: middle.length ? middle.join(" → ") : null, text: e.text, hops: e.via };
  });
}

/** The influence links of the entries' hops, each drawn from the influencer to the influenced, labelled with the
 *  relation read in that direction. `towards` says how the walk went: "lineage" walks from the influenced to its
 *  influencers, "influenced" the other way. */
function edgesOf(list, towards) {
  const out = new Map();
  for (const entry of list) {
    for (const h of entry.hops) {
      const from = h.from.iri;
      const to = h.to.iri;
      const [source, target] = towards === "lineage" ? [to, from] : [from, to];
      const stated = h.subject.iri === source;
      const label = stated ? h.predicate.label : h.predicate.inverse_label;
      out.set(`${source} ${target}`, { source, target, label });
    }
  }
  return [...out.values()];
}

export function normaliseInfluence(lineageDoc, influencedDoc) {
  const lineage = entries(lineageDoc);
  const influenced = entries(influencedDoc);
  const t = thing(lineageDoc.thing);
  const edges = [...edgesOf(lineage, "lineage"), ...edgesOf(influenced, "influenced")];
  return { thing: t, lineage, influenced, edges };
}

export function normaliseRanking(doc) {
  return doc.results.map((r) => ({
    ...thing(r),
    rank: r.rank,
    score: r.pagerank,
    betweenness: r.betweenness,
    direct: r.influenced_directly,
    influenced: r.influenced_transitively,
    reason: r.reason,
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

// The answer of GET /paths (kg/explain.py result_json) in the shape the explorer draws.
//
// {from, to, message, paths: [{nodes: [{id, iri, label, kind}], hops: [{subject, predicate, object, label, phrase,
//   fromNode, toNode, sources: [{iri, label}]}], explanation, score, reasons, timeOrder}]}

import { fallbackLabel } from "./common.js";

function node(n) {
  if (!n) return null;
  if (typeof n === "string") return { id: n, iri: n, label: fallbackLabel(n), kind: null };
  const iri = n.iri || n.id;
  return { id: iri, iri, label: n.label || fallbackLabel(iri), kind: n.kind || null, date: n.date || null };
}

function hop(h) {
  const subject = node(h.subject);
  const object = node(h.object);
  const predicate = h.predicate && typeof h.predicate === "object" ? h.predicate : { iri: h.predicate };
  const forward = h.direction !== "backward";
  const fromNode = node(h.from) || (forward ? subject : object);
  const toNode = node(h.to) || (forward ? object : subject);
  return {
    subject: subject.id,
    object: object.id,
    predicate: predicate.iri,
    label: predicate.label || fallbackLabel(predicate.iri || ""),
    phrase: h.reading || (forward ? predicate.label : predicate.inverse_label) || predicate.label || "",
    text: h.text || null,
    fromNode,
    toNode,
    sources: (h.sources || []).map((s) => (typeof s === "string" ? { iri: s, label: fallbackLabel(s) } : s)),
  };
}

export function normalisePaths(answer) {
  const paths = (answer.paths || []).map((p) => {
    const hops = (p.hops || []).map(hop);
    const nodes = (p.nodes || []).map(node);
    return {
      nodes: nodes.length ? nodes : [hops[0]?.fromNode, ...hops.map((h) => h.toNode)].filter(Boolean),
      hops,
      explanation: p.text || p.explanation || null,
      score: p.score,
      reasons: p.reasons || [],
      timeOrder: (p.time_order || []).map(node),
    };
  });
  return { from: node(answer.from), to: node(answer.to), message: answer.message || null, paths, truncated: !!answer.truncated };
}

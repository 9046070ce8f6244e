// The answer of GET /paths (declared in service/schemas.py as PathsAnswer) in the shape the explorer draws.
//
// {from, to, message, truncated, resolved: {from?, to?: {note, …}},
//  paths: [{nodes: [Node], hops: [Hop], text, score, reasons, broad_concept: Node|null, time_order: [Node]}]}
// where Node is {iri, label, kind, date?} and Hop is {from, to, subject, predicate: {iri, label, inverse_label},
// object, direction, reading, text, when?, sources: [{iri, label}]}.

function node(n) {
  return { id: n.iri, iri: n.iri, label: n.label, kind: n.kind, date: n.date ?? null };
}

function hop(h) {
  return {
    subject: h.subject.iri,
    object: h.object.iri,
    predicate: h.predicate.iri,
    label: h.predicate.label,
    phrase: h.reading,
    text: h.text,
    fromNode: node(h.from),
    toNode: node(h.to),
    sources: h.sources,
    when: h.when ?? null,
  };
}

export function normalisePaths(answer) {
  const paths = answer.paths.map((p) => ({
    nodes: p.nodes.map(node),
    hops: p.hops.map(hop),
    explanation: p.text,
    score: p.score,
    reasons: p.reasons,
    broadConcept: p.broad_concept ? node(p.broad_concept) : null,
    timeOrder: p.time_order.map(node),
  }));
  const notes = ["from", "to"].map((end) => answer.resolved?.[end]?.note).filter(Boolean);
  return { from: node(answer.from), to: node(answer.to), message: answer.message, paths, truncated: answer.truncated, notes };
}

// The answer of GET /paths (declared in service/schemas.py as PathsAnswer) in the shape the explorer draws.
//
// {from, to, message, truncated, constraints: {max_length, …}, resolved: {from?, to?: {query, note, others}},
//  paths: [{nodes: [Node], hops: [Hop], text, score, reasons, broad_concept: Node|null, time_order: [Node]}]}
// where Node is {iri, label, kind, date?} and Hop is {from, to, subject, predicate: {iri, label, inverse_label},
// object, direction, reading, text, when?, sources: [{iri, label}]}.

import { dateInWords } from "./common.js";

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
  return {
    from: node(answer.from),
    to: node(answer.to),
    message: answer.message,
    maxLength: answer.constraints ? answer.constraints.max_length : null,
    paths,
    truncated: answer.truncated,
    resolved: ["from", "to"].map((end) => resolution(end, answer.resolved?.[end])).filter(Boolean),
  };
}

/** How a name given for an end was taken, when other things matched it too: {end, query, note, others}. */
function resolution(end, how) {
  if (!how || !how.note || !(how.others || []).length) return null;
  return { end, query: how.query, note: how.note, others: how.others.filter((o) => o.iri) };
}

const NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

/** "two steps", "one step" (numbers in words up to ten). */
export function stepsInWords(n) {
  return `${NUMBERS[n] ?? n} ${n === 1 ? "step" : "steps"}`;
}

/** Where a path stands among the answers, in words: the ranking's scores stay in a tooltip. */
export function rankInWords(index, count) {
  if (count === 1) return "the only connection found";
  if (index === 0) return "the most telling connection";
  if (index === count - 1) return "the least telling of these";
  return `next most telling (${NUMBERS[index + 1] ?? index + 1} of ${NUMBERS[count] ?? count})`;
}

/** The ranking's reasons for lay readers: graph jargon ("hub (degree 18)", "hops", "predicate") said in words.
 *  A reason in another form is shown as it is. */
export function reasonInWords(reason) {
  const text = String(reason).replace(/\b\d{4}-\d{2}-\d{2}\b/g, (iso) => dateInWords(iso));
  let m = text.match(/^passes through hub '(.+)' \(degree (\d+)\)$/);
  if (m) return `passes through ${m[1]}, a much-connected hub (linked to ${m[2]} things), so it says less`;
  m = text.match(/^shortest possible \((\d+) hops?\)$/);
  if (m) return "as short as any connection between them";
  m = text.match(/^(\d+) hops? \((\d+) more than the shortest\)$/);
  if (m) return `${m[2] === "1" ? "one step" : `${m[2]} steps`} longer than the shortest connection`;
  m = text.match(/^passes through '(.+)', the topic of the sources: not penalised as a hub \(degree (\d+)\)$/);
  if (m) return `passes through ${m[1]}, what the sources are about, so being linked to ${m[2]} things does not count against it`;
  m = text.match(/^avoids hubs \(busiest node on the path: '(.+)', degree (\d+)\)$/);
  if (m) return `goes through no much-connected hub (the busiest thing on the way, ${m[1]}, is linked to ${m[2]} things)`;
  m = text.match(/^(\d+) of its (\d+) hops rest on outside facts only \((.+)\)$/);
  if (m) {
    const n = Number(m[1]);
    return `${NUMBERS[n] ?? n} of its ${NUMBERS[Number(m[2])] ?? m[2]} steps ${n === 1 ? "rests" : "rest"} only on outside facts (${m[3]})`;
  }
  m = text.match(/^uses rare predicate '(.+)' \(stated (?:once|\d+ times?) in the graph\)$/);
  if (m) return `uses a rare relation, “${m[1]}”, which says something specific`;
  return text.replace(/\bhops?\b/g, (w) => (w === "hop" ? "step" : "steps")).replace(/\bpredicate\b/g, "relation");
}

// Finding things by name: the /search API, and a search box with suggestions (an ARIA combobox).

import { el, getJSON, withParams, debounce, compact } from "./common.js";

/** One found thing (a Candidate of service/schemas.py: {iri, label, kind, match, matched}). */
export function normaliseThing(item) {
  return { iri: item.iri, label: item.label, kind: item.kind, match: item.match, matched: item.matched };
}

/** Text compared the way people read names: lower case, no accents, punctuation as spaces; hyphenated words
 *  ("eighteen-month") stay one word. */
export function folded(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}-]+/gu, " ")
    .trim();
}

/** Whether a suggestion is one a person typing `q` means: a name with a word that starts like each word typed.
 *  "Mont" means Montville, not the "eighteen-month refusal"; misspellings (fuzzy matches) are always kept. */
export function meant(thing, q) {
  if (!["prefix", "substring"].includes(thing.match)) return true;
  const words = folded(q).split(" ").filter(Boolean);
  const label = folded(thing.label);
  const other = folded(thing.matched);
  // The server's `matched` has lost its hyphens: use it only when it is another name (an alternative label).
  const names = [label, ...(other && other !== label.replace(/-/g, " ") ? [other] : [])].map((n) => n.split(" "));
  return names.some((name) => words.every((w) => name.some((word) => word.startsWith(w))));
}

/** The shortest text the paths API resolves to `thing` alone, for addresses people read and share: its label
 *  when no other of the `found` things (a search for that label) has it exactly, else its prefixed name
 *  (bc-person:joseph-v-montville), else its IRI. */
export function shortName(thing, found, cfg) {
  const exact = found.filter((t) => t.match === "exact");
  if (exact.length === 1 && exact[0].iri === thing.iri && thing.label) return thing.label;
  return compact(thing.iri, cfg.prefixes || {}) || thing.iri;
}

/** The things of a list of candidates (GET /search, or a problem's `candidates` or `suggestions`). */
export function thingsIn(list) {
  return list.map(normaliseThing);
}

/** Things whose names match `q` (GET /search?q=), without the matches inside a word that nobody means. */
export async function searchThings(cfg, q, { signal, limit = 10 } = {}) {
  return thingsIn(await getJSON(withParams(cfg.api.search, { q, limit }), { signal })).filter((t) => meant(t, q));
}

let boxes = 0;

/** Turn a text input into a search box. Its chosen thing is `input.dataset.iri` (cleared when the text changes). */
export function searchBox(input, cfg, { onChoose } = {}) {
  const id = `suggestions-${++boxes}`;
  const list = el("ul", { id, class: "suggestions-list", role: "listbox", hidden: true });
  input.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", id);
  input.setAttribute("aria-expanded", "false");
  let items = [];
  let active = -1;
  let controller = null;
  const closedFor = new Set();

  const close = () => {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const choose = (thing) => {
    input.value = thing.label;
    input.dataset.iri = thing.iri;
    input.dataset.label = thing.label;
    close();
    if (onChoose) onChoose(thing);
  };
  const mark = (index) => {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) input.setAttribute("aria-activedescendant", `${id}-${index}`);
  };
  const show = (found) => {
    items = found;
    list.replaceChildren(
      ...found.map((thing, i) =>
        el(
          "li",
          { id: `${id}-${i}`, role: "option", "aria-selected": "false", dataset: { iri: thing.iri }, onmousedown: (e) => { e.preventDefault(); choose(thing); } },
          el("span", { class: "suggestion-label" }, thing.label),
          thing.kind ? el("span", { class: "suggestion-kind" }, ` ${thing.kind}`) : null,
          // The name that matched, when it is another name than the label (an alternative label).
          thing.matched && folded(thing.matched).replace(/-/g, " ") !== folded(thing.label).replace(/-/g, " ")
            ? el("span", { class: "suggestion-description" }, ` (also called ${thing.matched})`)
            : null,
        ),
      ),
    );
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", String(found.length > 0));
    active = -1;
  };
  const lookup = debounce(async () => {
    const q = input.value.trim();
    if (q.length < 2) return close();
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      const found = await searchThings(cfg, q, { signal: controller.signal });
      // Only if the person is still typing this text here (not after they moved on or pressed Escape).
      if (document.activeElement === input && input.value.trim() === q && !closedFor.has(q)) show(found);
    } catch (err) {
      if (err.name !== "AbortError") close();
    }
  }, 180);

  input.addEventListener("input", () => {
    closedFor.clear();
    if (input.value !== input.dataset.label) {
      delete input.dataset.iri;
      delete input.dataset.label;
    }
    lookup();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closedFor.add(input.value.trim());
      close();
      return;
    }
    if (list.hidden) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      mark(Math.min(items.length - 1, active + 1));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      mark(Math.max(0, active - 1));
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(items[active]);
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  return { choose, close };
}

/** What a search box stands for: the chosen thing's IRI, else the text typed (the APIs resolve names). */
export function valueOf(input) {
  return input.dataset.iri && input.value === input.dataset.label ? input.dataset.iri : input.value.trim();
}

// The search boxes of the plain pages (home, entity pages): suggestions as one types, from GET /search.
//
// <input data-search="go">    choosing a suggestion opens the thing's page (the home page's "Find a thing");
// <input data-search="pick">  choosing a suggestion fills the box, and the form sends the chosen thing (an entity
//                             page's "Other end" of a path question).
// Without this script both are plain text fields whose forms still work: the server resolves the names.
// It also scrolls a wide picture (the neighbourhood of an entity page, on a phone) to its middle.

import { thingHref } from "./common.js";
import { searchBox, valueOf } from "./search.js";

const node = document.getElementById("site-config");
const cfg = node ? JSON.parse(node.textContent) : {};

for (const input of document.querySelectorAll("input[data-search]")) {
  const go = input.dataset.search === "go";
  searchBox(input, cfg, { onChoose: go ? (thing) => window.location.assign(thingHref(thing.iri, cfg)) : undefined });
  if (!go && input.form) {
    // Send the chosen thing by its shortest unambiguous name: what the explorer's address will show.
    input.form.addEventListener("submit", () => {
      input.value = valueOf(input);
    });
  }
}

// A picture wider than a phone scrolls in its own box: start with its middle (the thing itself) in view.
for (const box of document.querySelectorAll(".picture-scroll")) {
  if (box.scrollWidth > box.clientWidth) box.scrollLeft = (box.scrollWidth - box.clientWidth) / 2;
}

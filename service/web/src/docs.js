// The API documentation at /docs: Swagger UI (the npm package swagger-ui-dist, bundled here, never a CDN) reading
// our OpenAPI document. "Try it out" sends its requests to this server.

import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import { pageConfig } from "./common.js";

const cfg = pageConfig();

const ui = SwaggerUIBundle({
  url: cfg.openapi,
  dom_id: "#swagger-ui",
  deepLinking: false, // its links sit inside the operation buttons (a link in a button is not reachable by keyboard)
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null, // the validator badge would load an image from another host
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: false,
  syntaxHighlight: { activated: true, theme: "agate" },
  onComplete: () => document.getElementById("swagger-ui").setAttribute("aria-busy", "false"),
});

// Swagger UI draws a <main> inside our page's <main>, and its section headings one level too deep (h3 under our
// h1): make it a named region and its headings level 2, each time it draws (it redraws as things open).
const host = document.getElementById("swagger-ui");
const fitLandmarks = () => {
  for (const main of host.querySelectorAll("main")) {
    if (main.getAttribute("role") !== "region") {
      main.setAttribute("role", "region");
      main.setAttribute("aria-label", "Operations");
    }
  }
  for (const heading of host.querySelectorAll("h3.opblock-tag")) {
    if (heading.getAttribute("aria-level") !== "2") heading.setAttribute("aria-level", "2");
  }
};
new MutationObserver(fitLandmarks).observe(host, { childList: true, subtree: true });
window.backchannel = Object.assign(window.backchannel || { graphs: {} }, { swagger: ui });

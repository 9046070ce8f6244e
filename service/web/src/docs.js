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
window.backchannel = Object.assign(window.backchannel || { graphs: {} }, { swagger: ui });

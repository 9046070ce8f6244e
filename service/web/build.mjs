// Bundle the web interface into service/static/vendor/ (gitignored), from the packages pinned by package-lock.json.
//
//   npm ci --prefix service/web && node service/web/build.mjs      (or: make assets)
//
// Output (ES modules, minified, with source maps; shared code in chunks/):
//   editor.js, editor.css        the SPARQL editor at /editor (YASQE + YASR, our graph and timeline views)
//   explore.js, explore.css      the path explorer at /explore (cytoscape.js)
//   influence.js, influence.css  the influence view at /influence (cytoscape.js)
//   site.js, site.css            the search boxes of the home page and the entity pages (no library)
//   docs.js, docs.css            the API documentation at /docs (Swagger UI, from swagger-ui-dist)
//   build.json                   what was built, from which package versions
//   *.br, *.gz                   each text file compressed once here (brotli, gzip), served as it is asked for
// Nothing is fetched at run time: every script, style and font the pages use is in these files.

import { build } from "esbuild";
import { readFile, rm, mkdir, writeFile } from "node:fs/promises";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static", "vendor");
const entries = ["editor", "explore", "influence", "site", "docs"];
const COMPRESSIBLE = /\.(js|css|map|json|svg|txt)$/;
const SMALLEST = 1024; // bytes: below this, compression saves less than its headers cost

async function version(pkg) {
  const text = await readFile(join(here, "node_modules", pkg, "package.json"), "utf8");
  return JSON.parse(text).version;
}

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: entries.flatMap((name) => [
    { in: `src/${name}.js`, out: name },
    { in: `src/${name}.css`, out: name },
  ]),
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["es2020"],
  minify: true,
  sourcemap: "linked",
  legalComments: "linked",
  chunkNames: "chunks/[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".svg": "file", ".png": "file" },
  define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
  metafile: true,
  logLevel: "warning",
});

const packages = {};
for (const pkg of ["@zazuko/yasqe", "@zazuko/yasr", "cytoscape", "swagger-ui-dist", "esbuild"]) {
  packages[pkg] = await version(pkg);
}
const files = Object.keys(result.metafile.outputs).map((path) => path.slice(path.indexOf("vendor/") + 7)).sort();

// Precompressed variants, made once at the highest settings (the server picks one by Accept-Encoding).
let compressed = 0;
for (const file of files.filter((f) => COMPRESSIBLE.test(f))) {
  const data = await readFile(join(out, file));
  if (data.length < SMALLEST) continue;
  const br = brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  await writeFile(join(out, file + ".br"), br);
  await writeFile(join(out, file + ".gz"), gzipSync(data, { level: 9 }));
  compressed += 1;
}
await writeFile(join(out, "build.json"), JSON.stringify({ entries, packages, files }, null, 2) + "\n");
console.log(`web assets: ${files.filter((f) => !f.endsWith(".map")).length} files in ${out} (${compressed} compressed)`);

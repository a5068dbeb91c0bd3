// Bundles the browser code in web/src/ into web/static/dist/ with esbuild, both from the npm
// registry through package-lock.json. The output is not committed: `make` builds it, and it travels
// in the wheel, so a server installed with pip needs no Node. Run: npm run build --prefix web
//
// Before bundling, bpmnlint's rules named in .bpmnlintrc are packed into one module (there is no
// esbuild plugin for it; bpmnlint-pack-config uses rollup), which the procedure editor imports as
// "xianfeng-bpmnlint-config". Every rule is a warning there: the server's checks are what refuse.
import { build } from "esbuild";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const entries = readdirSync(join(here, "src"))
  .filter((name) => name.endsWith(".js"))
  .map((name) => join(here, "src", name));

const packedLint = join(here, "node_modules", ".cache", "xianfeng", "bpmnlint-config.js");
const { packConfig } = require("bpmnlint-pack-config");
const packed = await packConfig(join(here, ".bpmnlintrc"), "es");
mkdirSync(dirname(packedLint), { recursive: true });
writeFileSync(packedLint, packed.code);

await build({
  entryPoints: entries,
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  outdir: join(here, "static", "dist"),
  assetNames: "assets/[name]-[hash]",
  loader: { ".eot": "file", ".svg": "file", ".woff": "file", ".woff2": "file", ".ttf": "file" },
  jsx: "automatic",
  jsxImportSource: "@bpmn-io/properties-panel/preact",
  alias: { "xianfeng-bpmnlint-config": packedLint },
  legalComments: "linked",
  logLevel: "warning",
});

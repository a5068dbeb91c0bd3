// Bundles the browser code in web/src/ into web/static/dist/ with esbuild, both from the npm
// registry through package-lock.json. The output is not committed: `make` builds it, and it travels
// in the wheel, so a server installed with pip needs no Node. Run: npm run build --prefix web
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entries = readdirSync(join(here, "src"))
  .filter((name) => name.endsWith(".js"))
  .map((name) => join(here, "src", name));

await build({
  entryPoints: entries,
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  outdir: join(here, "static", "dist"),
  assetNames: "assets/[name]-[hash]",
  loader: { ".eot": "file", ".svg": "file", ".woff": "file", ".woff2": "file", ".ttf": "file" },
  legalComments: "linked",
  logLevel: "warning",
});

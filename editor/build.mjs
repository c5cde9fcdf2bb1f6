// Builds ../static/vendor/codemirror/editor.js (one minified file) and LICENSE.txt beside it,
// which holds the licence of every package that ended up in the bundle. Run: `make editor-assets`.
import { build } from "esbuild";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const out = "../static/vendor/codemirror";
const result = await build({
  entryPoints: ["src/editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2019",
  legalComments: "none",
  metafile: true,
  outfile: `${out}/editor.js`,
});

const packages = new Map();
// Only the modules that left code in the bundle (tree-shaken ones leave none).
const bundled = Object.values(result.metafile.outputs)[0].inputs;
for (const [input, { bytesInOutput }] of Object.entries(bundled)) {
  if (!bytesInOutput) continue;
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.set(match[1], join("node_modules", match[1]));
}
const parts = [
  "static/vendor/codemirror/editor.js bundles the packages below (built from editor/ by `make editor-assets`).",
];
for (const [name, dir] of [...packages].sort()) {
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`no licence file in ${dir}`);
  parts.push(`${"=".repeat(72)}\n${name} ${meta.version} (${meta.license})\n${"=".repeat(72)}\n${readFileSync(join(dir, file), "utf8").trim()}`);
}
writeFileSync(`${out}/LICENSE.txt`, parts.join("\n\n") + "\n");
console.log(`${out}/editor.js: ${packages.size} packages`);

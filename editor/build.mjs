// Builds ../static/vendor/codemirror/editor.js (one minified file) and LICENSE.txt beside it,
// which holds the licence of every package that ended up in the bundle. Run: `make editor-assets`.
import { build } from "esbuild";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const out = "../static/vendor/codemirror";

// The pages' Content-Security-Policy allows no inline <style> (style-src 'self'). style-mod, which
// CodeMirror uses for its own styles, puts them in a <style> element in a document and uses a
// constructed stylesheet (document.adoptedStyleSheets, which CSP allows) only in a shadow root.
// This makes it use the constructed stylesheet in the document too, where the browser has it.
const STYLE_MOD_TEST = "if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {";
const adoptedStyles = {
  name: "adopted-styles",
  setup(build) {
    build.onLoad({ filter: /style-mod[\\/]src[\\/]style-mod\.js$/ }, async (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes(STYLE_MOD_TEST)) throw new Error("style-mod changed: check the CSP patch");
      return { contents: source.replace(STYLE_MOD_TEST, "if (root.adoptedStyleSheets && win.CSSStyleSheet) {"), loader: "js" };
    });
  },
};

const result = await build({
  entryPoints: ["src/editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2019",
  legalComments: "none",
  metafile: true,
  plugins: [adoptedStyles],
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
  "static/vendor/codemirror/editor.js bundles the packages below (built from editor/ by `make editor-assets`).\n" +
    "style-mod is patched at build time (editor/build.mjs) to use a constructed stylesheet in the document.",
];
for (const [name, dir] of [...packages].sort()) {
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`no licence file in ${dir}`);
  parts.push(`${"=".repeat(72)}\n${name} ${meta.version} (${meta.license})\n${"=".repeat(72)}\n${readFileSync(join(dir, file), "utf8").trim()}`);
}
writeFileSync(`${out}/LICENSE.txt`, parts.join("\n\n") + "\n");
console.log(`${out}/editor.js: ${packages.size} packages`);

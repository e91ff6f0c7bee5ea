// The report as one self-contained HTML file: uPlot's script and style, the page's own script and
// style, and the run's data as JSON, all inline. A Content-Security-Policy forbids every fetch, so
// the file provably needs no network (and a stray URL fails loudly in a test, not silently).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunReport } from "./types.ts";

const here = dirname(fileURLToPath(import.meta.url));
const uplotDir = join(dirname(createRequire(import.meta.url).resolve("uplot/package.json")), "dist");

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/** JSON that is safe inside a <script> element (no "</script>", no "<!--"). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

export function reportHtml(run: RunReport): string {
  const uplotJs = readFileSync(join(uplotDir, "uPlot.iife.min.js"), "utf8");
  const uplotCss = readFileSync(join(uplotDir, "uPlot.min.css"), "utf8");
  const pageJs = readFileSync(join(here, "page.js"), "utf8");
  const pageCss = readFileSync(join(here, "page.css"), "utf8");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(run.title)}</title>
<style>${uplotCss}</style>
<style>${pageCss}</style>
</head>
<body>
<header><h1 id="title"></h1><div class="meta" id="meta"></div></header>
<main></main>
<script id="report-data" type="application/json">${scriptJson(run)}</script>
<script>${uplotJs.replace(/<\/script/gi, "<\\/script")}</script>
<script>${pageJs}</script>
</body>
</html>
`;
}

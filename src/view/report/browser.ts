// The system's Chromium, headless, driven by playwright-core (no browser download: Debian's
// `chromium` package). Opens a report with every request that is not the file itself refused and
// recorded, collects console errors, and waits until every plot has been drawn — what the tests
// check and what `--png` screenshots.
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export class BrowserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BrowserError";
  }
}

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

/** The browser to use: $OMNILOOP_CHROMIUM, else the first system Chromium found. */
export function findChromium(): string {
  const env = process.env.OMNILOOP_CHROMIUM;
  if (env) {
    if (!existsSync(env)) throw new BrowserError(`OMNILOOP_CHROMIUM=${env}: no such file`);
    return env;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new BrowserError(`no Chromium found (looked for ${CANDIDATES.join(", ")}); install it (Debian: apt-get install chromium) or set OMNILOOP_CHROMIUM`);
  return found;
}

export interface OpenedReport {
  browser: Browser;
  page: Page;
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
  /** URLs the page tried to fetch (all refused). */
  requests: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  width?: number;
  height?: number;
  /** Open every episode's section (building all its plots). */
  openAll?: boolean;
  timeoutMs?: number;
}

export async function openReport(file: string, o: OpenOptions = {}): Promise<OpenedReport> {
  const browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    chromiumSandbox: false,
    args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: o.width ?? 1400, height: o.height ?? 900 }, deviceScaleFactor: 1 });
    const url = pathToFileURL(file).href;
    const requests: string[] = [];
    await context.route("**/*", (route) => {
      const u = route.request().url();
      if (u === url || u.startsWith("data:")) return route.continue();
      requests.push(u);
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
    await page.goto(url, { waitUntil: "load", timeout: o.timeoutMs ?? 30_000 });
    await page.waitForSelector("body[data-ready='1']", { timeout: o.timeoutMs ?? 30_000 });
    if (o.openAll) await page.evaluate("window.omniloopOpenAll()");
    // A string, not a function: this package compiles without the DOM's types.
    await page.waitForFunction(`[...document.querySelectorAll(".plot")].every((p) => p.dataset.state !== "pending")`, undefined, { timeout: o.timeoutMs ?? 30_000 });
    return { browser, page, errors, requests, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

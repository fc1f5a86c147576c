/**
 * Real Chromium for the browser tests (test/browser/), driven by playwright-core, which never
 * downloads a browser: it runs the one at CHROME_PATH or /usr/bin/chromium (Debian's `chromium`).
 * And the other site the attacks come from: a page server on 127.0.0.1, which is another site
 * than the service's http://localhost (another port of localhost would be the same site).
 */
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

/** Launches headless Chromium with a fresh profile. Throws, saying how to install it, when there is none. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROME_PATH || "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: install Debian's (apt-get install -y chromium) or set CHROME_PATH to a Chromium or Chrome binary.`,
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    // The network is closed: without the background-networking flags Chromium keeps dialling Google.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface OtherSite {
  readonly origin: string;
  stop(): Promise<void>;
}

/** Serves the given HTML pages (path to HTML) on 127.0.0.1 on a free port. */
export function startOtherSite(pages: Readonly<Record<string, string>>): Promise<OtherSite> {
  const server = createServer((req, res) => {
    const html = pages[req.url ?? ""];
    res.writeHead(html === undefined ? 404 : 200, { "content-type": "text/html; charset=utf-8" });
    res.end(html ?? "not found");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        stop: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** The service's URL as a browser should use it: http://localhost, a secure context of its own site. */
export function localhostUrl(baseUrl: string): string {
  return baseUrl.replace("://127.0.0.1:", "://localhost:");
}

/** Opens the page at `url` in a new tab of `context` and signs user1 in with its form; resolves once it greets them. */
export async function signInOnPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.fill("#username", "user1");
  await page.fill("#password", "password1");
  await page.click("#signin-button");
  await expect.poll(() => page.textContent("#who")).toBe("user1");
  return page;
}

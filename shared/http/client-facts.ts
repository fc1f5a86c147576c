/**
 * What the edge tells the core of the client that signs in: a short device label from the
 * User-Agent ("Chrome on Linux") and the source address. A dozen rules of our own rather than a
 * User-Agent library (docs/dependencies.md): the label is a hint for the user, never a decision.
 */
import type { ClientFacts } from "../core/ports.ts";
import { type HttpEvent, requestHeader } from "./event.ts";

// First match wins: browsers built on Chrome or Safari name themselves before the engine they share.
const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/\bEdg(e|A|iOS)?\//, "Edge"],
  [/\b(OPR|Opera)\//, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\b(Firefox|FxiOS)\//, "Firefox"],
  [/\b(Chrome|CriOS|Chromium)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*Safari\//, "Safari"],
  [/^curl\//, "curl"],
];

const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/\b(iPhone|iPad|iPod)\b/, "iOS"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

const nameBy = (rules: readonly (readonly [RegExp, string])[], agent: string) =>
  rules.find(([pattern]) => pattern.test(agent))?.[1];

/** A short label for a User-Agent: "Chrome on Linux", "Safari on iOS", "Firefox"; "" when unknown. */
export function deviceLabel(userAgent: string | undefined): string {
  const agent = (userAgent ?? "").slice(0, 512);
  const browser = nameBy(BROWSERS, agent);
  const system = nameBy(SYSTEMS, agent);
  if (browser === undefined) return system === undefined ? "" : `Unknown browser on ${system}`;
  return system === undefined ? browser : `${browser} on ${system}`;
}

/** The device label and source address of a request, as plain text. Throws nothing. */
export function clientFacts(event: HttpEvent): ClientFacts {
  const ip = event?.requestContext?.http?.sourceIp;
  return {
    device: deviceLabel(requestHeader(event, "user-agent") ?? event?.requestContext?.http?.userAgent),
    ip: typeof ip === "string" ? ip.slice(0, 64) : "",
  };
}

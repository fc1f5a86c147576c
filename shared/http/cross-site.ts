/**
 * The rule every state-changing route applies before it reads a cookie: a request that a browser
 * marks as sent by another site's page is refused. Browsers send Fetch Metadata
 * (`Sec-Fetch-Site`) and, on every POST, `Origin`; curl and servers send neither and are not
 * affected. SameSite=Strict keeps the cookie out of such requests, but not the Set-Cookie of
 * their answers: a cross-site link to /logout would still clear it.
 */
import { AppError } from "../core/errors.ts";
import { type HttpEvent, requestHeader } from "./event.ts";

// Pages served over http are only ours on a developer's machine; API Gateway is https only.
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

// Origins, hosts and Sec-Fetch-Site compare without case or surrounding space.
function header(event: HttpEvent, name: string): string | undefined {
  return requestHeader(event, name)?.trim().toLowerCase();
}

/** The origins of this service as a browser names them: https on the request's Host, http too on loopback. */
function ownOrigins(event: HttpEvent): string[] {
  const host = header(event, "host");
  if (host === undefined || host === "") return [];
  return LOOPBACK_HOST.test(host) ? [`https://${host}`, `http://${host}`] : [`https://${host}`];
}

/** What the log line of a refused request says of its sender: its Origin and Sec-Fetch-Site, cut short. */
export function senderFacts(event: HttpEvent): { origin?: string; fetchSite?: string } {
  return { origin: header(event, "origin")?.slice(0, 200), fetchSite: header(event, "sec-fetch-site")?.slice(0, 40) };
}

/**
 * Throws AppError `cross_site_request` when `Sec-Fetch-Site` is `cross-site`; when it is
 * `same-site` (a sibling subdomain, another port of localhost) without an allowed `Origin`; or
 * when an `Origin` is present and is neither this service's nor one of `allowedOrigins`.
 */
export function assertNotCrossSite(event: HttpEvent, allowedOrigins: readonly string[]): void {
  const site = header(event, "sec-fetch-site");
  const origin = header(event, "origin");
  const allowed = origin !== undefined && (allowedOrigins.includes(origin) || ownOrigins(event).includes(origin));
  const refused = site === "cross-site" || (site === "same-site" && !allowed) || (origin !== undefined && !allowed);
  if (refused) throw new AppError("cross_site_request");
}

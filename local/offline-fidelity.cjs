/**
 * A serverless plugin for `npm start` and the HTTP tests: it corrects the places where
 * serverless-offline 14.8's HTTP API events differ from API Gateway's in ways that change the
 * service's answers (LambdaProxyIntegrationEventV2#create):
 * - Offline gives a request that has a body but no Content-Type the header `content-type:
 *   application/json`. API Gateway passes no such header, so there sign-in answers 415; the
 *   added header is taken out again.
 * - Offline builds `event.cookies` from the cookies hapi parsed: hapi refuses a malformed Cookie
 *   header with its own bare 400, and with `disableCookieValidation` (serverless.yml) it parses
 *   none, so no cookie would arrive. API Gateway hands the function the Cookie header split at
 *   ";", whatever it holds; so does this, and the function answers with its JSON.
 * - Offline approves any page's Origin with credentials on its own HTTP port. `npm start` puts
 *   local/gateway-proxy.ts in front, which adds API Gateway's CORS, but offline's port still
 *   listens on 127.0.0.1, where a page can find it; so no answer of this process carries an
 *   `Access-Control-*` header, and a preflight to it fails in the browser.
 * - Offline puts a placeholder in `requestContext.domainName`, where API Gateway names the API's
 *   domain (the passkeys' default RP ID); this puts `localhost`, the domain of the local API.
 * It acts only under `serverless offline start`; packaging and deploying load it and do nothing.
 */
"use strict";
const { AsyncLocalStorage } = require("node:async_hooks");
const http = require("node:http");
const { dirname, join } = require("node:path");
const { pathToFileURL } = require("node:url");

// The Node request being served, so the patched event builder can see the raw headers (offline
// keeps its hapi request in a private field).
const requests = new AsyncLocalStorage();
let patched = false;

async function patchOffline() {
  if (patched) return;
  patched = true;
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emitWithRequest(name, ...args) {
    if (name === "request") {
      withoutCors(args[1]);
      return requests.run(args[0], () => emit.call(this, name, ...args));
    }
    return emit.call(this, name, ...args);
  };
  // The same file offline imports, so the same class: deep imports are outside its exports map.
  const file = join(
    dirname(require.resolve("serverless-offline")),
    "events/http/lambda-events/LambdaProxyIntegrationEventV2.js",
  );
  const { default: EventV2 } = await import(pathToFileURL(file).href);
  const create = EventV2?.prototype?.create;
  if (typeof create !== "function") {
    throw new Error(
      "serverless-offline changed: local/offline-fidelity.cjs no longer finds its HTTP API event builder",
    );
  }
  EventV2.prototype.create = function createAsApiGatewayDoes() {
    const event = create.call(this);
    const request = requests.getStore();
    if (request === undefined || typeof event !== "object" || event === null) return event;
    if (request.headers["content-type"] === undefined && event.headers) delete event.headers["content-type"];
    const header = request.headers.cookie;
    const cookies = typeof header === "string" ? header.split(";").map((cookie) => cookie.trim()) : [];
    event.cookies = cookies.filter((cookie) => cookie !== "");
    if (event.cookies.length === 0) delete event.cookies; // API Gateway leaves the field out
    // API Gateway names the API's domain here; offline a placeholder. Locally the API is localhost.
    if (event.requestContext) event.requestContext.domainName = "localhost";
    return event;
  };
}

const CORS_HEADER = /^access-control-/i;

// Drops every CORS header a response is given, however it is set (setHeader or writeHead).
function withoutCors(res) {
  const setHeader = res.setHeader;
  res.setHeader = function setHeaderWithoutCors(name, value) {
    return CORS_HEADER.test(String(name)) ? this : setHeader.call(this, name, value);
  };
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithoutCors(status, ...rest) {
    const headers = rest.at(-1);
    if (headers !== null && typeof headers === "object" && !Array.isArray(headers)) {
      for (const name of Object.keys(headers)) if (CORS_HEADER.test(name)) delete headers[name];
    }
    return writeHead.call(this, status, ...rest);
  };
}

class OfflineFidelity {
  constructor() {
    this.hooks = { "before:offline:start:init": patchOffline, "before:offline:start": patchOffline };
  }
}

module.exports = OfflineFidelity;

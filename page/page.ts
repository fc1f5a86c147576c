/**
 * The script of the page at GET /: sign in (or create an account), show who is signed in and how
 * long the session token has left, renew it before it expires, change the password, log out (here
 * or everywhere). It talks to the routes of
 * its own origin only, and keeps times relative to the answers it got, so a client clock that
 * disagrees with the server's changes nothing. The session cookie is HttpOnly: the page never
 * sees the token; localStorage keeps only the user name and when to renew. Its tabs share one
 * cookie, so one tab renews it at a time (a Web Lock) and tells the others (a BroadcastChannel).
 * Passkeys (where the browser has WebAuthn's JSON methods): sign in with one, from the button or
 * the username field's autofill, and list, add and remove them once signed in.
 */

interface Issued {
  readonly username: string;
  readonly expiresInSeconds: number;
  readonly refreshInSeconds: number;
}

/** What this page knows of the session, in this browser's clock (milliseconds). */
interface Known {
  readonly username: string;
  readonly receivedAt: number;
  readonly expiresAt: number;
  readonly refreshAt: number;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

const STORAGE_KEY = "serverless-jwt-auth.session";
/** Retry a failed renewal after this long, while the token still has time left. */
const RETRY_MS = 2000;
/** A gap this long between two ticks of the 1 s timer means the tab was asleep. */
const ASLEEP_MS = 5000;
/** The Web Lock one tab holds while it renews the cookie they share. */
const REFRESH_LOCK = "serverless-jwt-auth.refresh";
/** What one tab tells the others: the session it renewed, or that it signed out. */
type TabNews = { readonly renewed: Known } | { readonly signedOut: true };
const tabs = typeof BroadcastChannel === "function" ? new BroadcastChannel("serverless-jwt-auth.session") : undefined;

// Friendlier words for the API's stable error codes; any other code shows the API's message.
const MESSAGES: Record<string, string> = {
  invalid_credentials: "Wrong username or password.",
  missing_token: "You are signed out.",
  invalid_token: "Your session is no longer valid. Sign in again.",
  token_expired: "Your session expired. Sign in again.",
  session_expired: "Your session reached its maximum length. Sign in again.",
  session_revoked: "Your session was ended. Sign in again.",
  session_not_found: "That session has already ended.",
  ambiguous_token: "This browser holds two session cookies. Log out, then sign in again.",
  cross_site_request: "The service refused the request as coming from another site.",
  service_unavailable: "The service is unavailable for a moment. Try again in a few seconds.",
  invalid_passkey: "That passkey was not accepted.",
  passkey_not_found: "That passkey no longer exists.",
};

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const view = {
  signedOut: element<HTMLElement>("signed-out"),
  signedIn: element<HTMLElement>("signed-in"),
  form: element<HTMLFormElement>("signin-form"),
  username: element<HTMLInputElement>("username"),
  password: element<HTMLInputElement>("password"),
  signInButton: element<HTMLButtonElement>("signin-button"),
  who: element<HTMLElement>("who"),
  timeLeft: element<HTMLElement>("time-left"),
  nextRefresh: element<HTMLElement>("next-refresh"),
  meter: element<HTMLElement>("meter-fill"),
  logout: element<HTMLButtonElement>("logout"),
  logoutEverywhere: element<HTMLButtonElement>("logout-everywhere"),
  devices: element<HTMLUListElement>("devices"),
  logoutOthers: element<HTMLButtonElement>("logout-others"),
  message: element<HTMLElement>("message"),
  signup: element<HTMLElement>("signup"),
  signupForm: element<HTMLFormElement>("signup-form"),
  signupUsername: element<HTMLInputElement>("signup-username"),
  signupPassword: element<HTMLInputElement>("signup-password"),
  signupError: element<HTMLElement>("signup-error"),
  signupButton: element<HTMLButtonElement>("signup-button"),
  signupClosed: element<HTMLElement>("signup-closed"),
  passwordForm: element<HTMLFormElement>("password-form"),
  currentPassword: element<HTMLInputElement>("current-password"),
  newPassword: element<HTMLInputElement>("new-password"),
  passwordError: element<HTMLElement>("password-error"),
  passwordButton: element<HTMLButtonElement>("password-button"),
  passkeySignIn: element<HTMLButtonElement>("passkey-signin"),
  passkeys: element<HTMLElement>("passkeys"),
  passkeyList: element<HTMLUListElement>("passkey-list"),
  noPasskeys: element<HTMLElement>("no-passkeys"),
  addPasskey: element<HTMLButtonElement>("add-passkey"),
  reauthForm: element<HTMLFormElement>("reauth-form"),
  reauthPassword: element<HTMLInputElement>("reauth-password"),
};

interface PasskeySummary {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt?: number;
}

// WebAuthn's JSON forms in the browser itself (Chromium 129+, Firefox 119+, Safari 18.4+); without them, no passkeys.
const passkeysSupported =
  typeof PublicKeyCredential !== "undefined" &&
  typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
  typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";
/** The pending autofill (conditional) passkey request, aborted before any other WebAuthn call. */
let autofill: AbortController | undefined;
/** What to retry with the password once the user gives it (reauthentication_required). */
let awaitingPassword: ((password: string) => Promise<void>) | undefined;

let known: Known | undefined;
let refreshTimer: number | undefined;
let lastTick = Date.now();
let resuming = false;

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // welcome answers text/plain; a gateway error may be anything
  }
  return { status: response.status, body: parsed };
}

function errorText(answer: Answer): string {
  const body = answer.body as { error?: unknown; message?: unknown } | null;
  const code = typeof body?.error === "string" ? body.error : undefined;
  if (code !== undefined && MESSAGES[code] !== undefined) return MESSAGES[code];
  if (typeof body?.message === "string" && body.message !== "") return body.message;
  return `The service answered ${answer.status}.`;
}

function say(text: string, tone: "ok" | "error" | "info" = "info"): void {
  view.message.textContent = text;
  view.message.className = `message ${tone}`;
  view.message.hidden = text === "";
}

/** When to renew: once the refresh window has opened, with a margin for latency and timer drift. */
function fromIssued(issued: Issued, receivedAt: number): Known {
  const windowSeconds = issued.expiresInSeconds - issued.refreshInSeconds;
  const marginSeconds = Math.min(5, windowSeconds / 4);
  return {
    username: issued.username,
    receivedAt,
    expiresAt: receivedAt + issued.expiresInSeconds * 1000,
    refreshAt: receivedAt + (issued.refreshInSeconds + marginSeconds) * 1000,
  };
}

function isIssued(body: unknown): body is Issued {
  const b = body as Partial<Issued> | null;
  return (
    typeof b?.username === "string" && typeof b.expiresInSeconds === "number" && typeof b.refreshInSeconds === "number"
  );
}

function remember(next: Known | undefined): void {
  known = next;
  if (next === undefined) localStorage.removeItem(STORAGE_KEY);
  else localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
}

function stored(): Known | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Known | null;
    if (value === null || typeof value.username !== "string" || typeof value.expiresAt !== "number") return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/** The later of what this tab knows and what the tabs stored: an answer that arrived late never wins. */
function newest(candidate: Known): Known {
  const latest = stored();
  return latest !== undefined && latest.expiresAt > candidate.expiresAt ? latest : candidate;
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

function render(): void {
  const now = Date.now();
  view.signedIn.hidden = known === undefined;
  view.signedOut.hidden = known !== undefined;
  view.signup.hidden = known !== undefined;
  if (known === undefined) return;
  view.who.textContent = known.username;
  const left = known.expiresAt - now;
  view.timeLeft.textContent = duration(left);
  view.nextRefresh.textContent = known.refreshAt > now ? `in ${duration(known.refreshAt - now)}` : "now";
  const total = known.expiresAt - known.receivedAt;
  view.meter.style.width = `${total > 0 ? Math.max(0, Math.min(100, (left / total) * 100)) : 0}%`;
}

/** Takes `next` as the session; `announce` tells the other tabs (who then do the same). */
function signedIn(next: Known, announce = false): void {
  const first = known === undefined;
  autofill?.abort();
  remember(next);
  schedule(next.refreshAt - Date.now());
  render();
  if (announce) tabs?.postMessage({ renewed: next } satisfies TabNews);
  if (first) void showSessions();
}

interface Listed {
  readonly id: string;
  readonly current: boolean;
  readonly device: string;
  readonly ip: string;
  readonly signedInAt: string;
  readonly lastActiveAt: string;
}

const when = (iso: string) => new Date(iso).toLocaleString();

/** Lists where the user is signed in, built with textContent only: nothing listed is markup. */
async function showSessions(): Promise<void> {
  let answer: Answer;
  try {
    answer = await call("GET", "/sessions");
  } catch {
    return;
  }
  if (answer.status === 401) return signedOut(errorText(answer), "error");
  const sessions = (answer.body as { sessions?: Listed[] } | null)?.sessions;
  if (answer.status !== 200 || !Array.isArray(sessions)) return;
  view.devices.replaceChildren(
    ...sessions.map((session) => {
      const item = document.createElement("li");
      const text = document.createElement("div");
      text.textContent = `${session.device || "Unknown device"}${session.current ? " (this device)" : ""}`;
      const details = document.createElement("small");
      details.textContent = `${session.ip || "unknown address"} · signed in ${when(session.signedInAt)} · last active ${when(session.lastActiveAt)}`;
      text.append(details);
      item.append(text);
      if (!session.current) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = "Sign out";
        button.addEventListener("click", () => void endSession(session.id, button));
        item.append(button);
      }
      return item;
    }),
  );
  view.logoutOthers.hidden = !sessions.some((session) => !session.current);
}

async function endSession(id: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const answer = await call("DELETE", `/sessions/${encodeURIComponent(id)}`);
    if (answer.status === 200 || answer.status === 404)
      say(answer.status === 200 ? "Signed out that session." : errorText(answer), "ok");
    else if (answer.status === 401) return signedOut(errorText(answer), "error");
    else say(errorText(answer), "error");
  } catch {
    say("The service cannot be reached. Check your connection and try again.", "error");
  }
  await showSessions();
}

async function endOthers(): Promise<void> {
  view.logoutOthers.disabled = true;
  try {
    const answer = await call("POST", "/logout-others");
    if (answer.status === 401) return signedOut(errorText(answer), "error");
    say(
      answer.status === 200 ? "Signed out of every other session." : errorText(answer),
      answer.status === 200 ? "ok" : "error",
    );
  } catch {
    say("The service cannot be reached. Check your connection and try again.", "error");
  } finally {
    view.logoutOthers.disabled = false;
  }
  await showSessions();
}

function signedOut(text: string, tone: "ok" | "error" | "info", announce = false): void {
  window.clearTimeout(refreshTimer);
  remember(undefined);
  render();
  say(text, tone);
  if (announce) tabs?.postMessage({ signedOut: true } satisfies TabNews);
  view.passkeys.hidden = true;
  view.reauthForm.hidden = true;
  void startAutofill();
}

function schedule(delayMs: number): void {
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => void renew(), Math.max(0, delayMs));
}

/** Runs `work` while no other tab of this origin renews (Web Locks; alone without them). */
async function withRefreshLock(work: () => Promise<void>): Promise<void> {
  if (navigator.locks === undefined) return work();
  await navigator.locks.request(REFRESH_LOCK, work);
}

/** Renews the cookie, unless another tab did while this one waited for the lock. */
async function renew(): Promise<void> {
  if (known === undefined) return;
  if (Date.now() - lastTick > ASLEEP_MS) return resume();
  const mine = known.expiresAt;
  await withRefreshLock(async () => {
    const latest = stored();
    if (latest === undefined) return signedOut("Signed out in another tab.", "info");
    if (latest.expiresAt > mine) return signedIn(latest);
    await refreshNow();
  });
}

async function refreshNow(): Promise<void> {
  let answer: Answer;
  try {
    answer = await call("POST", "/refresh");
  } catch {
    return retryOrExpire("The service cannot be reached; retrying.");
  }
  if (answer.status === 200 && isIssued(answer.body)) {
    signedIn(fromIssued(answer.body, Date.now()), true);
    if (view.message.classList.contains("error")) say("");
    return;
  }
  const code = (answer.body as { error?: unknown } | null)?.error;
  if (code === "refresh_too_early") {
    const latest = stored();
    if (latest !== undefined && latest.expiresAt > (known?.expiresAt ?? 0)) return signedIn(latest);
    return retryOrExpire("");
  }
  if (answer.status === 401) return signedOut(errorText(answer), "error", true);
  retryOrExpire(`${errorText(answer)} Retrying.`);
}

/**
 * After sleep the cookie may have been renewed by another tab, ended, or expired: take the
 * newest times the tabs know, then ask /welcome before anything else.
 */
async function resume(): Promise<void> {
  if (resuming || known === undefined) return;
  resuming = true;
  window.clearTimeout(refreshTimer);
  try {
    const mine = known;
    const answer = await call("GET", "/welcome");
    lastTick = Date.now();
    if (stored() === undefined) signedOut("Signed out in another tab.", "info");
    else if (answer.status === 200) signedIn(newest(mine));
    else signedOut(errorText(answer), "info");
  } catch {
    lastTick = Date.now();
    retryOrExpire("The service cannot be reached; retrying.");
  } finally {
    resuming = false;
  }
}

function retryOrExpire(text: string): void {
  if (known !== undefined && known.expiresAt - Date.now() > RETRY_MS) {
    if (text !== "") say(text, "error");
    schedule(RETRY_MS);
  } else {
    signedOut("Your session expired. Sign in again.", "error");
  }
}

/**
 * Signs in with a passkey: from the button (a modal prompt) or, with `conditional`, from the
 * username field's autofill, which waits until the user picks one.
 */
async function passkeySignIn(conditional = false): Promise<void> {
  autofill?.abort();
  const controller = new AbortController();
  if (conditional) autofill = controller;
  try {
    const options = await call("POST", "/signin/passkey-options", {});
    if (options.status !== 200) {
      if (!conditional) say(errorText(options), "error");
      return;
    }
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.body as PublicKeyCredentialRequestOptionsJSON),
      signal: controller.signal,
      ...(conditional ? { mediation: "conditional" as CredentialMediationRequirement } : {}),
    });
    if (!(credential instanceof PublicKeyCredential)) return;
    const answer = await call("POST", "/signin/passkey", credential.toJSON());
    if (answer.status === 200 && isIssued(answer.body)) {
      say("");
      signedIn(fromIssued(answer.body, Date.now()));
      void loadPasskeys();
    } else {
      say(errorText(answer), "error");
    }
  } catch {
    // The browser ends an autofill request as it likes (a form submitted, another request); a
    // cancelled prompt says so.
    if (!conditional && !controller.signal.aborted) say("No passkey was used.", "error");
  }
}

async function startAutofill(): Promise<void> {
  if (!passkeysSupported || known !== undefined) return;
  if (await PublicKeyCredential.isConditionalMediationAvailable?.()) void passkeySignIn(true);
}

function renderPasskeys(passkeys: readonly PasskeySummary[]): void {
  const day = (ms: number) => new Date(ms).toLocaleDateString();
  view.passkeyList.replaceChildren(
    ...passkeys.map((passkey) => {
      const item = document.createElement("li");
      const label = document.createElement("span");
      const detail = document.createElement("small");
      label.textContent = passkey.name;
      detail.textContent = `added ${day(passkey.createdAt)}, ${passkey.lastUsedAt === undefined ? "never used" : `last used ${day(passkey.lastUsedAt)}`}`;
      label.append(detail);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Remove";
      remove.dataset.id = passkey.id;
      remove.addEventListener(
        "click",
        () => void withReauthentication((password) => removePasskey(passkey.id, password)),
      );
      item.append(label, remove);
      return item;
    }),
  );
  view.noPasskeys.hidden = passkeys.length > 0;
  view.passkeys.hidden = false;
}

async function loadPasskeys(): Promise<void> {
  if (!passkeysSupported || known === undefined) return;
  const answer = await call("GET", "/passkeys");
  const list = (answer.body as { passkeys?: unknown } | null)?.passkeys;
  if (answer.status === 200 && Array.isArray(list)) renderPasskeys(list as PasskeySummary[]);
  else view.passkeys.hidden = true;
}

/** Runs a passkey change; when the service wants the password first, asks for it and runs it again. */
async function withReauthentication(change: (password?: string) => Promise<Answer | undefined>): Promise<void> {
  const answer = await change();
  if ((answer?.body as { error?: unknown } | null)?.error !== "reauthentication_required") return;
  say("Enter your password to change passkeys.", "info");
  view.reauthForm.hidden = false;
  view.reauthPassword.focus();
  awaitingPassword = async (password) => {
    const again = await change(password);
    if ((again?.body as { error?: unknown } | null)?.error === "reauthentication_required")
      say(errorText(again as Answer), "error");
  };
}

/** Registers a passkey of this device; answers the refusal it got, if any. */
async function addPasskey(password?: string): Promise<Answer | undefined> {
  const options = await call("POST", "/passkeys/registration-options", password === undefined ? {} : { password });
  if (options.status !== 200) {
    if (options.status !== 401 || password !== undefined) say(errorText(options), "error");
    return options;
  }
  autofill?.abort();
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(
        options.body as PublicKeyCredentialCreationOptionsJSON,
      ),
    });
  } catch {
    say("No passkey was created.", "error");
    return undefined;
  }
  if (!(credential instanceof PublicKeyCredential)) return undefined;
  const answer = await call("POST", "/passkeys", { response: credential.toJSON() });
  if (answer.status === 201) say("Passkey added.", "ok");
  else say(errorText(answer), "error");
  await loadPasskeys();
  return answer;
}

async function removePasskey(id: string, password?: string): Promise<Answer | undefined> {
  const answer = await call(
    "DELETE",
    `/passkeys/${encodeURIComponent(id)}`,
    password === undefined ? undefined : { password },
  );
  if (answer.status === 200) say("Passkey removed.", "ok");
  else if (answer.status !== 401 || password !== undefined) say(errorText(answer), "error");
  await loadPasskeys();
  return answer;
}

async function signIn(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  view.signInButton.disabled = true;
  say("");
  try {
    const answer = await call("POST", "/signin", { username: view.username.value, password: view.password.value });
    if (answer.status === 200 && isIssued(answer.body)) {
      view.password.value = "";
      signedIn(fromIssued(answer.body, Date.now()), true);
      void loadPasskeys();
    } else {
      say(errorText(answer), "error");
    }
  } catch {
    say("The service cannot be reached. Check your connection and try again.", "error");
  } finally {
    view.signInButton.disabled = false;
  }
}

/** Shows a form's refusal beside it (empty: hides it). */
function inline(target: HTMLElement, text: string): void {
  target.textContent = text;
  target.hidden = text === "";
}

const UNREACHABLE = "The service cannot be reached. Check your connection and try again.";

/**
 * Creates an account and signs it in. The page cannot know whether sign-up is open: the form is
 * offered, and the service's 403 signup_closed replaces it with a note.
 */
async function signUp(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  view.signupButton.disabled = true;
  inline(view.signupError, "");
  try {
    const body = { username: view.signupUsername.value, password: view.signupPassword.value };
    const answer = await call("POST", "/signup", body);
    const code = (answer.body as { error?: unknown } | null)?.error;
    if (answer.status === 201 && isIssued(answer.body)) {
      view.signupPassword.value = "";
      signedIn(fromIssued(answer.body, Date.now()));
      say("Account created; you are signed in.", "ok");
    } else if (code === "signup_closed") {
      view.signupForm.hidden = true;
      view.signupClosed.hidden = false;
    } else {
      inline(view.signupError, errorText(answer));
    }
  } catch {
    inline(view.signupError, UNREACHABLE);
  } finally {
    view.signupButton.disabled = false;
  }
}

/** Changes the password; the answer carries a new session for this tab, every other one ends. */
async function changePassword(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  view.passwordButton.disabled = true;
  inline(view.passwordError, "");
  try {
    const body = { currentPassword: view.currentPassword.value, newPassword: view.newPassword.value };
    const answer = await call("POST", "/password", body);
    const code = (answer.body as { error?: unknown } | null)?.error;
    if (answer.status === 200 && isIssued(answer.body)) {
      view.currentPassword.value = "";
      view.newPassword.value = "";
      signedIn(fromIssued(answer.body, Date.now()));
      say("Password changed. Every other session of yours has ended.", "ok");
    } else if (code === "invalid_credentials") {
      inline(view.passwordError, "The current password is wrong.");
    } else if (answer.status === 401) {
      signedOut(errorText(answer), "error");
    } else {
      inline(view.passwordError, errorText(answer));
    }
  } catch {
    inline(view.passwordError, UNREACHABLE);
  } finally {
    view.passwordButton.disabled = false;
  }
}

async function logOut(path: string, done: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const answer = await call("POST", path);
    if (answer.status === 200) signedOut(done, "ok", true);
    else if (answer.status === 404) say(`“${button.textContent}” is not available on this server.`, "error");
    else say(errorText(answer), "error");
  } catch {
    say("The service cannot be reached. Check your connection and try again.", "error");
  } finally {
    button.disabled = false;
  }
}

/**
 * On load: a session this browser signed in (in any tab) is resumed if its cookie still works;
 * another tab, or an expiry, may have ended it. Without one, nothing is asked of the server.
 */
async function start(): Promise<void> {
  const previous = stored();
  view.passkeySignIn.hidden = !passkeysSupported;
  if (previous === undefined || previous.expiresAt <= Date.now()) {
    remember(undefined);
    render();
    void startAutofill();
    return;
  }
  try {
    const answer = await call("GET", "/welcome");
    // Another tab may have renewed the cookie during the call.
    if (answer.status === 200) {
      signedIn(newest(previous));
      void loadPasskeys();
    } else signedOut(errorText(answer), "info");
  } catch {
    render();
    say("The service cannot be reached. Reload the page to try again.", "error");
  }
}

view.form.addEventListener("submit", (event) => void signIn(event));
view.signupForm.addEventListener("submit", (event) => void signUp(event));
view.passwordForm.addEventListener("submit", (event) => void changePassword(event));
view.passkeySignIn.addEventListener("click", () => void passkeySignIn());
view.addPasskey.addEventListener("click", () => void withReauthentication((password) => addPasskey(password)));
view.reauthForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const password = view.reauthPassword.value;
  view.reauthPassword.value = "";
  view.reauthForm.hidden = true;
  const retry = awaitingPassword;
  awaitingPassword = undefined;
  if (retry !== undefined) void retry(password);
});
view.logout.addEventListener("click", () => void logOut("/logout", "Signed out.", view.logout));
view.logoutEverywhere.addEventListener(
  "click",
  () => void logOut("/logout-everywhere", "Signed out on every device.", view.logoutEverywhere),
);
view.logoutOthers.addEventListener("click", () => void endOthers());
// Another tab signed in, renewed or logged out: follow it.
tabs?.addEventListener("message", (event: MessageEvent<TabNews>) => {
  if ("renewed" in event.data) signedIn(newest(event.data.renewed));
  else if (known !== undefined) signedOut("Signed out in another tab.", "info");
});
window.setInterval(() => {
  const now = Date.now();
  const slept = now - lastTick > ASLEEP_MS;
  lastTick = now;
  if (slept && known !== undefined) return void resume();
  render();
  if (known !== undefined && known.expiresAt <= now && !resuming) {
    signedOut("Your session expired. Sign in again.", "error");
  }
}, 1000);
void start();

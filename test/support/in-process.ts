/**
 * Loads the real handlers in this process, as a Lambda container would, with the real SDK clients
 * talking over HTTP to local Secrets Manager and DynamoDB endpoints on free ports. Each test file
 * that calls this gets its own container (Vitest isolates modules per file).
 */
import { localSdkEnvironment } from "../../local/sdk-env.ts";
import { LocalSecretsManager } from "../../local/secrets-endpoint.ts";
import { loadConfig } from "../../shared/core/config.ts";
import { ensureDevKeyOn, startTables } from "./service.ts";

export async function loadContainer(env: Record<string, string> = {}) {
  const secrets = await new LocalSecretsManager({ port: 0 }).start();
  const fullEnv = { STAGE: "dev", ...env };
  const config = loadConfig(fullEnv);
  await ensureDevKeyOn(secrets, config);
  const { dynamodb, store } = await startTables(config);
  Object.assign(process.env, fullEnv, localSdkEnvironment(secrets.url, dynamodb.url));
  const [signin, welcome, refresh, logout, logoutEverywhere, sessions, changePassword, signup, authorize, me, runtime] =
    await Promise.all([
      import("../../functions/signin.ts"),
      import("../../functions/welcome.ts"),
      import("../../functions/refresh.ts"),
      import("../../functions/logout.ts"),
      import("../../functions/logout-everywhere.ts"),
      import("../../functions/sessions.ts"),
      import("../../functions/change-password.ts"),
      import("../../functions/signup.ts"),
      import("../../functions/authorize.ts"),
      import("../../functions/me.ts"),
      import("../../shared/runtime.ts"),
    ]);
  return {
    secrets,
    dynamodb,
    store,
    runtime,
    handlers: {
      signin: signin.handler,
      welcome: welcome.handler,
      refresh: refresh.handler,
      logout: logout.handler,
      logoutEverywhere: logoutEverywhere.handler,
      /** GET /sessions, DELETE /sessions/{id}, POST /logout-others. */
      sessions: sessions.handler,
      changePassword: changePassword.handler,
      signup: signup.handler,
    },
    /** The session authorizer, and the route behind it: other event shapes than the handlers'. */
    authorize: authorize.handler,
    me: me.handler,
    /** Forgets every cached secret, as a new container would start. */
    coldStart() {
      runtime.signingKeys.clear();
    },
  };
}

// The builders live beside the local endpoints, so that the bench uses them without importing test/.
export { authorizerEvent, httpApiEvent, postEvent, signInEvent } from "../../local/gateway-events.ts";

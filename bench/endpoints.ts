/**
 * The local Secrets Manager and DynamoDB endpoints in a process of their own, so that the CPU time
 * the bench reads with process.cpuUsage() is the functions' alone: dynalite serving a call in the
 * bench's process would count as the function's work. The parent asks for call counts over IPC.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { LocalDynamoDB } from "../local/dynamodb-endpoint.ts";
import { LocalSecretsManager } from "../local/secrets-endpoint.ts";

/** Calls served so far, by operation, at each endpoint. */
export interface Calls {
  readonly secrets: Record<string, number>;
  readonly dynamodb: Record<string, number>;
}

export interface Endpoints {
  readonly secretsUrl: string;
  readonly dynamodbUrl: string;
  /** Calls served since the endpoints started. */
  calls(): Promise<Calls>;
  stop(): Promise<void>;
}

/** Starts both endpoints on free ports in a child process. */
export async function startEndpoints(): Promise<Endpoints> {
  // process.execArgv carries tsx's loader, so the child runs this TypeScript file as the parent does.
  const child = fork(fileURLToPath(import.meta.url), ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const reply = <T>() =>
    new Promise<T>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`bench endpoints exited (${code})`));
      child.once("exit", exited);
      child.once("message", (message) => {
        child.off("exit", exited);
        resolve(message as T);
      });
    });
  const { secretsUrl, dynamodbUrl } = await reply<{ secretsUrl: string; dynamodbUrl: string }>();
  return {
    secretsUrl,
    dynamodbUrl,
    calls() {
      const answer = reply<Calls>();
      child.send("calls");
      return answer;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send("stop");
      await exited;
    },
  };
}

if (process.argv.includes("--serve")) {
  const secrets = await new LocalSecretsManager({ port: 0 }).start();
  const dynamodb = await new LocalDynamoDB({ port: 0 }).start();
  process.on("message", async (message) => {
    if (message === "calls") {
      process.send?.({ secrets: Object.fromEntries(secrets.calls), dynamodb: Object.fromEntries(dynamodb.calls) });
    } else if (message === "stop") {
      await Promise.all([secrets.stop(), dynamodb.stop()]);
      process.disconnect?.();
      process.exit(0);
    }
  });
  process.send?.({ secretsUrl: secrets.url, dynamodbUrl: dynamodb.url });
}

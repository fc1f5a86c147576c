/**
 * What the tests see of a local AWS endpoint: the calls it served, by operation, and a fault it
 * injects into the calls that follow. The local Secrets Manager and DynamoDB endpoints share it.
 */

/** A fault an endpoint injects into the operations it serves. */
export type Fault =
  | { kind: "none" }
  /** Answers ThrottlingException (HTTP 400), as a busy account or table does. */
  | { kind: "throttle" }
  /** Answers an AWS error of the given type and status, e.g. AccessDeniedException (400). */
  | { kind: "error"; type: string; statusCode?: number }
  /** Waits this long before answering normally. */
  | { kind: "delay"; ms: number }
  /** Drops the connection without an answer, as a dead endpoint does. */
  | { kind: "hang-up" };

/** Counts an endpoint's calls and holds the fault it injects. */
export class FaultInjection {
  /** Calls served, by operation name (faulted calls included). */
  readonly calls = new Map<string, number>();
  #fault: Fault = { kind: "none" };
  #only: ReadonlySet<string> | undefined;

  /** Number of calls of one operation since start (or the last resetCalls). */
  count(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  resetCalls(): void {
    this.calls.clear();
  }

  /**
   * Makes every following call fail (or wait) as described, until set back to `none`; with
   * `only`, just calls of those operations (an outage between a read and a write).
   */
  setFault(fault: Fault, only?: readonly string[]): void {
    this.#fault = fault;
    this.#only = only === undefined ? undefined : new Set(only);
  }

  /** Counts a call of `operation`; returns the fault to inject into it. */
  protected recordCall(operation: string): Fault {
    this.calls.set(operation, this.count(operation) + 1);
    return this.#only === undefined || this.#only.has(operation) ? this.#fault : { kind: "none" };
  }
}

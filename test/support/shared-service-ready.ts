/** The wiring project's setup file: no test runs before the shared service is up. */
import { sharedServiceReady } from "./shared-service.ts";

await sharedServiceReady();

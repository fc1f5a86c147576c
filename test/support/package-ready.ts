/** The package project's setup file: no test runs before the package run has ended. */
import { packaged } from "./package.ts";

await packaged();

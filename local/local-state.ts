/**
 * Where `npm start` keeps local state (the dev signing key, the tables, the Lambda invoke socket):
 * private to this user whatever the umask and however an earlier run left it.
 */
import { chmodSync, type Dirent, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** The folder of local state when no setting names another. */
export const DEFAULT_STATE_FOLDER = ".local";

/** Makes a folder of ours and those under it 0700 and its files 0600, creating it if missing. */
export function keepPrivate(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  for (const entry of readdirSync(folder, { withFileTypes: true }) as Dirent[]) {
    const path = resolve(folder, entry.name);
    if (entry.isDirectory()) keepPrivate(path);
    else if (entry.isFile()) chmodSync(path, 0o600);
  }
}

/**
 * Prepares the secrets file's folder (also the invoke socket's, whose protection rests on it) and
 * dynalite's folder. `.local/` and dynalite's folder are wholly ours and made private throughout;
 * a folder the developer named for the secrets file is created 0700 when missing but otherwise
 * left alone (it may be their home), and only the file itself is made 0600.
 */
export function prepareStateFolders(dataFile: string, dynamodbDir: string | undefined): void {
  const dataFolder = dirname(resolve(dataFile));
  if (dataFolder === resolve(DEFAULT_STATE_FOLDER)) keepPrivate(dataFolder);
  else {
    mkdirSync(dataFolder, { recursive: true, mode: 0o700 });
    if (existsSync(dataFile)) chmodSync(dataFile, 0o600);
  }
  if (dynamodbDir !== undefined) keepPrivate(dynamodbDir);
}

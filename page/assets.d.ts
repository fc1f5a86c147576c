// What functions/page.ts imports from this folder, as esbuild-plugin.mjs and serverless.yml's
// loaders hand it over: each file's text; the script already bundled for browsers.
declare module "*.html" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*?browser" {
  const text: string;
  export default text;
}

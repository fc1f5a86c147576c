// serverless-esbuild loads this file (custom.esbuild.plugins in serverless.yml). An import that
// ends in `?browser` becomes the text of that file bundled for browsers: functions/page.ts
// imports `../page/page.ts?browser` and serves the result as /page.js. A .mjs file because
// serverless-esbuild require()s it.
import { dirname, resolve } from "node:path";
import { build } from "esbuild";

const SUFFIX = /\?browser$/;

export default [
  {
    name: "browser-script",
    setup(bundler) {
      bundler.onResolve({ filter: SUFFIX }, (args) => ({
        path: resolve(args.resolveDir || dirname(args.importer), args.path.replace(SUFFIX, "")),
        namespace: "browser-script",
      }));
      bundler.onLoad({ filter: /.*/, namespace: "browser-script" }, async (args) => {
        const result = await build({
          entryPoints: [args.path],
          bundle: true,
          minify: true,
          write: false,
          format: "iife",
          platform: "browser",
          target: ["chrome120", "firefox121", "safari17"],
          logLevel: "silent",
        });
        const [output] = result.outputFiles;
        return { contents: output.text, loader: "text", watchFiles: [args.path] };
      });
    },
  },
];

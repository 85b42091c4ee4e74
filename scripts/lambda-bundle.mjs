// How a Lambda handler is bundled: by the build (scripts/build.mjs), and by bench/lambda-cold-start.ts for its
// variants. One minified ESM file with everything in it, the AWS SDK too.
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import * as esbuild from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

const libSourceImports = {
  name: 'lib-source-imports',
  setup(build) {
    build.onResolve({filter: /^#/}, (args) => ({
      path: join(root, 'src/lib', args.path.slice(1).replace(/\.js$/, '.ts')),
    }))
  },
}

/** Bundles the handler `entry` into `outfile`; `plugins` come before ours (the bench swaps modules with them). */
export async function bundleLambda(entry, outfile, plugins = []) {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // The Lambda Node.js runtime ships AWS SDK v3, but bundling pins the version we test against.
    banner: {js: "import {createRequire as __cr} from 'node:module';const require=__cr(import.meta.url);"},
    legalComments: 'none',
    // ESM entry points first: jsonc-parser's `main` is a UMD build whose requires esbuild cannot follow.
    mainFields: ['module', 'main'],
    // package.json maps '#...' to the compiled dist/src/lib; bundle from the TypeScript sources instead.
    plugins: [...plugins, libSourceImports],
  })
}

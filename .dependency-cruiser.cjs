// Layer rules, checked by `npm run lint` (depcruise src lambda infra bench bin). A folder may import from the layers
// below its own, never from a layer above, nor from another folder of its own layer unless `sameLayerAllowed` says
// so. Each library folder sits in the lowest layer its imports allow; the entry points sit on top. test/ is not
// cruised: tests may import anything.

/** Bottom first. */
const layers = [
  // 0 shared vocabulary: the pipeline contract, errors and exit codes, the item schema; imports nothing of ours
  ['src/lib/contract', 'src/lib/core', 'src/lib/schema'],
  // 1 building blocks on the vocabulary: record checks, terminal output, files and keys, the CDK stack
  ['src/lib/record', 'src/lib/terminal', 'src/lib/files', 'infra'],
  // 2 engines: the processor that handles one object, the AWS clients, validation of local files
  ['src/lib/processor', 'src/lib/aws', 'src/lib/validate'],
  // 3 whole pipelines and their upkeep: the local pipeline, quarantine, deploy and destroy, the sweep on demand
  ['src/lib/local', 'src/lib/quarantine', 'src/lib/deploy', 'src/lib/items', 'src/lib/sweep'],
  // 4 views and choices over a pipeline: status, the target picker, the oclif command base and flags, dead letters
  ['src/lib/status', 'src/lib/target', 'src/lib/cli', 'src/lib/doctor', 'src/lib/dead-letters'],
  // 5 upload, which validates and then reports status
  ['src/lib/upload', 'src/lib/selftest'],
  // 6 the demo, which drives everything below
  ['src/lib/demo'],
  // 7 entry points, which nothing imports: the commands, the Lambda handler, the executables, the benchmarks
  ['src/commands', 'lambda', 'bin', 'bench'],
]

/** Folder -> folders of its own layer it may import. */
const sameLayerAllowed = {}

const escape = (folder) => folder.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')
const anyOf = (folders) => `^(${folders.map(escape).join('|')})/`

const layerRules = layers.flatMap((layer, index) =>
  layer.map((folder) => {
    const higher = layers.slice(index + 1).flat()
    const siblings = layer.filter((other) => other !== folder && !(sameLayerAllowed[folder] ?? []).includes(other))
    const siblingNote = siblings.length > 0 ? `, not from ${siblings.join(', ')}` : ''
    return {
      name: `layer-${folder.replaceAll('/', '-')}`,
      comment: `${folder} (layer ${index}) may import only from lower layers${siblingNote}`,
      severity: 'error',
      from: {path: anyOf([folder])},
      to: {path: anyOf([...higher, ...siblings])},
    }
  }),
)

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make load order matter',
      severity: 'error',
      from: {},
      to: {circular: true},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (so a #subpath import that missed src/lib would not slip past the layer rules)',
      severity: 'error',
      from: {},
      to: {couldNotResolve: true},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    // Type-only imports count too: they tie the layers as much as value imports do.
    tsPreCompilationDeps: true,
    // '#' imports resolve to the sources in src/lib, not through package.json to dist/ (see the file).
    webpackConfig: {fileName: '.dependency-cruiser.resolve.cjs'},
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
}

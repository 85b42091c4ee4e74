// Resolve options for dependency-cruiser, read as a webpack config's `resolve` (its own config has no place for
// these two). package.json maps '#*' to the compiled dist/src/lib/*, which may be missing or stale: '#x/y.js' is
// cruised as the source src/lib/x/y.ts instead.
module.exports = {
  resolve: {
    importsFields: [],
    alias: {'#*.js': `${__dirname}/src/lib/*.ts`, '#*': `${__dirname}/src/lib/*`},
  },
}

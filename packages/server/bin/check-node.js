// Countersign runs on Node.js 22.12 or newer; it is built, tested and benchmarked on Node.js 24 LTS.
// This module is loaded before anything else (npm start runs it before the build, the countersign
// command imports it first), so an older Node stops with one line that says what to do, and exit
// code 1, instead of a stack trace from somewhere in a dependency. Plain JavaScript that any Node
// since 14 parses; package.json's engines.node says the same (a test keeps them together).
export const NEEDED = '22.12'

const found = process.versions.node
const [major, minor] = found.split('.').map(Number)
const [neededMajor, neededMinor] = NEEDED.split('.').map(Number)
if (major < neededMajor || (major === neededMajor && minor < neededMinor)) {
  process.stderr.write(`countersign: this is Node.js ${found}; Countersign needs Node.js ${NEEDED} or newer (24 LTS recommended)\n`)
  process.exit(1)
}

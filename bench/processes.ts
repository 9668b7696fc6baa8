/**
 * Starts the simulator and depgate as child processes from the compiled build (dist/), the way
 * they run in production, so the benchmark measures them and not the benchmark's own event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js')
export const ADMIN_KEY = 'bench-admin-key-7f3a9c1e5b2d8f4a6c0e'

export interface Child { proc: ChildProcess, url: string }

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      srv.close(() => { resolve(port) })
    })
  })
}

/** Starts `node <args>` and resolves once the child printed a JSON line with its `url`. */
export async function spawnUntilUrl (args: string[], what: string): Promise<Child> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url)
    })
    proc.once('exit', (code) => { reject(new Error(`${what} exited with ${String(code)}`)) })
  })
  return { proc, url }
}

/** `depgate simulate` on a free port; resolves once it printed its URL. */
export async function startSimulatorProcess (devices: number): Promise<Child> {
  return await spawnUntilUrl([CLI, 'simulate', '--port', '0', '--devices', String(devices), '--session-ttl', '86400'], 'simulator')
}

/**
 * `depgate serve` with the simulator as its `default` server; resolves once /healthz answers.
 * `nodeArgs` go to node itself (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export async function startDepgateProcess (simUrl: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Child & { cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'depgate-bench-'))
  const tokenFile = join(dir, 'token.json')
  writeFileSync(tokenFile, JSON.stringify(DEPSIM_CREDENTIALS))
  const port = await freePort()
  const proc = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DEPGATE_PORT: String(port),
      DEPGATE_DATA_DIR: dir,
      DEPGATE_TOKEN_FILE: tokenFile,
      DEPGATE_DEP_URL: simUrl,
      DEPGATE_SIMULATOR: 'off',
      DEPGATE_ADMIN_KEY: ADMIN_KEY,
      // The per-key rate limit would cap the benchmark itself.
      DEPGATE_RATE_LIMIT: '1000000',
      ...env
    }
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`depgate exited with ${proc.exitCode}`)
    try {
      const res = await request(`${url}/healthz`)
      await res.body.dump()
      if (res.statusCode === 200) break
    } catch {
      if (i > 200) throw new Error('depgate did not start within 20 s')
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { proc, url, cleanup: () => { rmSync(dir, { recursive: true, force: true }) } }
}

/**
 * Stops a child and waits for it to exit. depgate closes gracefully on SIGINT and SIGTERM alike, so
 * a process started with `--cpu-prof` writes its profile on the way out (SIGKILL would lose it).
 */
export async function stop (child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.proc.exitCode !== null) return
  const exited = new Promise((resolve) => child.proc.once('exit', resolve))
  child.proc.kill(signal)
  await exited
}

/** A field of /proc/<pid>/status in MiB (VmRSS: now, VmHWM: peak since start or last reset). */
export function procMiB (pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`))
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024
}

/** Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs), so the next peak is this run's. */
export function resetPeak (pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

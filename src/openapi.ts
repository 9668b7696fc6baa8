/** The OpenAPI document as committed in openapi/openapi.json: built from the real app, never listening. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { loadConfig } from './config.js'
import { buildServer } from './server.js'

export const OPENAPI_FILE = 'openapi/openapi.json'

export async function generateOpenApi (): Promise<string> {
  // A throw-away data dir: generating the spec must not create ./data or touch a real database.
  const dataDir = mkdtempSync(join(tmpdir(), 'depgate-openapi-'))
  try {
    const app = await buildServer(loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_LOG_LEVEL: 'silent' }))
    try {
      return `${JSON.stringify(app.swagger(), null, 2)}\n`
    } finally {
      await app.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export async function writeOpenApi (path: string = OPENAPI_FILE): Promise<string> {
  const text = await generateOpenApi()
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
  return path
}

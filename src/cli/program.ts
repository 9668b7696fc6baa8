/**
 * The `depgate` command line, described once with commander: every command and subcommand answers
 * --help / -h with its usage (and does nothing else), an unknown option or a missing argument is
 * a usage error, and the help text is generated from the same description, so it cannot drift.
 */
import { Command } from 'commander'
import { loadConfig } from '../config.js'
import { OPENAPI_FILE, writeOpenApi } from '../openapi.js'
import { defineSimulateCommand } from '../simulator/index.js'
import { VERSION } from '../version.js'
import type { CliIo } from './io.js'
import { defineKeysCommands } from './keys.js'
import { defineOrgCommands } from './org.js'
import { defineSecretsCommands } from './secrets.js'
import { defineTokenCommands } from './token.js'

/**
 * Builds the program. `exit` records a command's exit code when it is not 0 (a refusal it
 * reported itself); usage errors surface as commander's CommanderError (cli.ts maps them to 2).
 */
export function buildProgram (io: CliIo, exit: (code: number) => void): Command {
  const program = new Command('depgate')
    .description("A gateway to Apple's Device Enrollment Program (Automated Device Enrollment) API.\nWith no command, depgate serves.")
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .allowExcessArguments(false)
    .addHelpText('after', '\nExit codes: 0 done, 1 failed or refused (the reason on stderr), 2 bad usage.\nConfiguration: DEPGATE_* environment variables (see the README).')

  program.command('serve').description('start the gateway (the default command); configured by DEPGATE_* environment variables')
    .action(async () => {
      const config = loadConfig(io.env)
      /* c8 ignore start - runs until a signal; startDepgate itself is tested in test/start.test.ts, the process in test/serve-lock.test.ts */
      const { serve } = await import('../start.js')
      await serve(config)
    })
  /* c8 ignore stop */

  defineSimulateCommand(program, {
    out: (line) => { io.stdout(`${line}\n`) },
    signals: io.signals
  })
  defineKeysCommands(program, io, exit)
  program.command('openapi').description('write the OpenAPI document')
    .argument('[file]', 'where to write it', OPENAPI_FILE)
    .action(async (file: string) => { io.stderr(`wrote ${await writeOpenApi(file)}\n`) })
  defineTokenCommands(program, io, exit)
  defineSecretsCommands(program, io, exit)
  defineOrgCommands(program, io, exit)
  return program
}

/** The DEP simulator's public surface (see the contract): build, start, or run it as `depgate simulate`. */
export { buildSimulator } from './app.js'
export { defineSimulateCommand, runSimulateCommand, type SimulateIo, type SimulateOptions } from './cli.js'
export { DEFAULT_CONFIG, DEPSIM_CREDENTIALS, type SimulatorConfig, type SimulatorOptions } from './options.js'
export { startSimulator, type StartedSimulator } from './start.js'
export type { SimState } from './state.js'
export type { SimDevice } from './types.js'

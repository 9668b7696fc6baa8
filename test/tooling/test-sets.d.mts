export const ROOT: string
export function testFiles (): string[]
export function isSlow (text: string): boolean
export function fastFiles (): string[]
export function postgresFiles (): string[]

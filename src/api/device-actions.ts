/**
 * API shapes of the one-device and destructive routes: Activation Lock, replacement details and
 * disown. Disown is irreversible, so its body carries a confirmation sentence that must repeat the
 * number of serials and the server name; see disownConfirmation().
 */
import { z } from 'zod'
import { day } from './timestamps.js'
import { serialListSchema } from './serials.js'
import { perSerialResultShape } from './profiles.js'

export const activationLockBodySchema = z.strictObject({
  escrow_key: z.string().regex(/^[0-9A-Fa-f]{64}$/, 'escrow_key is the 64-hex-digit hash of the bypass code, not the dashed code itself').optional()
    .describe('64 hex digits: PBKDF2-SHA256 hash of the Activation Lock bypass code. Without it the device is locked to the person who created the MDM server.'),
  lost_message: z.string().min(1).max(1000).optional().describe('Message shown on a lost device')
}).meta({
  id: 'ActivationLockRequest',
  examples: [{ escrow_key: '0'.repeat(63) + '1', lost_message: 'Property of Example Inc. Call +1 555 0100.' }]
})

export const activationLockResultSchema = z.looseObject({
  serial_number: z.string(),
  response_status: z.string().describe('SUCCESS, NOT_ACCESSIBLE, ORG_NOT_SUPPORTED, DEVICE_NOT_SUPPORTED, DEVICE_ALREADY_LOCKED or FAILED')
}).meta({ id: 'ActivationLockResult', examples: [{ serial_number: 'C02XK1ABCDEF', response_status: 'SUCCESS' }] })

export const replacementSchema = z.looseObject({
  serial_number: z.string(),
  original_device_serial_number: z.string(),
  replacement_date: day().optional().describe('The day the device replaced the original, as Apple gives it (e.g. 2026-01-15)')
}).meta({ id: 'ReplacementDetails', examples: [{ serial_number: 'C02XK1ABCDEF', original_device_serial_number: 'C02XK0ABCDEF', replacement_date: '2026-01-15' }] })

/** Most serials one disown call may name: it cannot be undone, so a slip should cost little. */
export const MAX_DISOWN = 1000

/** The exact sentence a caller must send to disown `count` devices from `server`. */
export function disownConfirmation (count: number, server: string): string {
  return `DISOWN ${count} ${count === 1 ? 'DEVICE' : 'DEVICES'} FROM ${server}`
}

export const disownBodySchema = z.object({
  serials: serialListSchema(MAX_DISOWN).describe(`1 to ${MAX_DISOWN} distinct serials`),
  confirm: z.string().max(200).describe('Exactly "DISOWN <n> DEVICES FROM <server>" ("DEVICE" when n is 1), where n is the number of serials')
}).meta({
  id: 'DisownRequest',
  description: 'Disowning removes devices from your organisation in Apple Business/School Manager for good.',
  examples: [{ serials: ['C02XK1ABCDEF', 'DMPXK2ABCDEF'], confirm: 'DISOWN 2 DEVICES FROM default' }]
})

export const disownResultSchema = z.object(perSerialResultShape).meta({ id: 'DisownResult', examples: [{ devices: { C02XK1ABCDEF: 'SUCCESS', DMPXK2ABCDEF: 'SUCCESS' }, summary: { SUCCESS: 2 } }] })

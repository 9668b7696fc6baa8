/**
 * Apple's validation rules for `POST /profile` (docs/apple-dep.md §2.6), in one place: the client and the
 * gateway check a profile before sending it, and the simulator answers with the same codes.
 * Lengths are counted in Unicode characters, as Apple words them ("UTF-8 characters").
 */

export interface ProfileRuleViolation {
  code: string
  field: string
  message: string
}

const chars = (value: string): number => [...value].length

function textRule (field: string, code: string, max: number) {
  return (profile: Record<string, unknown>): ProfileRuleViolation | undefined => {
    if (!(field in profile) || profile[field] === undefined) return undefined
    const value = profile[field]
    if (typeof value !== 'string' || value.length === 0 || chars(value) > max) {
      return { code, field, message: `${field} must be a non-empty string of at most ${max} characters` }
    }
    return undefined
  }
}

function isUrl (value: string): boolean {
  try {
    // RFC 2396/2732 syntax: an absolute URI with a scheme; WHATWG URL is the closest strict parser we have.
    const url = new URL(value)
    return url.protocol.length > 1 && !/\s/.test(value)
  } catch {
    return false
  }
}

const LANGUAGE = /^[a-z]{2,3}$/i
const REGION = /^[A-Z]{2}$/i

const rules: Array<(profile: Record<string, unknown>) => ProfileRuleViolation | undefined> = [
  (p) => {
    if (p.profile_name === undefined) return { code: 'CONFIG_NAME_REQUIRED', field: 'profile_name', message: 'profile_name is required' }
    return undefined
  },
  textRule('profile_name', 'CONFIG_NAME_INVALID', 125),
  (p) => {
    if (p.url === undefined) return { code: 'CONFIG_URL_REQUIRED', field: 'url', message: 'url (the MDM enrollment URL) is required' }
    const url = p.url
    if (typeof url !== 'string' || url.length === 0 || encodeURI(url).length > 2000 || !isUrl(url)) {
      return { code: 'CONFIG_URL_INVALID', field: 'url', message: 'url must be an absolute URL of at most 2000 URL-encoded characters' }
    }
    return undefined
  },
  textRule('department', 'DEPARTMENT_INVALID', 125),
  (p) => {
    if (p.is_mdm_removable === false && p.is_supervised !== true) {
      return { code: 'FLAGS_INVALID', field: 'is_mdm_removable', message: 'is_mdm_removable can be false only when is_supervised is true' }
    }
    return undefined
  },
  (p) => {
    const badLanguage = p.language !== undefined && (typeof p.language !== 'string' || !LANGUAGE.test(p.language))
    const badRegion = p.region !== undefined && (typeof p.region !== 'string' || !REGION.test(p.region))
    if (badLanguage || badRegion) {
      return { code: 'LOCALE_INVALID', field: badLanguage ? 'language' : 'region', message: 'language must be an ISO 639 code (e.g. "en") and region an ISO 3166-1 code (e.g. "US")' }
    }
    return undefined
  },
  textRule('org_magic', 'MAGIC_INVALID', 256),
  textRule('support_email_address', 'SUPPORT_EMAIL_INVALID', 250),
  textRule('support_phone_number', 'SUPPORT_PHONE_INVALID', 50)
]

/** The first rule a profile breaks, in the order Apple documents them, or undefined when it passes. */
export function validateProfile (profile: Record<string, unknown>): ProfileRuleViolation | undefined {
  for (const rule of rules) {
    const violation = rule(profile)
    if (violation !== undefined) return violation
  }
  return undefined
}

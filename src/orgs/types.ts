/**
 * What the org engine needs of an Apple Business / School Manager client: the part of AxmClient
 * (src/axm) it calls, so tests and the bench can hand it a client of their own.
 */
import type { AxmClient } from '../axm/index.js'
import type { OrgRecord } from '../store/index.js'

export type OrgClient = Pick<AxmClient, 'verify' | 'tokenState' | 'orgDevicePages' | 'getOrgDevice' | 'getAssignedServerId' |
'getAppleCareCoverage' | 'listMdmServers' | 'mdmServerSerialPages' | 'close'>

/** Builds the client of one org from its stored account (private key opened). */
export type OrgClientFactory = (org: OrgRecord) => OrgClient

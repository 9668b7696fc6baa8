/** What the generator draws from: real Apple model names, families, colours and serial prefixes. */
export interface ModelSpec {
  family: 'Mac' | 'iPad' | 'iPhone' | 'iPod' | 'AppleTV' | 'Vision'
  /** The newest value; protocol < 7 turns `iPadOS` into `iOS` (docs/apple-dep.md §1.5). */
  os: 'OSX' | 'iPadOS' | 'iOS' | 'tvOS' | 'visionOS'
  model: string
  abbr: string
  colors: readonly string[]
  configs: readonly string[]
  prefixes: readonly string[]
  weight: number
}

const MAC_COLORS = ['SPACE GRAY', 'SILVER', 'SPACE BLACK', 'MIDNIGHT', 'STARLIGHT']
const IPAD_COLORS = ['SPACE GRAY', 'SILVER', 'BLUE', 'PURPLE', 'STARLIGHT']
const IPHONE_COLORS = ['BLACK', 'WHITE', 'BLUE', 'PINK', 'NATURAL TITANIUM', 'MIDNIGHT']

export const MODELS: readonly ModelSpec[] = [
  { family: 'Mac', os: 'OSX', model: 'MacBook Pro', abbr: 'MBP 14.2', colors: MAC_COLORS, configs: ['M3/8GB/512GB', 'M3 PRO/18GB/512GB', 'M3 MAX/36GB/1TB'], prefixes: ['C02', 'FVF', 'C1M'], weight: 14 },
  { family: 'Mac', os: 'OSX', model: 'MacBook Air', abbr: 'MBA 13.6', colors: MAC_COLORS, configs: ['M2/8GB/256GB', 'M3/16GB/512GB'], prefixes: ['C02', 'FVF', 'H4T'], weight: 12 },
  { family: 'Mac', os: 'OSX', model: 'iMac', abbr: 'IMAC 24', colors: ['BLUE', 'GREEN', 'PINK', 'SILVER'], configs: ['M3/8GB/256GB', 'M3/16GB/512GB'], prefixes: ['C02', 'D25'], weight: 4 },
  { family: 'Mac', os: 'OSX', model: 'Mac mini', abbr: 'MAC MINI', colors: ['SILVER'], configs: ['M2/8GB/256GB', 'M2 PRO/16GB/512GB'], prefixes: ['C07', 'H2W'], weight: 3 },
  { family: 'Mac', os: 'OSX', model: 'Mac Studio', abbr: 'MAC STUDIO', colors: ['SILVER'], configs: ['M2 MAX/32GB/512GB'], prefixes: ['C07'], weight: 1 },
  { family: 'iPad', os: 'iPadOS', model: 'iPad (10th generation)', abbr: 'IPAD 10.9', colors: ['BLUE', 'PINK', 'YELLOW', 'SILVER'], configs: ['WIFI 64GB', 'WIFI CELL 256GB'], prefixes: ['DMP', 'F9F', 'GG7'], weight: 14 },
  { family: 'iPad', os: 'iPadOS', model: 'iPad Air', abbr: 'IPAD AIR 11', colors: IPAD_COLORS, configs: ['WIFI 128GB', 'WIFI CELL 256GB'], prefixes: ['DMP', 'F9F'], weight: 7 },
  { family: 'iPad', os: 'iPadOS', model: 'iPad Pro 11"', abbr: 'IPAD PRO 11', colors: ['SPACE BLACK', 'SILVER'], configs: ['WIFI 256GB', 'WIFI CELL 512GB'], prefixes: ['DMP', 'DLX'], weight: 5 },
  { family: 'iPad', os: 'iPadOS', model: 'iPad mini', abbr: 'IPAD MINI 8.3', colors: IPAD_COLORS, configs: ['WIFI 128GB'], prefixes: ['F9F', 'DLX'], weight: 4 },
  { family: 'iPhone', os: 'iOS', model: 'iPhone 15', abbr: 'IPHONE 15', colors: IPHONE_COLORS, configs: ['128GB', '256GB'], prefixes: ['F17', 'DNP', 'G6T'], weight: 14 },
  { family: 'iPhone', os: 'iOS', model: 'iPhone 15 Pro', abbr: 'IPHONE 15 PRO', colors: IPHONE_COLORS, configs: ['256GB', '512GB'], prefixes: ['F17', 'HX9'], weight: 9 },
  { family: 'iPhone', os: 'iOS', model: 'iPhone SE', abbr: 'IPHONE SE', colors: ['MIDNIGHT', 'STARLIGHT', 'RED'], configs: ['64GB', '128GB'], prefixes: ['F17', 'DX3'], weight: 5 },
  { family: 'iPod', os: 'iOS', model: 'iPod touch', abbr: 'IPOD TOUCH', colors: ['SPACE GRAY', 'SILVER'], configs: ['32GB'], prefixes: ['CCQ'], weight: 1 },
  { family: 'AppleTV', os: 'tvOS', model: 'Apple TV 4K', abbr: 'APPLE TV 4K', colors: ['BLACK'], configs: ['64GB', '128GB'], prefixes: ['C07', 'DY3'], weight: 4 },
  { family: 'Vision', os: 'visionOS', model: 'Apple Vision Pro', abbr: 'VISION PRO', colors: ['SILVER'], configs: ['256GB'], prefixes: ['H2Q'], weight: 1 }
]

/** Apple's serial alphabet leaves out vowels and letters easily mistaken for digits. */
export const SERIAL_ALPHABET = '0123456789CDFGHJKLMNPQRTVWXY'

export const REGIONS = ['USA', 'CAN', 'GBR', 'DEU', 'FRA', 'AUS', 'JPN']

export const ASSIGNERS = ['it-admin', 'deploy', 'jamie.rivera', 'sam.okafor', 'li.wei', 'ana.silva', 'procurement']

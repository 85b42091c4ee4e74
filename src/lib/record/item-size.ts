import type {TypedItem, TypedValue} from './typed-item.js'

// A lone surrogate is encoded as U+FFFD, three bytes, as Buffer.byteLength counts it.
const isLowSurrogate = (char: number): boolean => char >= 0xdc00 && char <= 0xdfff

/** UTF-8 length without a call into native code: most attributes are short, and this runs for each one. */
function utf8Bytes(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (char < 0x80) continue
    if (char < 0x800) bytes += 1
    else if (char >= 0xd800 && char <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 2 // a surrogate pair: two UTF-16 units, four UTF-8 bytes
      i++
    } else bytes += 2
  }
  return bytes
}

/**
 * DynamoDB's size of a number: one byte per two significant digits, plus one. The schema admits only whole
 * non-negative numbers (digits alone), so leading and trailing zeros are all that is not significant.
 */
function numberBytes(digits: string): number {
  const significant = digits.replace(/^0+/, '').replace(/0+$/, '').length || 1
  return Math.ceil(significant / 2) + 1
}

function valueBytes(value: TypedValue): number {
  if ('S' in value) return utf8Bytes(value.S)
  if ('N' in value) return numberBytes(value.N)
  // A list costs 3 bytes, plus one byte of overhead for each element.
  return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0)
}

/** The size DynamoDB charges against its 400 KB item limit: attribute names plus values. */
export function dynamoDbItemBytes(item: TypedItem): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8Bytes(name) + valueBytes(value), 0)
}

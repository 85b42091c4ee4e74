import {sep} from 'node:path'

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024

/** The object key a file is uploaded under: its path below the argument it came from, after --prefix. */
export function objectKeyFor(relativePath: string, prefix = ''): string {
  const path = relativePath.split(sep).join('/')
  if (!prefix) return path
  return prefix.endsWith('/') ? `${prefix}${path}` : `${prefix}/${path}`
}

/**
 * Why a key must not be used, or undefined. Keys that could step out of a prefix (`..` or `.` segments, a leading `/`,
 * empty segments) or that hold control characters would be read differently by tools that map keys to paths.
 */
export function keyProblem(key: string): string | undefined {
  if (key === '') return 'the key is empty'
  if (key.startsWith('/')) return 'the key starts with /'
  // eslint-disable-next-line no-control-regex -- control characters in a key are exactly what this test looks for
  if (/[\u0000-\u001F\u007F]/.test(key)) return 'the key holds a control character'
  const segments = key.split('/')
  if (segments.some((segment) => segment === '..' || segment === '.')) return 'the key has a . or .. segment'
  if (segments.some((segment) => segment === '')) return 'the key has an empty segment (//)'
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `the key is over ${MAX_KEY_BYTES} bytes`
  return undefined
}

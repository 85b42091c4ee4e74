import {afterEach, describe, expect, it, vi} from 'vitest'

import {quietAwsSdkNodeWarning} from '#cli/node-support-notice.js'
import {tempDir} from '../helpers/temp-dirs.js'

const VARIABLE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'

function noticeFor(cacheDir: string, nodeVersion: string, notify = true): string {
  delete process.env[VARIABLE]
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  quietAwsSdkNodeWarning(cacheDir, {notify, nodeVersion})
  const written = write.mock.calls.map(([text]) => String(text)).join('')
  write.mockRestore()
  return written
}

describe('the Node support notice', () => {
  const saved = process.env[VARIABLE]
  afterEach(() => {
    process.env[VARIABLE] = saved
  })

  it('silences the SDK and says it once, not on every command', () => {
    const cache = tempDir('eventpulse-notice-')
    expect(noticeFor(cache, '20.20.2')).toMatch(
      /Node 20\.20\.2 works, but AWS SDK releases from January 2027 need Node 22/,
    )
    expect(process.env[VARIABLE]).toBe('true')
    expect(noticeFor(cache, '20.20.2')).toBe('')
  })

  it('says nothing on Node 22 and later, nor for commands that never use AWS', () => {
    expect(noticeFor(tempDir('eventpulse-notice-'), '22.23.3')).toBe('')
    expect(noticeFor(tempDir('eventpulse-notice-'), '20.20.2', false)).toBe('')
  })
})

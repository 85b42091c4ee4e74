import {mkdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const NOTICE_INTERVAL_MS = 7 * 24 * 3600 * 1000
const LAST_NODE_MAJOR_WITHOUT_NOTICE = 22

/**
 * The AWS SDK warns on Node 20 every time a process creates its first client. Users should not meet that on
 * every command: we silence the SDK and say it ourselves, in one line on stderr, at most once a week.
 */
export function quietAwsSdkNodeWarning(cacheDirectory: string, options: {notify: boolean; nodeVersion?: string}): void {
  const nodeVersion = options.nodeVersion ?? process.versions.node
  if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) return
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  if (!options.notify || Number(nodeVersion.split('.')[0]) >= LAST_NODE_MAJOR_WITHOUT_NOTICE) return
  const stamp = join(cacheDirectory, 'node-support-notice')
  try {
    if (Date.now() - statSync(stamp).mtimeMs < NOTICE_INTERVAL_MS) return
  } catch {
    // no stamp yet: show the notice
  }
  process.stderr.write(
    `Note: Node ${nodeVersion} works, but AWS SDK releases from January 2027 need Node 22 or later.\n`,
  )
  try {
    mkdirSync(cacheDirectory, {recursive: true})
    writeFileSync(stamp, '')
  } catch {
    // a read-only cache only means the note comes again
  }
}

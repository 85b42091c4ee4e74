import {randomUUID} from 'node:crypto'

import {type ObjectCreatedEvent, s3ObjectCreatedEvent} from '#processor/event.js'

/** The account id local events carry (S3 events name the bucket owner's account). */
export const LOCAL_ACCOUNT = '000000000000'

/**
 * Sequencers as S3 makes them: hexadecimal, growing with each write, unique per object. Time in milliseconds
 * plus a counter, so two uploads within one millisecond (and in later runs) never share one.
 */
export function sequencerClock(): () => string {
  let counter = 0
  return () =>
    Date.now().toString(16).toUpperCase().padStart(12, '0') +
    (counter++ % 0x1000000).toString(16).toUpperCase().padStart(6, '0')
}

/** An EventBridge "Object Created" event exactly as S3 sends it, key URL-encoded, from the local account. */
export function objectCreatedEvent(object: {
  bucket: string
  key: string
  size: number
  etag: string
  sequencer: string
  region: string
}): ObjectCreatedEvent {
  const event = s3ObjectCreatedEvent({...object, account: LOCAL_ACCOUNT})
  return {
    ...event,
    detail: {
      ...event.detail,
      'request-id': randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
      requester: LOCAL_ACCOUNT,
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
  }
}

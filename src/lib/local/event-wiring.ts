import {HeadObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import {type ListedObject, listObjects} from '#aws/list-objects.js'
import {isNoSuchKey, unquoteEtag} from '#core/aws-responses.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {retryTransient} from '#core/retry.js'
import {decodeEventKey, type ObjectCreatedEvent} from '#processor/event.js'
import {type EventDispatcher, forgetInflightEvent, readInflightEvents} from './dispatcher.js'
import type {S3Emulator} from './emulators.js'
import {objectCreatedEvent, sequencerClock} from './events.js'

export interface EventWiringOptions {
  s3Emulator: S3Emulator
  /** For the HEAD of copied objects and the listing of leftovers. */
  s3: S3Client
  dispatcher: EventDispatcher
  bucket: string
  region: string
  inflightDirectory: string
  /** Tests only: the share of events lost on the way (0 to 1), as S3 may lose one; the sweep recovers them. */
  dropEventRatio?: number
}

export interface EventWiring {
  /** Objects found in the bucket at start and queued again. */
  leftovers: number
  /** Resolves once every object created so far has been handled or dead-lettered. */
  idle(): Promise<void>
  /** Waits for the events being prepared, then stops the dispatcher (which finishes its running handlers). */
  stop(): Promise<void>
}

type NewObject = {key: string; size: number; etag: string}

/**
 * Does what S3 and EventBridge do for the deployed stack: each object created in the bucket becomes an EventBridge
 * "Object Created" event for the dispatcher. Objects an earlier run left in the bucket are queued again.
 */
export async function wireObjectCreatedEvents(options: EventWiringOptions): Promise<EventWiring> {
  const {s3, dispatcher, bucket, region} = options
  const nextSequencer = sequencerClock()
  const newEvent = (object: NewObject) => objectCreatedEvent({bucket, ...object, sequencer: nextSequencer(), region})
  const preparing = new Set<Promise<void>>()
  options.s3Emulator.onObjectCreated((record) => {
    if (record.s3.bucket.name !== bucket) return
    if (Math.random() < (options.dropEventRatio ?? 0)) return
    const {key, size = 0, eTag} = record.s3.object
    const submit = (etag: string) => dispatcher.submit(newEvent({key, size, etag}))
    if (eTag) return submit(eTag)
    // s3rver's copy events carry no ETag; S3's do. An object gone since needs no event.
    const prepared = retryTransient(() => s3.send(new HeadObjectCommand({Bucket: bucket, Key: key})))
      .then((head) => submit(unquoteEtag(head.ETag ?? '')))
      .catch((error) => {
        if (!isNoSuchKey(error))
          console.error(
            `eventpulse local: no event for ${key}: could not read it (${(error as Error).message}); it stays in the bucket and is processed on the next start.`,
          )
      })
      .finally(() => preparing.delete(prepared))
    preparing.add(prepared)
  })

  const leftovers = await redeliverLeftovers(options, newEvent)
  return {
    leftovers,
    async idle() {
      while (preparing.size > 0 || dispatcher.queued > 0) {
        await Promise.all(preparing)
        await dispatcher.idle()
      }
    },
    async stop() {
      await Promise.all(preparing)
      await dispatcher.stop()
    },
  }
}

/**
 * Queues every object still in the bucket: with its saved event when there is one (so a retry finds the item it
 * stored before a crash to be its own), else with a new event. Saved events whose object has gone (handled, then
 * the process stopped before forgetting them) are dropped.
 */
async function redeliverLeftovers(
  {s3, dispatcher, bucket, inflightDirectory}: EventWiringOptions,
  newEvent: (object: NewObject) => ObjectCreatedEvent,
): Promise<number> {
  const saved = new Map<string, ObjectCreatedEvent[]>()
  for (const event of await readInflightEvents(inflightDirectory)) {
    const id = `${decodeEventKey(event.detail.object.key)}\n${event.detail.object.etag}`
    saved.set(
      id,
      [...(saved.get(id) ?? []), event].sort((a, b) =>
        (a.detail.object.sequencer ?? '').localeCompare(b.detail.object.sequencer ?? ''),
      ),
    )
  }
  let count = 0
  for (const object of await listLeftovers(s3, bucket)) {
    const etag = object.etag ?? ''
    const id = `${object.key}\n${etag}`
    const [event, ...others] = saved.get(id) ?? []
    saved.delete(id)
    for (const other of others) await forgetInflightEvent(inflightDirectory, other)
    dispatcher.submit(event ?? newEvent({key: object.key, size: object.size, etag}), Boolean(event))
    count++
  }
  for (const events of saved.values()) for (const event of events) await forgetInflightEvent(inflightDirectory, event)
  return count
}

/** The objects in the bucket, listed again (a bounded number of times) when the local S3 fails the listing. */
async function listLeftovers(s3: S3Client, bucket: string): Promise<ListedObject[]> {
  try {
    return await retryTransient(async () => {
      const objects: ListedObject[] = []
      for await (const object of listObjects(s3, bucket)) objects.push(object)
      return objects
    })
  } catch (error) {
    throw new CliError(`Could not list the objects left in the local processing bucket: ${(error as Error).message}`, {
      exitCode: ExitCode.Aws,
      code: 'LocalLeftoversUnlisted',
      hint: 'Start the pipeline again with `eventpulse local start`; the objects stay in the bucket until then.',
      cause: error,
    })
  }
}

import {findObject} from '#aws/list-objects.js'
import {type PipelineTarget, resource} from '#aws/clients.js'
import {isSweepRequest} from '#contract/pipeline-contract.js'
import {mapConcurrently} from '#core/concurrency.js'
import {formatDuration} from '#core/duration.js'
import {type ObjectRef, objectRefs} from '#processor/event.js'

/**
 * Where dead letters wait: on AWS the rule's queue (events EventBridge could not deliver) and the processor's queue
 * (invocations that failed for good, and objects the sweep gave up on); locally the pipeline's dead-letter file.
 */
export type DeadLetterPlace = 'undelivered-events' | 'failed-invocations' | 'dead-letter-file'

/** A dead letter as its place holds it, before anything is looked up. */
export interface FoundLetter {
  place: DeadLetterPlace
  /** The SQS message id; for the local file, a digest of the record's line. */
  id: string
  /** What was being delivered: an S3 event (or a sweep request), parsed; undefined when it is not JSON. */
  body?: unknown
  error: {code?: string; message?: string}
  /** When it was dead-lettered (SQS SentTimestamp; the local record's time). */
  at?: Date
  /** Tries made, where the letter says (the sweep's letters, local records). */
  attempts?: number
}

/** How a place was read: how many letters, and whether some may be missing from the listing. */
export interface PlaceSummary {
  place: DeadLetterPlace
  /** The queue URL or the file. */
  where: string
  listed: number
  /** The queue's approximate number of messages when the listing began. */
  approximate?: number
  /** Messages someone else was reading (invisible to this listing), when the listing began. */
  inFlight?: number
  /** false when the listing may have missed letters: a queue holding more than it gave, or the listing's bound. */
  complete: boolean
}

export interface DeadLetterSource {
  /** Every letter, each left where it is (nothing consumed). */
  read(): Promise<{places: PlaceSummary[]; letters: FoundLetter[]}>
  /** Removes these letters; answers the ids removed and those that failed (a letter no longer found is in neither). */
  remove(letters: DeadLetter[]): Promise<{removed: string[]; failed: {id: string; message: string}[]}>
}

/**
 * The object an upload's dead letter names, as the processing bucket holds it now: still `waiting` (that very
 * upload: the ETag agrees, or the event had none), `replaced` by a newer upload of the key that waits, or `gone`.
 */
export interface LetterObject {
  key: string
  /** The upload's ETag, from the event (absent when the event has none). */
  etag?: string
  state: 'waiting' | 'replaced' | 'gone'
  /** The ETag of the newer upload that waits under the key (`replaced`). */
  waitingEtag?: string
}

export interface DeadLetter {
  place: DeadLetterPlace
  id: string
  /** An upload's event (its objects); a sweep run that failed; or a body that is neither, for a person to look at. */
  kind: 'objects' | 'sweep-run' | 'unreadable'
  objects: LetterObject[]
  error: {code?: string; message?: string}
  at?: string
  ageSeconds?: number
  attempts?: number
  /**
   * Whether `clear` removes it: none of its objects waits in the processing bucket any more (nothing is left to
   * redrive), or it is a failed sweep run (the next run replaces it). One whose object waits is kept: the sweep, or a
   * redrive, handles it.
   */
  clearable: boolean
}

export interface DeadLetterListing {
  places: PlaceSummary[]
  count: number
  letters: DeadLetter[]
}

/** Reads every letter from the source, and looks up in the processing bucket whether each one's objects still wait. */
export async function listDeadLetters(
  target: PipelineTarget,
  source: DeadLetterSource,
  now: Date = new Date(),
): Promise<DeadLetterListing> {
  const {places, letters} = await source.read()
  const lookUp = objectLookup(target)
  const described = await mapConcurrently(letters, target.concurrency, async (found) => {
    const {kind, refs} = aboutBody(found.body)
    const objects = await Promise.all(refs.map(lookUp))
    // A record's time may be missing or garbled (the local file is plain text): then its age is unknown.
    const at = found.at && !Number.isNaN(found.at.getTime()) ? found.at : undefined
    return {
      place: found.place,
      id: found.id,
      kind,
      objects,
      error: found.error,
      at: at?.toISOString(),
      ageSeconds: at && Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000)),
      attempts: found.attempts,
      clearable: kind === 'sweep-run' || (kind === 'objects' && objects.every((object) => object.state !== 'waiting')),
    }
  })
  return {places, count: described.length, letters: described}
}

function aboutBody(body: unknown): {kind: DeadLetter['kind']; refs: ObjectRef[]} {
  if (isSweepRequest(body)) return {kind: 'sweep-run', refs: []}
  try {
    const refs = objectRefs(body)
    return refs.length > 0 ? {kind: 'objects', refs} : {kind: 'unreadable', refs}
  } catch {
    return {kind: 'unreadable', refs: []}
  }
}

/**
 * Whether an upload still waits, by listing the key (s3:ListBucket, which the quarantine-admin role has) rather than
 * HEAD (s3:GetObject, which would let it read uploads): the listing gives the ETag too. Each key is looked up once.
 */
function objectLookup(target: PipelineTarget): (ref: ObjectRef) => Promise<LetterObject> {
  const bucket = resource(target, 'processingBucket')
  const listed = new Map<string, ReturnType<typeof findObject>>()
  const find = (key: string) => {
    if (!listed.has(key)) listed.set(key, findObject(target.s3, bucket, key))
    return listed.get(key)!
  }
  return async (ref) => {
    // The event's key decoded, or as it came when that is the one in the bucket (see processor/event.ts).
    const found = (await find(ref.key)) ?? (ref.rawKey === undefined ? undefined : await find(ref.rawKey))
    const object = {key: found?.key ?? ref.key, etag: ref.etag}
    if (!found) return {...object, state: 'gone'}
    if (!ref.etag || !found.etag || found.etag === ref.etag) return {...object, state: 'waiting'}
    return {...object, state: 'replaced', waitingEtag: found.etag}
  }
}

/** One line per letter, for people: where, how old, its objects and what became of them, and the error. */
export function letterLine(letter: DeadLetter): string {
  const age = letter.ageSeconds === undefined ? 'age unknown' : `${ageText(letter.ageSeconds)} ago`
  const about =
    letter.kind === 'objects'
      ? letter.objects.map((object) => `${object.key} (${OBJECT_STATES[object.state]})`).join(', ')
      : letter.kind === 'sweep-run'
        ? '(a sweep run that failed; the next run replaces it)'
        : '(not an S3 event: see --json)'
  const {code, message} = letter.error
  const error = [code, message].filter(Boolean).join(': ') || 'no error recorded'
  const attempts =
    letter.attempts === undefined ? '' : ` (${letter.attempts} ${letter.attempts === 1 ? 'attempt' : 'attempts'})`
  return `${letter.place}  ${age}  ${about}  ${error}${attempts}`
}

const OBJECT_STATES: Record<LetterObject['state'], string> = {
  waiting: 'still waiting',
  replaced: 'gone; a newer upload of the key waits',
  gone: 'gone',
}

/** Whole minutes past the first minute: "45s", "12m", "3h5m", "2d4h". */
function ageText(seconds: number): string {
  return formatDuration(seconds < 60 ? seconds : seconds - (seconds % 60))
}

/** What a listing may have missed, per place, for stderr. */
export function incompleteLines(places: PlaceSummary[]): string[] {
  return places.flatMap((place) => [
    ...(place.complete
      ? []
      : [
          `${place.place}: listed ${place.listed} of about ${messages(place.approximate)}; ` +
            'the listing may be incomplete (run it again).',
        ]),
    ...(place.inFlight
      ? [
          `${place.place}: ${messages(place.inFlight)} ${place.inFlight === 1 ? 'was' : 'were'} being read by ` +
            `someone else and ${place.inFlight === 1 ? 'is' : 'are'} not listed.`,
        ]
      : []),
  ])
}

const messages = (n: number | undefined) => `${n ?? '?'} ${n === 1 ? 'message' : 'messages'}`

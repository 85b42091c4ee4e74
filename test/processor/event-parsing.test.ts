import {describe, expect, test} from 'vitest'

import {objectCreatedEvent} from '#local/events.js'
import {eventObjectKey, InvalidEventError, objectRefs, s3ObjectCreatedEvent} from '#processor/event.js'

// How the processor reads what it is invoked with: the fields it trusts, the ones it ignores when malformed, and the
// inputs it refuses (so the invocation fails and its event reaches the dead-letter queue, never dropped).

const event = objectCreatedEvent({
  bucket: 'processing',
  key: 'a b.json',
  size: 12,
  etag: 'e1',
  sequencer: '0A',
  region: 'us-east-1',
})
const withObject = (object: Record<string, unknown>) => ({...event, detail: {...event.detail, object}})

test.each([
  ['a size that is not a number', {size: '12'}, {etag: 'e1', sequencer: '0A'}],
  ['an empty ETag', {etag: ''}, {size: 12, sequencer: '0A'}],
  ['an ETag that is not a string', {etag: 7}, {size: 12, sequencer: '0A'}],
  ['an empty sequencer', {sequencer: ''}, {size: 12, etag: 'e1'}],
  ['a sequencer that is not a string', {sequencer: 10}, {size: 12, etag: 'e1'}],
])('an event with %s is read without it', (_, field, rest) => {
  const [ref] = objectRefs(withObject({key: 'k.json', size: 12, etag: 'e1', sequencer: '0A', ...field}))
  expect(ref).toStrictEqual({
    bucket: 'processing',
    key: 'k.json',
    rawKey: undefined,
    size: undefined,
    etag: undefined,
    sequencer: undefined,
    ...rest,
  })
})

describe('what is not an S3 "Object Created" event is refused as such', () => {
  const refused: [string, unknown][] = [
    ['nothing', undefined],
    ['null', null],
    ['an event from another source', {...event, source: 'aws.ec2'}],
    ['an event with no bucket', {...event, detail: {...event.detail, bucket: undefined}}],
    ['an event whose bucket has no name', {...event, detail: {...event.detail, bucket: {}}}],
    ['an SQS record with no body', {Records: [{messageId: 'm-1'}]}],
    ['an array holding a non-event', [event, 42]],
  ]
  test.each(refused)('%s', (_, input) => {
    expect(() => objectRefs(input)).toThrow(InvalidEventError)
    expect(() => objectRefs(input)).toThrow(/^not an S3 "Object Created" event: /)
  })

  test('quoting at most 300 characters of it (a dead letter keeps it whole)', () => {
    const huge = {hello: 'x'.repeat(10_000)}
    expect(() => objectRefs(huge)).toThrow(
      new InvalidEventError(`not an S3 "Object Created" event: ${JSON.stringify(huge).slice(0, 300)}`),
    )
  })
})

describe('the object key an event names, for dead-letter lines and per-key ordering', () => {
  test('decoded as S3 encodes it', () => {
    expect(eventObjectKey(event)).toBe('a b.json')
    expect(eventObjectKey(withObject({key: 'dir/x%2By+z.json'}))).toBe('dir/x+y z.json')
  })

  test.each([
    ['nothing', undefined],
    ['not an event', {hello: 'world'}],
    ['a key that is not a string', withObject({key: 42})],
  ])('none in %s', (_, input) => {
    expect(eventObjectKey(input)).toBeUndefined()
  })
})

test('the event the sweep makes for an object is shaped as S3 sends it', () => {
  const made = s3ObjectCreatedEvent({
    account: '123456789012',
    region: 'eu-west-1',
    bucket: 'processing',
    key: 'a b+c.json',
    size: 12,
    etag: 'e1',
  })
  expect(made).toEqual({
    version: '0',
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: expect.any(String),
    region: 'eu-west-1',
    resources: ['arn:aws:s3:::processing'],
    detail: {
      version: '0',
      bucket: {name: 'processing'},
      object: {key: 'a+b%2Bc.json', size: 12, etag: 'e1', sequencer: undefined},
    },
  })
  expect(objectRefs(made)).toEqual([
    {bucket: 'processing', key: 'a b+c.json', rawKey: 'a+b%2Bc.json', size: 12, etag: 'e1'},
  ])
})

import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {sessionNameFor} from '#aws/credentials.js'
import {explainAwsError} from '#aws/explain-error.js'
import {CliError, toFailure} from '#core/errors.js'
import {createProgress} from '#terminal/progress.js'
import {keyProblem, objectKeyFor} from '#files/object-keys.js'

const awsError = (name: string, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), {name, $metadata: {httpStatusCode: 400}, ...extra})

describe('AWS errors explained', () => {
  it('an expired session is a credentials failure (exit 3) telling how to sign in again', () => {
    const failure = toFailure(explainAwsError(awsError('ExpiredToken')))
    expect(failure).toMatchObject({exitCode: 3, code: 'ExpiredToken'})
    expect(failure.hint).toContain('aws sso login')
  })

  it('a missing bucket is an AWS failure (exit 4) naming it, with what to check', () => {
    const failure = toFailure(explainAwsError(awsError('NoSuchBucket', {BucketName: 'ep-processing'})))
    expect(failure).toMatchObject({
      exitCode: 4,
      code: 'BucketNotFound',
      message: 'Bucket ep-processing does not exist.',
    })
    expect(failure.hint).toContain('--stack')
  })

  it('leaves CliErrors and unknown errors as they are', () => {
    const mine = new CliError('x', {exitCode: 2, code: 'X'})
    expect(explainAwsError(mine)).toBe(mine)
    const other = awsError('Throttling')
    expect(explainAwsError(other)).toBe(other)
  })
})

describe('object keys', () => {
  it('are the path below the argument, after the prefix', () => {
    expect(objectKeyFor('sub/a.json')).toBe('sub/a.json')
    expect(objectKeyFor('a.json', '2024/06')).toBe('2024/06/a.json')
    expect(objectKeyFor('a.json', '2024/06/')).toBe('2024/06/a.json')
  })

  it.each([
    ['../a.json', 'the key has a . or .. segment'],
    ['x/./a.json', 'the key has a . or .. segment'],
    ['/a.json', 'the key starts with /'],
    ['a\u0007.json', 'the key holds a control character'],
    ['a\nb.json', 'the key holds a control character'],
    ['a//b.json', 'the key has an empty segment (//)'],
    // S3 keys stop at 1,024 bytes; 19 are kept for a quarantine entry's suffix, /q-<16 hex digits>.
    ['k'.repeat(1006), "the key is over 1005 bytes (S3's 1,024 less room for the quarantine entry's suffix)"],
  ])('refuses %j', (key, problem) => {
    expect(keyProblem(key)).toBe(problem)
  })

  it('accepts ordinary keys, spaces and non-ASCII included', () => {
    for (const key of [
      'a.json',
      'catalog/2024/track #1.json',
      'künstler/été.json',
      '..hidden/a.json',
      'k'.repeat(1005),
    ])
      expect(keyProblem(key)).toBeUndefined()
  })
})

describe('progress', () => {
  const capture = (isTTY: boolean) => {
    const stream = Object.assign(new PassThrough(), {isTTY}) as unknown as NodeJS.WriteStream & PassThrough
    let text = ''
    stream.on('data', (chunk) => (text += chunk))
    return {stream, text: () => text}
  }

  it('draws a bar in place on a terminal and clears it at the end', () => {
    const {stream, text} = capture(true)
    const progress = createProgress({total: 2, label: 'Uploading', silent: false, stream})
    progress.advance()
    progress.advance()
    progress.done()
    expect(text()).toContain('\rUploading ')
    expect(text()).toContain(' 2/2')
    expect(text().endsWith('\r\u001B[2K')).toBe(true)
  })

  it('shows nothing without a terminal (the outcomes are printed once, at the end), nor when silent', () => {
    const plain = capture(false)
    const progress = createProgress({total: 2, label: 'Uploading', silent: false, stream: plain.stream})
    progress.advance()
    progress.done()
    expect(plain.text()).toBe('')
    const quiet = capture(true)
    createProgress({total: 2, label: 'Uploading', silent: true, stream: quiet.stream}).advance()
    expect(quiet.text()).toBe('')
  })
})

describe('STS session names', () => {
  it('name the caller within the characters and length STS allows', () => {
    expect(sessionNameFor('alice')).toBe('eventpulse-alice')
    expect(sessionNameFor('DOMAIN\\Jane Doe (admin)')).toBe('eventpulse-DOMAIN-Jane-Doe-admin')
    expect(sessionNameFor('')).toBe('eventpulse-user')
    expect(sessionNameFor('ü'.repeat(10))).toBe('eventpulse-user')
    const long = sessionNameFor('x'.repeat(100))
    expect(long).toHaveLength(64)
    expect(long).toMatch(/^[\w+=,.@-]+$/)
  })
})

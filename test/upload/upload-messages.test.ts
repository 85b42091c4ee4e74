import {describe, expect, it} from 'vitest'

import type {BatchProblem} from '#record/check-batch.js'
import {
  invalidLines,
  keysUsedBeforeWarning,
  storedFromOtherKeysWarning,
  summaryLine,
  unchangedLine,
} from '#upload/run-upload.js'
import {sameKeyError} from '#upload/same-key.js'
import type {UploadedFile} from '#upload/send.js'

// The words `upload` prints about files it did not send, records it replaced, keys it reused and pairs it refused.

describe('unchangedLine', () => {
  it('says a single record is already stored exactly so', () => {
    expect(unchangedLine({file: 'a.json', key: 'a.json', status: 'unchanged'})).toBe(
      'unchanged    a.json  (already stored exactly so; not sent)',
    )
  })

  const processed = (stored: number, quarantined: number): UploadedFile => ({
    file: 'c.ndjson',
    key: 'c.ndjson',
    status: 'unchanged',
    processedAt: '2026-12-01T10:00:00.000Z',
    counts: {records: 2, stored, unchanged: 0, quarantined, reasons: {}},
  })

  it('gives the counts of the earlier run, with no quarantine command when that run quarantined nothing', () => {
    expect(unchangedLine(processed(2, 0))).toBe(
      'unchanged    c.ndjson  (processed before exactly so, 2026-12-01T10:00:00.000Z; counts of that run: ' +
        '2 records, 2 stored, 0 unchanged, 0 quarantined; not sent)',
    )
  })

  it('names the quarantine command of the entries, with no target flags when none were given', () => {
    expect(unchangedLine(processed(1, 1))).toBe(
      'unchanged    c.ndjson  (processed before exactly so, 2026-12-01T10:00:00.000Z; counts of that run: ' +
        '2 records, 1 stored, 0 unchanged, 1 quarantined; in quarantine now: eventpulse quarantine list --prefix ' +
        'c.ndjson/; not sent)',
    )
  })
})

describe('summaryLine', () => {
  it('counts the records replaced with --replace --wait', () => {
    const summary = {files: 1, invalid: 0, uploaded: 1, unchanged: 0, failed: 0, notAttempted: 0}
    expect(
      summaryLine({
        dryRun: false,
        files: [],
        summary: {...summary, replaced: 1, stored: 0, quarantined: 0, pending: 0},
      }),
    ).toBe('1 file, 1 uploaded, 1 replaced, 0 stored, 0 quarantined.')
  })
})

describe('invalidLines', () => {
  const invalid = (file: string, errors: BatchProblem[]): UploadedFile => ({
    file,
    key: file,
    status: 'invalid',
    reason: 'schema',
    errors,
  })
  const problem = (line: number, column: number): BatchProblem => ({
    path: '/Duration',
    line,
    column,
    record: line,
    message: 'must be integer',
    reason: 'schema',
  })

  it('counts the bad lines of a refused batch (two problems of one record make one line) and says how to send it anyway', () => {
    const files = [
      invalid('one.ndjson', [problem(2, 30)]),
      invalid('two.ndjson', [problem(1, 30), problem(1, 45), problem(3, 10)]),
    ]
    expect(invalidLines(files)).toEqual([
      'one.ndjson:2:30  record 2: must be integer [schema]',
      'one.ndjson: 1 bad line, so the whole file was not sent; --no-validate sends it anyway (the pipeline stores ' +
        'the good lines and quarantines each bad one on its own).',
      'two.ndjson:1:30  record 1: must be integer [schema]',
      'two.ndjson:1:45  record 1: must be integer [schema]',
      'two.ndjson:3:10  record 3: must be integer [schema]',
      'two.ndjson: 2 bad lines, so the whole file was not sent; --no-validate sends it anyway (the pipeline stores ' +
        'the good lines and quarantines each bad one on its own).',
    ])
  })
})

describe('keysUsedBeforeWarning', () => {
  const reused = (file: string, key: string): UploadedFile => ({file, key, status: 'uploaded', keyUsedBefore: {}})

  it('names five keys with no "and 0 more"', () => {
    const planned = [{file: {displayPath: 'dir-E/0.json', relativePath: '0.json'}, key: '0.json'}]
    const files = Array.from({length: 5}, (_, i) => reused(`dir-E/${i}.json`, `${i}.json`))
    expect(keysUsedBeforeWarning(planned, files)).toMatch(
      /^5 files were sent under .* \(0\.json, 1\.json, 2\.json, 3\.json, 4\.json\): keys are/,
    )
  })

  it('suggests a prefix named after the folder of the first reused file, not of the first file planned', () => {
    const planned = [
      {file: {displayPath: 'dir-F/one.json', relativePath: 'one.json'}, key: 'one.json'},
      {file: {displayPath: 'dir-G/two.json', relativePath: 'two.json'}, key: 'two.json'},
    ]
    expect(keysUsedBeforeWarning(planned, [reused('dir-G/two.json', 'two.json')])).toMatch(/e\.g\. --prefix dir-G\/\.$/)
  })
})

describe('storedFromOtherKeysWarning', () => {
  it('says nothing when no file holds a record stored from another key', () => {
    expect(storedFromOtherKeysWarning([{file: 'b.json', key: 'b.json', status: 'uploaded'}])).toBeUndefined()
  })

  it('names each such file with where its stored version came from, if the stored item says', () => {
    expect(
      storedFromOtherKeysWarning([
        {file: 'a.json', key: 'a.json', status: 'uploaded', storedFrom: {sourceKey: 'one/a.json'}},
        {file: 'b.json', key: 'b.json', status: 'uploaded'},
        {file: 'c.json', key: 'c.json', status: 'uploaded', storedFrom: {}},
      ]),
    ).toBe(
      '2 files hold another version of a record stored from another key (a.json, stored from one/a.json; c.json, ' +
        'stored from an unknown key): the pipeline quarantines each as a duplicate of the stored one. Send changes ' +
        'with --replace; accept one already quarantined with eventpulse quarantine accept.',
    )
  })
})

describe('sameKeyError', () => {
  it('refuses the upload with exit 1, listing each pair on its own line, and says the ways on', () => {
    const error = sameKeyError([
      {first: 'a.json', second: 'b.json', artistId: 'Same', itemId: 'TRACK#1'},
      {first: 'c.ndjson:2', second: 'd.json', artistId: 'Same', itemId: 'TRACK#2'},
    ])
    expect(error).toMatchObject({
      exitCode: 1,
      code: 'SameKeyRecords',
      message:
        'Nothing was uploaded: 2 pairs of records of this upload have the same ArtistID + ItemID and different ' +
        'content, and which of each pair the pipeline would keep is a matter of chance.\n' +
        '  a.json and b.json: ArtistID "Same" + ItemID "TRACK#1"\n' +
        '  c.ndjson:2 and d.json: ArtistID "Same" + ItemID "TRACK#2"',
      hint:
        'Keep the right record of each pair (fix or leave out the other) and upload again. --replace does not ' +
        'choose between them either. --no-validate sends them all the same and lets the pipeline decide: ' +
        'whichever it processes first is stored, the other quarantined as a duplicate (with --replace, stored as ' +
        'a newer version), by chance.',
    })
  })
})

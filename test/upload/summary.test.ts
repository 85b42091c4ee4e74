import {describe, expect, it} from 'vitest'

import type {Failure} from '#core/errors.js'
import {invalidLines, summaryLine, type UploadSummary, uploadExitStatus, withPacking} from '#upload/run-upload.js'
import type {UploadedFile} from '#upload/send.js'

// What `upload` says at the end, and the exit status scripts act on.

const summary = (counts: Partial<UploadSummary>): UploadSummary => ({
  files: 0,
  invalid: 0,
  uploaded: 0,
  unchanged: 0,
  failed: 0,
  notAttempted: 0,
  ...counts,
})
const sent = (counts: Partial<UploadSummary>, failure?: Failure) => ({
  dryRun: false,
  summary: summary(counts),
  files: [],
  failure,
})

describe('summaryLine', () => {
  it('counts files and says what became of them, leaving out what did not happen', () => {
    expect(summaryLine(sent({files: 1, uploaded: 1}))).toBe('1 file, 1 uploaded.')
    expect(summaryLine(sent({files: 2, uploaded: 0}))).toBe('2 files, 0 uploaded.')
    expect(
      summaryLine(
        sent({
          files: 9,
          uploaded: 4,
          unchanged: 1,
          invalid: 2,
          failed: 1,
          notAttempted: 1,
          stored: 2,
          quarantined: 1,
          pending: 1,
        }),
      ),
    ).toBe(
      '9 files, 4 uploaded, 1 unchanged (already stored), 2 invalid (not sent), 1 failed, 1 not attempted, ' +
        '2 stored, 1 quarantined, 1 still in flight.',
    )
    // With --wait, stored and quarantined are told even when none.
    expect(summaryLine(sent({files: 1, uploaded: 1, stored: 0, quarantined: 0, pending: 0}))).toBe(
      '1 file, 1 uploaded, 0 stored, 0 quarantined.',
    )
  })

  it('on a dry run, says what would be uploaded and that nothing was sent', () => {
    expect(summaryLine({dryRun: true, summary: summary({files: 3, invalid: 1}), files: []})).toBe(
      '3 files, 2 would be uploaded, 1 invalid (not sent). Dry run: nothing was sent.',
    )
  })

  it('with --batch, counts the files given, the batch objects sent and the records, each by its name', () => {
    // 10,070 files, 50 invalid, the other 10,020 packed into 11 objects of up to 1,000 records.
    const packed = {files: 10_070, invalid: 50, batches: 11}
    expect(summaryLine(sent({...packed, uploaded: 11, stored: 10_000, quarantined: 20, pending: 0}))).toBe(
      '10070 files: 50 invalid (not sent), 10020 packed into 11 batch objects; batch objects: 11 uploaded; ' +
        'records: 10000 stored, 20 quarantined.',
    )
    expect(summaryLine(sent({...packed, uploaded: 9, failed: 1, notAttempted: 1, unchanged: 3}))).toBe(
      '10070 files: 50 invalid (not sent), 10020 packed into 11 batch objects; ' +
        'batch objects: 9 uploaded, 1 failed, 1 not attempted; records: 3 unchanged (already stored).',
    )
    expect(summaryLine({dryRun: true, summary: summary({files: 4, batches: 1}), files: []})).toBe(
      '4 files: 4 packed into 1 batch object; batch objects: 1 would be uploaded. Dry run: nothing was sent.',
    )
  })
})

describe('uploadExitStatus', () => {
  it('is 0 when all went well, unchanged records included', () => {
    expect(uploadExitStatus(sent({files: 2, uploaded: 1, unchanged: 1, stored: 1, quarantined: 0, pending: 0}))).toBe(0)
    expect(uploadExitStatus(sent({files: 1, uploaded: 1}))).toBe(0)
  })

  it('is 1 when files were invalid or quarantined', () => {
    expect(uploadExitStatus(sent({files: 1, invalid: 1}))).toBe(1)
    expect(uploadExitStatus(sent({files: 1, uploaded: 1, stored: 0, quarantined: 1, pending: 0}))).toBe(1)
  })

  it('is 4 when uploads failed or outcomes did not arrive, even with invalid files beside them', () => {
    expect(uploadExitStatus(sent({files: 2, failed: 1, invalid: 1}))).toBe(4)
    expect(uploadExitStatus(sent({files: 2, uploaded: 2, stored: 1, quarantined: 1, pending: 1}))).toBe(4)
  })

  it('is 1 when the only problem is an in-flight conflict (a conflict to retry), 4 when a file failed beside it', () => {
    const conflict: UploadedFile = {file: 'a.json', key: 'a.json', status: 'in-flight-conflict'}
    const failed: UploadedFile = {file: 'b.json', key: 'b.json', status: 'failed'}
    expect(uploadExitStatus({...sent({files: 1, failed: 1}), files: [conflict]})).toBe(1)
    expect(uploadExitStatus({...sent({files: 2, failed: 2}), files: [conflict, failed]})).toBe(4)
  })

  it("is the failure's own when the upload stopped (3 for credentials)", () => {
    const failure = {exitCode: 3, code: 'AccessDenied', message: 'no'}
    expect(uploadExitStatus(sent({files: 1, notAttempted: 1}, failure))).toBe(3)
  })
})

describe('withPacking', () => {
  const invalid: UploadedFile = {file: 'dir/bad.json', key: 'bad.json', status: 'invalid', reason: 'schema', errors: []}
  const batch: UploadedFile = {file: 'dir/a.json … dir/c.json (2 files)', key: 'batch-1.ndjson', status: 'uploaded'}
  const packed = [{file: 'dir/a.json', key: 'batch-1.ndjson', line: 1}]

  it('reports the files left out of the batches as invalid, first, counts files given and batch objects apart, and where each packed file went', () => {
    const result = withPacking(
      {dryRun: false, summary: summary({files: 1, uploaded: 1}), files: [batch]},
      {
        batches: [],
        packed,
        invalid: [invalid],
      },
    )
    expect(result).toEqual({
      dryRun: false,
      summary: summary({files: 2, batches: 1, uploaded: 1, invalid: 1}),
      files: [invalid, batch],
      packed,
    })
  })

  it('leaves a result without --batch as it is', () => {
    const result = {dryRun: false, summary: summary({files: 1, uploaded: 1}), files: [batch]}
    expect(withPacking(result, undefined)).toBe(result)
  })
})

describe('invalidLines', () => {
  it("gives the invalid files' problems as validate prints them, and nothing for the others", () => {
    const files: UploadedFile[] = [
      {file: 'ok.json', key: 'ok.json', status: 'uploaded'},
      {
        file: 'bad.json',
        key: 'bad.json',
        status: 'invalid',
        reason: 'schema',
        errors: [{path: '/Duration', line: 1, column: 30, message: 'must be integer'}],
      },
      {file: 'none.json', key: 'none.json', status: 'invalid', reason: 'invalid-json'},
    ]
    expect(invalidLines(files)).toEqual(['bad.json:1:30  must be integer [schema]'])
  })
})

import {createHash} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {objectKeyFor} from '#files/object-keys.js'
import {readInput} from '#files/input-files.js'
import {checkRecord} from '#record/check-record.js'
import {packedLine, packedRecord} from '#record/packed-line.js'
import {reportFor} from '#validate/validate-files.js'
import type {PlannedFile} from './plan.js'
import type {UploadedFile} from './send.js'

const NEWLINE = Buffer.from('\n')
const isBlank = (body: Buffer): boolean => body.toString('utf8').trim() === ''

/** Where one file's record went: the batch object's key and its line there. */
export interface PackedFile {
  file: string
  key: string
  line: number
}

export interface Packing {
  /** The batch files, planned like any file: they are validated and sent as they are. */
  batches: PlannedFile[]
  packed: PackedFile[]
  /** Files not packed because their record is invalid (when validating). */
  invalid: UploadedFile[]
  /** The temporary directory holding the batch files, until removeBatchFiles. */
  directory: string
}

/**
 * `upload DIR --batch N`: packs single-record files into NDJSON batch objects of up to N records, one record per line
 * in the files' order, each line naming its file as shown (PACKED_LINE), so its quarantine entry can name it. A
 * record's own line breaks are made spaces (JSON allows no raw line break inside a string, so the record is the same);
 * its bytes are otherwise kept as they are. A batch's key is `batch-<digest of its content>.ndjson` under the prefix: the same files
 * give the same batches, so re-running the command sends the same uploads again (never duplicates of themselves).
 * The batch files are written to a temporary directory and sent from there; removeBatchFiles removes them after.
 */
export async function packIntoBatches(
  planned: PlannedFile[],
  size: number,
  options: {validate: boolean; prefix?: string},
): Promise<Packing> {
  const directory = await mkdtemp(join(tmpdir(), 'eventpulse-batch-'))
  const packing: Packing = {batches: [], packed: [], invalid: [], directory}
  let lines: Buffer[] = []
  let files: string[] = []
  const flush = async () => {
    if (lines.length === 0) return
    const body = Buffer.concat(lines.flatMap((line) => [line, NEWLINE]))
    const name = `batch-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.ndjson`
    const path = join(directory, name)
    await writeFile(path, body, {mode: 0o600})
    const key = objectKeyFor(name, options.prefix)
    const shown = files.length === 1 ? files[0] : `${files[0]} … ${files.at(-1)} (${files.length} files)`
    packing.batches.push({file: {displayPath: shown, absolutePath: path, relativePath: name}, key})
    packing.packed.push(...files.map((file, index) => ({file, key, line: index + 1})))
    lines = []
    files = []
  }
  try {
    for (const entry of planned) {
      const body = await readInput(entry.file)
      // A blank file would be a blank line, which a batch skips: it is refused even unvalidated, never lost.
      const check = options.validate || isBlank(body) ? checkRecord(body) : undefined
      if (check) {
        const report = reportFor(entry.file, check)
        if (!report.valid) {
          const {file, reason, errors} = report
          packing.invalid.push({file, key: entry.key, size: body.length, status: 'invalid', reason, errors})
          continue
        }
      }
      lines.push(packedLine(entry.file.displayPath, packedRecord(body)))
      files.push(entry.file.displayPath)
      if (lines.length === size) await flush()
    }
    await flush()
  } catch (error) {
    await removeBatchFiles(packing)
    throw error
  }
  return packing
}

/** Removes the batch files: after the upload, whether it sent them or stopped. */
export async function removeBatchFiles(packing: Packing): Promise<void> {
  await rm(packing.directory, {recursive: true, force: true})
}

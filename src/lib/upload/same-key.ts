import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {inputChunks, readInput} from '#files/input-files.js'
import {batchLines, BatchCutShortError} from '#record/batch-lines.js'
import {checkRecord} from '#record/check-record.js'
import {sameRecord} from '#record/same-record.js'
import type {TypedItem} from '#record/typed-item.js'
import {isBatchFile} from '#validate/validate-files.js'
import {isGzipName} from '#contract/batch-names.js'
import {itemKeyOf} from './already-stored.js'
import type {PlannedFile} from './plan.js'

/** Two records of one upload with the same ArtistID + ItemID and different content: `where` is a file, or file:line. */
export interface SameKeyPair {
  first: string
  second: string
  artistId: string
  itemId: string
}

/** Pairs listed in the refusal; the rest are counted. */
const PAIRS_LISTED = 20

/** The valid records of a file, with where each is: the file, or file:line for a batch file's line. */
async function* recordsOf(file: PlannedFile['file']): AsyncGenerator<{where: string; item: TypedItem}> {
  if (!isBatchFile(file)) {
    const check = checkRecord(await readInput(file))
    if (check.ok) yield {where: file.displayPath, item: check.item}
    return
  }
  try {
    for await (const {line, bytes} of batchLines(inputChunks(file), {gzip: isGzipName(file.relativePath)})) {
      const check = checkRecord(bytes, {line})
      if (check.ok) yield {where: `${file.displayPath}:${line}`, item: check.item}
    }
  } catch (error) {
    // A batch that cannot be read to its end is refused as invalid anyway; its records read so far count.
    if (!(error instanceof BatchCutShortError)) throw error
  }
}

/**
 * Records of the upload that share an ArtistID + ItemID with an earlier one in other content: the pipeline would
 * process both, and which one ends stored is a race. The same record twice is no problem (it is stored once, the other
 * reported unchanged). Standard input is not read ahead (it can be read only once).
 */
export async function sameKeyPairs(planned: PlannedFile[]): Promise<SameKeyPair[]> {
  const seen = new Map<string, {where: string; item: TypedItem}>()
  const pairs: SameKeyPair[] = []
  for (const {file} of planned) {
    if (file.absolutePath === undefined) continue
    for await (const record of recordsOf(file)) {
      const key = itemKeyOf(record.item)
      const earlier = seen.get(key)
      if (!earlier) seen.set(key, record)
      else if (!sameRecord(earlier.item, record.item)) {
        const [artistId, itemId] = JSON.parse(key) as [string, string]
        pairs.push({first: earlier.where, second: record.where, artistId, itemId})
      }
    }
  }
  return pairs
}

/** The refusal of an upload holding such pairs: both places of each, and the ways on. */
export function sameKeyError(pairs: SameKeyPair[]): CliError {
  const listed = pairs
    .slice(0, PAIRS_LISTED)
    .map(
      (pair) =>
        `${pair.first} and ${pair.second}: ArtistID ${JSON.stringify(pair.artistId)} + ItemID ${JSON.stringify(pair.itemId)}`,
    )
  if (pairs.length > PAIRS_LISTED) listed.push(`… and ${pairs.length - PAIRS_LISTED} more`)
  return new CliError(
    `Nothing was uploaded: ${pairs.length === 1 ? 'two records' : `${pairs.length} pairs of records`} of this upload ` +
      'have the same ArtistID + ItemID and different content, and which of each pair the pipeline would keep is ' +
      `a matter of chance.\n  ${listed.join('\n  ')}`,
    {
      exitCode: ExitCode.Negative,
      code: 'SameKeyRecords',
      hint:
        'Keep the right record of each pair (fix or leave out the other) and upload again. --replace does not ' +
        'choose between them either. --no-validate sends them all the same and lets the pipeline decide: ' +
        'whichever it processes first is stored, the other quarantined as a duplicate (with --replace, stored as ' +
        'a newer version), by chance.',
    },
  )
}

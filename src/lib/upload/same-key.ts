import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {sameKeyCount, sameKeyLines, type SameKeyPair} from '#validate/same-key.js'
import {validateFiles} from '#validate/validate-files.js'
import type {PlannedFile} from './plan.js'

/**
 * Records of the upload that share an ArtistID + ItemID with an earlier one in other content, found as `validate`
 * finds them. Standard input is not read ahead (it can be read only once).
 */
export async function sameKeyPairs(planned: PlannedFile[]): Promise<SameKeyPair[]> {
  const files = planned.flatMap(({file}) => (file.absolutePath === undefined ? [] : [file]))
  return (await validateFiles(files)).sameKey
}

/** The refusal of an upload holding such pairs: both places of each, and the ways on. */
export function sameKeyError(pairs: SameKeyPair[]): CliError {
  return new CliError(
    `Nothing was uploaded: ${sameKeyCount(pairs)} of this upload ` +
      'have the same ArtistID + ItemID and different content, and which of each pair the pipeline would keep is ' +
      `a matter of chance.\n  ${sameKeyLines(pairs).join('\n  ')}`,
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

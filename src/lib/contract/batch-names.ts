/**
 * Batch files hold many records, one per line: NDJSON (`.ndjson`, `.jsonl`; plain or typed records) and DynamoDB's
 * export lines (`{"Item": {…}}`, `.json.gz` as DynamoDB writes them, or any of these gzip-compressed). Recognised by
 * name, the same way by `validate`, `upload` and the processor; a plain `.json` file stays one record.
 */
const BATCH_NAME = /\.(?:ndjson|jsonl)(?:\.gz)?$|\.json\.gz$/i

export const isBatchName = (name: string): boolean => BATCH_NAME.test(name)
export const isGzipName = (name: string): boolean => /\.gz$/i.test(name)

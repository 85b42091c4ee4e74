import {describe, expect, it} from 'vitest'

import {isBatchName, isGzipName} from '#contract/batch-names.js'
import {
  DYNAMODB_ITEM_LIMIT_BYTES,
  MAX_BATCH_OBJECT_BYTES,
  MAX_BATCH_RECORDS,
  MAX_BATCH_TEXT_BYTES,
  MAX_NESTING_DEPTH,
  MAX_OBJECT_BYTES,
  MAX_PARTITION_KEY_BYTES,
  MAX_RECORD_ITEM_BYTES,
  MAX_S3_KEY_BYTES,
  MAX_SORT_KEY_BYTES,
  MAX_SOURCE_KEY_BYTES,
  METADATA_RESERVE_BYTES,
} from '#contract/limits.js'
import {catalogKeyAttributes, historyItemKey} from '#contract/table.js'

describe('batch file names', () => {
  it('are .ndjson, .jsonl, either gzipped, and .json.gz, in any case', () => {
    for (const name of ['a.ndjson', 'a.jsonl', 'a.ndjson.gz', 'a.jsonl.gz', 'a.json.gz', 'dir/A.NDJSON', 'x.JSON.GZ'])
      expect(isBatchName(name), name).toBe(true)
  })

  it('are not plain .json, other names, or a batch name with more after it', () => {
    for (const name of [
      'a.json',
      'a.gz',
      'a.ndjson.txt',
      'a.jsonl.gz.bak',
      'andjson',
      'a.ndjson.zip',
      'a.txt.gz',
      'ndjson',
    ])
      expect(isBatchName(name), name).toBe(false)
  })

  it('tells gzip by the .gz ending, in any case', () => {
    expect(isGzipName('a.json.gz')).toBe(true)
    expect(isGzipName('a.ndjson.GZ')).toBe(true)
    expect(isGzipName('a.gzip')).toBe(false)
    expect(isGzipName('a.gz.json')).toBe(false)
    expect(isGzipName('agz')).toBe(false)
  })
})

describe('size limits', () => {
  it('are the ones the README states', () => {
    expect(MAX_OBJECT_BYTES).toBe(1_048_576)
    expect(DYNAMODB_ITEM_LIMIT_BYTES).toBe(409_600)
    expect(METADATA_RESERVE_BYTES).toBe(4096)
    expect(MAX_RECORD_ITEM_BYTES).toBe(405_504)
    expect(MAX_PARTITION_KEY_BYTES).toBe(2048)
    expect(MAX_SORT_KEY_BYTES).toBe(1024)
    expect(MAX_NESTING_DEPTH).toBe(32)
    expect(MAX_BATCH_OBJECT_BYTES).toBe(1_073_741_824)
    expect(MAX_BATCH_RECORDS).toBe(1_000_000)
    expect(MAX_BATCH_TEXT_BYTES).toBe(4_294_967_296)
    expect(MAX_S3_KEY_BYTES).toBe(1024)
    expect(MAX_SOURCE_KEY_BYTES).toBe(1005)
  })
})

describe('tables', () => {
  it('declare the catalog’s key attributes once each', () => {
    expect(catalogKeyAttributes()).toEqual(['ArtistID', 'ItemID', 'ep_source_key'])
  })

  it('key an item’s history by ArtistID and ItemID as a JSON pair', () => {
    expect(historyItemKey('a', 'b')).toBe('["a","b"]')
    // No two items share a partition, whatever their ids hold.
    expect(historyItemKey('a#b', 'c')).toBe('["a#b","c"]')
    expect(historyItemKey('a', 'b#c')).toBe('["a","b#c"]')
    expect(historyItemKey('"', '')).toBe('["\\"",""]')
  })
})

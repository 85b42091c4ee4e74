import {CreateBucketCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {localTarget} from '#local/target.js'
import {removeDir, startTestPipeline, type TestPipeline} from '../processor/helpers.js'

let buckets = 0

/**
 * A target whose processing bucket is a fresh one nobody processes, so what was sent stays there to be seen, over the
 * pipeline's table.
 */
export async function freshTarget(t: TestPipeline, options: {concurrency?: number} = {}): Promise<PipelineTarget> {
  const bucket = `sent-${++buckets}`
  await t.pipeline.s3.send(new CreateBucketCommand({Bucket: bucket}))
  const target = localTarget(t.pipeline.state, {
    concurrency: options.concurrency,
    clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb},
  })
  return {...target, resources: {...target.resources, processingBucket: bucket}}
}

/** A local pipeline started before this file's tests and removed after them: the pipeline, once started. */
export function localPipelineForTests(): () => TestPipeline {
  let t: TestPipeline
  beforeAll(async () => {
    t = await startTestPipeline()
  })
  afterAll(async () => {
    await t.pipeline.stop()
    await removeDir(t.dataDir)
  })
  return () => t
}

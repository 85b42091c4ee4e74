import {listObjects} from '#aws/list-objects.js'
import {type PipelineTarget, resource} from '#aws/clients.js'

export interface StuckObject {
  key: string
  size: number
  uploadedAt?: string
  ageSeconds: number
}

/** Objects that have sat in the processing bucket longer than the threshold: the processor never finished with them. */
export async function findStuck(
  target: PipelineTarget,
  olderThanSeconds: number,
  now = Date.now(),
): Promise<StuckObject[]> {
  const stuck: StuckObject[] = []
  for await (const object of listObjects(target.s3, resource(target, 'processingBucket'))) {
    const ageSeconds = object.lastModified ? Math.floor((now - object.lastModified.getTime()) / 1000) : 0
    if (ageSeconds >= olderThanSeconds)
      stuck.push({key: object.key, size: object.size, uploadedAt: object.lastModified?.toISOString(), ageSeconds})
  }
  return stuck
}

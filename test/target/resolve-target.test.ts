import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {PublishCommand, SNSClient} from '@aws-sdk/client-sns'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {OutboxNotifier, SnsNotifier} from '#processor/notifier.js'
import {resolveTarget, targetNotifier} from '#target/resolve-target.js'
import {mockDeployedStack} from '../helpers/deployed-stack.js'
import {tempDir} from '../helpers/temp-dirs.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline} from '../processor/helpers.js'

const notification = {outcome: 'stored', subject: 'EventPulse: stored a.json', sourceKey: 'a.json'} as never

describe('the target of a --local command', () => {
  let t: TestPipeline

  beforeAll(async () => {
    // `--local` finds the pipeline `local start` runs in the user's data directory: $XDG_DATA_HOME/eventpulse/local.
    const dataHome = tempDir('eventpulse-xdg-')
    vi.stubEnv('XDG_DATA_HOME', dataHome)
    const dataDir = join(dataHome, 'eventpulse', 'local')
    mkdirSync(dataDir, {recursive: true})
    t = await startTestPipeline({dataDir, writeState: true})
  })
  afterAll(async () => {
    await stopTestPipeline(t)
    vi.unstubAllEnvs()
  })

  it("is the running pipeline, as the role's own keys, with resources named by flags taking precedence", async () => {
    const target = await resolveTarget(
      {local: true, stack: 'EventPulse', table: 'other-table'},
      {role: 'uploader', needs: ['processingBucket'], concurrency: 3},
    )
    try {
      expect(target.local).toBe(true)
      expect(target.label).toBe('local pipeline')
      expect(target.concurrency).toBe(3)
      expect(target.resources.processingBucket).toBe(t.pipeline.state.processingBucket)
      expect(target.resources.table).toBe('other-table')
      expect(await target.s3.config.credentials()).toMatchObject({
        accessKeyId: t.pipeline.state.roleCredentials.uploader.accessKeyId,
      })
    } finally {
      target.s3.destroy()
      target.dynamodb?.destroy()
    }
  })

  it("announces a change in the local pipeline's outbox", async () => {
    const notifier = await targetNotifier({local: true} as PipelineTarget)
    expect(notifier).toBeInstanceOf(OutboxNotifier)
    await notifier.publish(notification)
    const lines = readFileSync(t.pipeline.state.outboxFile, 'utf8').trim().split('\n')
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({outcome: 'stored', sourceKey: 'a.json'})
  })
})

describe('the notifier of a deployed stack', () => {
  it("publishes on the stack's topic, and refuses a target resolved without the topic", async () => {
    const sent: PublishCommand[] = []
    const sns = {send: async (command: PublishCommand) => void sent.push(command)} as unknown as SNSClient
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:EventPulse-Outcomes'
    const notifier = await targetNotifier({sns, resources: {topicArn}, label: 'stack EventPulse'} as PipelineTarget)
    expect(notifier).toBeInstanceOf(SnsNotifier)
    await notifier.publish(notification)
    expect(sent.map((command) => command.input.TopicArn)).toEqual([topicArn])
    await expect(targetNotifier({resources: {}, label: 'stack EventPulse'} as PipelineTarget)).rejects.toThrow(
      'announcing a change needs a target resolved with the topic',
    )
  })
})

describe('the target of a command without --local', () => {
  const stack = mockDeployedStack()

  it("is the deployed stack, found by its outputs, as the role's assumed session", async () => {
    stack.answerWith({
      ProcessingBucketName: 'eventpulse-processing-1a2b',
      UploaderRoleArn: 'arn:aws:iam::123456789012:role/up',
    })
    const target = await resolveTarget(
      {stack: 'EventPulse', 'assume-role': true},
      {role: 'uploader', needs: ['processingBucket']},
    )
    expect(target.local).toBeFalsy()
    expect(target.label).toBe('stack EventPulse in eu-west-1 (profile default)')
    expect(target.resources.processingBucket).toBe('eventpulse-processing-1a2b')
    expect(target.roleArn).toBe('arn:aws:iam::123456789012:role/up')
  })
})

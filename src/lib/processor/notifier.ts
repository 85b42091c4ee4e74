import {appendFile, mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

import {PublishCommand, type SNSClient} from '@aws-sdk/client-sns'

import {NOTIFICATION_ATTRIBUTES, type Outcome, type QuarantineReason} from '#contract/pipeline-contract.js'
import type {BatchCounts, BatchProblemSummary} from './results.js'

/** What the pipeline tells subscribers about one upload. */
export interface Notification {
  /** `batch`: one notification for a whole batch object, its records' outcomes in `batch`. */
  outcome: Outcome | 'batch'
  reason?: QuarantineReason
  subject: string
  /** One sentence for people. */
  message: string
  bucket: string
  sourceKey: string
  etag: string
  /** The sequencer of the event that named the upload, when it had one. */
  sequencer?: string
  /** The stored item's key (stored), or the existing item the upload matched (unchanged) or duplicated. */
  item?: {ArtistID: string; ItemID: string}
  quarantineBucket?: string
  quarantineKey?: string
  /** A batch: the outcomes and reasons present, counts, and the first problems (line, attribute path, reason). */
  batch?: {outcomes: Outcome[]; reasons: QuarantineReason[]; counts: BatchCounts; problems: BatchProblemSummary[]}
  at: string
}

/** What a notification says beyond the upload it is about (which notify adds). */
export type NotificationContent = Omit<Notification, 'bucket' | 'sourceKey' | 'etag' | 'sequencer' | 'at'>

/**
 * The `replaced` announcement, one wording for every way an item is replaced: `by` says what replaced it (an upload's
 * key, an accepted quarantine entry, a revert).
 */
export function replacedContent(by: string, item: {ArtistID: string; ItemID: string}): NotificationContent {
  return {
    outcome: 'replaced',
    subject: `EventPulse: replaced ${item.ArtistID} / ${item.ItemID}`,
    message:
      `${by} replaced the item ArtistID "${item.ArtistID}", ItemID "${item.ItemID}"; ` +
      'its earlier version is in the history (`eventpulse items history`).',
    item,
  }
}

/** Where the handler sends notifications: SNS on AWS, an outbox file locally. */
export interface Notifier {
  publish(notification: Notification): Promise<void>
}

/** SNS subjects must be ASCII-safe, single-line and under 100 characters; the details travel in the message. */
function snsSubject(subject: string): string {
  return subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 99)
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(notification: Notification): Promise<void> {
    const attributes: Record<string, {DataType: 'String' | 'String.Array'; StringValue: string}> = {
      [NOTIFICATION_ATTRIBUTES.outcome]: {DataType: 'String', StringValue: notification.outcome},
    }
    if (notification.reason)
      attributes[NOTIFICATION_ATTRIBUTES.reason] = {DataType: 'String', StringValue: notification.reason}
    // A batch lists its records' outcomes and reasons: a filter policy matches a String.Array when any value matches,
    // so a "quarantined only" subscription gets the batches that quarantined something.
    if (notification.batch) {
      const list = (values: string[]) => ({DataType: 'String.Array' as const, StringValue: JSON.stringify(values)})
      attributes[NOTIFICATION_ATTRIBUTES.kind] = {DataType: 'String', StringValue: 'batch'}
      attributes[NOTIFICATION_ATTRIBUTES.outcome] = list(notification.batch.outcomes)
      if (notification.batch.reasons.length > 0)
        attributes[NOTIFICATION_ATTRIBUTES.reason] = list(notification.batch.reasons)
    }
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: snsSubject(notification.subject),
        Message: JSON.stringify(notification, null, 2),
        MessageAttributes: attributes,
      }),
    )
  }
}

/** The local stand-in for the topic: one JSON line per notification, appended to a file, and an optional listener. */
export class OutboxNotifier implements Notifier {
  constructor(
    readonly file: string,
    private readonly listener?: (notification: Notification) => void,
  ) {}

  async publish(notification: Notification): Promise<void> {
    await mkdir(dirname(this.file), {recursive: true})
    await appendFile(this.file, JSON.stringify(notification) + '\n', {mode: 0o600})
    this.listener?.(notification)
  }
}

import {appendFile, mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

import {PublishCommand, type SNSClient} from '@aws-sdk/client-sns'

import {NOTIFICATION_ATTRIBUTES, type Outcome, type QuarantineReason} from '#contract/pipeline-contract.js'

/** What the pipeline tells subscribers about one upload. */
export interface Notification {
  outcome: Outcome
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
  at: string
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
    const attributes: Record<string, {DataType: 'String'; StringValue: string}> = {
      [NOTIFICATION_ATTRIBUTES.outcome]: {DataType: 'String', StringValue: notification.outcome},
    }
    if (notification.reason)
      attributes[NOTIFICATION_ATTRIBUTES.reason] = {DataType: 'String', StringValue: notification.reason}
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

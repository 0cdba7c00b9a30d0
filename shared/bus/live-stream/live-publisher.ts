import type { LivePosition, LiveStream, LiveTopic } from "./live-stream.js";

/**
 * Users' alerts as the publisher needs them: for one published live event, the `user`-channel
 * events it fires (shared/journal's AlertBook has this shape; each alert fires once).
 */
export interface LiveAlerts {
  matching(event: { topic: string; data: unknown }): Promise<{ userId: string; data: unknown }[]>;
}

/** Puts events on LIVE; every event published through it also fires the users' alerts it meets. */
export interface LivePublisher {
  /** Resolves once the event is stored (its alerts are published after, without being awaited). */
  publish(topic: LiveTopic, data: unknown): Promise<LivePosition>;
}

export interface LivePublisherOptions {
  alerts?: LiveAlerts;
  /** Alerts that could not be matched or published (the event itself was stored). */
  onAlertError?: (err: unknown, topic: LiveTopic) => void;
}

export function createLivePublisher(live: LiveStream, options: LivePublisherOptions = {}): LivePublisher {
  const { alerts } = options;
  const onAlertError = options.onAlertError ?? (() => {});

  async function deliverAlerts(topic: LiveTopic, data: unknown): Promise<void> {
    if (alerts === undefined || topic.startsWith("user.")) return;
    const deliveries = await alerts.matching({ topic, data });
    for (const d of deliveries) await live.publish(`user.${d.userId}`, d.data);
  }

  return {
    async publish(topic, data) {
      const position = await live.publish(topic, data);
      deliverAlerts(topic, data).catch((err: unknown) => onAlertError(err, topic));
      return position;
    },
  };
}

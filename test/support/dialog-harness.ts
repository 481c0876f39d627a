import { createDialogEngine, type DialogEngine } from '../../dialogs/engine';
import { createRedisConversationStore } from '../../dialogs/conversation-store';
import type { DialogDeps } from '../../dialogs/step';
import { renderPlain, smsSegments } from '../../dialogs/support/format';
import type { InboundMessage, Reply } from '../../dialogs/types';
import { createRegistrationThrottle } from '../../src/limits/registration-throttle';
import type { Harness } from './harness';

export interface Chat {
  engine: DialogEngine;
  /** Sends one message and returns every reply as the plain text a phone would show. */
  say(senderId: string, text: string, channel?: InboundMessage['channel']): Promise<string>;
  /** The structured replies of the last message. */
  last: Reply[];
  /** The most SMS segments any one reply has needed so far. */
  maxSegments: number;
}

export function createChat(h: Harness, extra: Partial<DialogDeps> = {}): Chat {
  const deps: DialogDeps = {
    services: h.services,
    store: createRedisConversationStore(h.redis, h.prefix),
    registrations: createRegistrationThrottle(h.redis, h.prefix, h.services.settings),
    now: h.clock.now,
    clinicName: 'Demo Clinic',
    clinicTimezone: 'America/New_York',
    ...extra,
  };
  const chat: Chat = {
    engine: createDialogEngine(deps),
    last: [],
    maxSegments: 0,
    async say(senderId, text, channel = 'sms') {
      const { replies } = await chat.engine.handle({ channel, conversation: 'direct', senderId, text });
      chat.last = replies;
      const texts = replies.map(renderPlain);
      for (const t of texts) chat.maxSegments = Math.max(chat.maxSegments, smsSegments(t));
      return texts.join('\n---\n');
    },
  };
  return chat;
}

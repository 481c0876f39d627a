import { createDialogEngine, type DialogEngine } from '../../dialogs/engine';
import { createRedisConversationStore } from '../../dialogs/conversation-store';
import type { DialogDeps } from '../../dialogs/flow';
import { renderPlain, smsSegments } from '../../dialogs/support/format';
import type { InboundMessage, Reply } from '../../dialogs/types';
import { smsBodies } from '../../adapters/sms/render';
import { createRegistrationThrottle } from '../../src/limits/registration-throttle';
import type { Harness } from './harness';

export interface Chat {
  engine: DialogEngine;
  /** Sends one message and returns the replies as the plain text a phone would show. */
  say(senderId: string, text: string, channel?: InboundMessage['channel']): Promise<string>;
  /** The structured replies of the last message. */
  last: Reply[];
  /** Every turn so far, as the SMS bodies it would send: for one-SMS-per-turn and segment counts. */
  turns: string[][];
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
    turns: [],
    maxSegments: 0,
    async say(senderId, text, channel = 'sms') {
      const { replies, locale } = await chat.engine.handle({ channel, conversation: 'direct', senderId, text });
      chat.last = replies;
      const bodies = smsBodies(replies, { locale });
      chat.turns.push(bodies);
      for (const b of bodies) chat.maxSegments = Math.max(chat.maxSegments, smsSegments(b));
      return replies.map(renderPlain).join('\n');
    },
  };
  return chat;
}

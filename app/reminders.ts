import { createRedisConversationStore } from '../dialogs/conversation-store';
import { awaitReminderReply } from '../dialogs/patient/reminder-reply';
import { awaitWaitlistOffer } from '../dialogs/patient/waitlist';
import type { Logger } from '../src/logging';
import { createReminderSystem, type ReminderSystem } from '../src/reminders';
import { createStaffMessenger } from '../src/reminders/staff-messenger';
import type { AppContext } from './context';
import type { Senders } from './senders';

/** Reminders and notifications over an app context and its senders (the service and the worker share this). */
export function createReminders(ctx: AppContext, senders: Senders, logger: Logger): ReminderSystem {
  const store = createRedisConversationStore(ctx.redis, ctx.config.redisPrefix);
  return createReminderSystem({
    redis: ctx.config.redis,
    redisPrefix: ctx.config.redisPrefix,
    db: ctx.db,
    settings: ctx.services.settings,
    audit: ctx.services.audit,
    events: ctx.services.events,
    sms: senders.sms,
    staff: createStaffMessenger({ db: ctx.db, teams: senders.teams, slack: senders.slack }),
    clinicName: ctx.config.clinicName,
    now: ctx.now,
    logger,
    concurrency: ctx.config.workerConcurrency,
    reconcileEveryMs: ctx.config.reminderReconcileMs,
    confirmationGraceMs: ctx.config.confirmationGraceMs,
    metrics: ctx.metrics,
    sweepHold: (holdId) => ctx.services.booking.sweepHold(holdId),
    syncCalendars: () => ctx.services.externalCalendars.pull(),
    waitlist: {
      services: ctx.services,
      awaitOffer: (phone, offerId, expiresAt) => awaitWaitlistOffer(store, phone, offerId, expiresAt, ctx.now()),
    },
    awaitReply: (phone, appointmentId, startsAt) => awaitReminderReply(store, phone, appointmentId, startsAt, ctx.now()),
  });
}

import { createRedisConversationStore } from '../dialogs/conversation-store';
import { awaitReminderReply } from '../dialogs/patient/reminder-reply';
import type { AppContext } from './app';
import type { Channels } from './channels';
import type { Logger } from './logging';
import { createReminderSystem, type ReminderSystem } from './reminders';
import { createStaffMessenger } from './reminders/staff-messenger';

/** Reminders and notifications over an app context and its channels (the service and the worker share this). */
export function createReminders(ctx: AppContext, channels: Channels, logger: Logger): ReminderSystem {
  const store = createRedisConversationStore(ctx.redis, ctx.config.redisPrefix);
  return createReminderSystem({
    redisUrl: ctx.config.redisUrl,
    redisPrefix: ctx.config.redisPrefix,
    db: ctx.db,
    settings: ctx.services.settings,
    audit: ctx.services.audit,
    events: ctx.services.events,
    sms: channels.sms,
    staff: createStaffMessenger({ db: ctx.db, teams: channels.teams, slack: channels.slack }),
    clinicName: ctx.config.clinicName,
    now: ctx.now,
    logger,
    concurrency: ctx.config.workerConcurrency,
    reconcileEveryMs: ctx.config.reminderReconcileMs,
    confirmationGraceMs: ctx.config.confirmationGraceMs,
    awaitReply: (phone, appointmentId, startsAt) => awaitReminderReply(store, phone, appointmentId, startsAt, ctx.now()),
  });
}

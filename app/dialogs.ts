import { createRedisConversationStore } from '../dialogs/conversation-store';
import { createDialogEngine, type DialogEngine } from '../dialogs/engine';
import type { DialogDeps } from '../dialogs/flow';
import type { AppContext } from './context';
import { createRegistrationThrottle } from '../src/limits/registration-throttle';
import type { Logger } from '../src/logging';

/** The dialog engine over an app context's services and Redis; every channel shares it. */
export function createDialogs(ctx: AppContext, logger: Logger, extra: Partial<DialogDeps> = {}): DialogEngine {
  return createDialogEngine({
    services: ctx.services,
    store: createRedisConversationStore(ctx.redis, ctx.config.redisPrefix),
    registrations: createRegistrationThrottle(ctx.redis, ctx.config.redisPrefix, ctx.services.settings),
    now: ctx.now,
    clinicName: ctx.config.clinicName,
    clinicPhone: ctx.config.clinicPhone,
    publicBaseUrl: ctx.config.publicBaseUrl,
    clinicTimezone: ctx.config.clinicTimezone,
    logger,
    ...extra,
  });
}

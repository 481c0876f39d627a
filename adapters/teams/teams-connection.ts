import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  type Activity,
  type TurnContext,
} from 'botbuilder';
import type { AuthenticateRequestResult } from 'botframework-connector';

/** CloudAdapter, with its already-authenticated entry point opened up. */
export class AuthenticatedCloudAdapter extends CloudAdapter {
  processAuthenticated(result: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(result, activity, logic);
  }
}

export interface TeamsCredentials {
  appId: string;
  appPassword: string;
  tenantId: string | null;
  appType: string;
  allowedTenants: readonly string[];
}

/**
 * The Bot Framework side of Teams: the authentication (tokens in, and out for proactive messages)
 * and the adapter. The receiver and the sender share one; the worker builds it only to send.
 */
export interface TeamsConnection {
  credentials: TeamsCredentials | null;
  auth: ConfigurationBotFrameworkAuthentication;
  adapter: AuthenticatedCloudAdapter;
  appId: string;
}

export function createTeamsConnection(credentials: TeamsCredentials | null): TeamsConnection {
  const c = credentials;
  const factory = new ConfigurationServiceClientCredentialFactory(
    c ? { MicrosoftAppId: c.appId, MicrosoftAppPassword: c.appPassword, MicrosoftAppType: c.appType, MicrosoftAppTenantId: c.tenantId ?? undefined } : {},
  );
  const auth = new ConfigurationBotFrameworkAuthentication(c ? { MicrosoftAppId: c.appId, MicrosoftAppTenantId: c.tenantId ?? undefined } : {}, factory);
  return { credentials: c, auth, adapter: new AuthenticatedCloudAdapter(auth), appId: c?.appId ?? '' };
}

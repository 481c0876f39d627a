import { createHash, timingSafeEqual } from 'node:crypto';
import restify, { type Request, type Response, type Server } from 'restify';
import { DomainError, ServiceUnavailableError, ValidationError } from '../../src/domain/errors';
import { isIsoDate } from '../../src/domain/time';
import type { Logger } from '../../src/logging';
import type { ReportsService } from '../../src/services/reports';
import { sourceOf } from '../shared/source';

/**
 * GET /api/reports?from=YYYY-MM-DD&to=YYYY-MM-DD: the admin reports as JSON for a BI tool.
 * Read-only, behind a bearer token (REPORTS_API_TOKEN); without a configured token it answers 404,
 * as if it were not there.
 */
export function mountReportsApi(server: Server, deps: { reports: ReportsService; token: string | null; logger: Logger }): void {
  const expected = deps.token ? createHash('sha256').update(deps.token).digest() : null;

  function authorized(req: Request): boolean {
    const header = req.header('authorization') ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    if (!m || !expected) return false;
    // Compare digests: equal length, constant time, whatever the caller sent.
    return timingSafeEqual(createHash('sha256').update(m[1]).digest(), expected);
  }

  server.get('/api/reports', restify.plugins.queryParser({ mapParams: false }), async (req: Request, res: Response) => {
    if (!expected) {
      res.send(404, { code: 'NotFound', message: 'The reports API is not enabled.' });
      return;
    }
    if (!authorized(req)) {
      deps.logger.warn({ channel: 'reports-api', ...sourceOf(req), reason: req.header('authorization') ? 'wrong token' : 'no token' }, 'reports api refused');
      res.header('WWW-Authenticate', 'Bearer');
      res.send(401, { code: 'Unauthorized', message: 'A valid bearer token is required.' });
      return;
    }
    const { from, to } = (req.query ?? {}) as Record<string, unknown>;
    if (typeof from !== 'string' || typeof to !== 'string' || !isIsoDate(from) || !isIsoDate(to)) {
      res.send(400, { code: 'BadRequest', message: 'from and to are required, as dates like 2026-11-01.' });
      return;
    }
    try {
      res.send(200, await deps.reports.reportForApi(from, to));
    } catch (err) {
      if (err instanceof ValidationError) res.send(400, { code: 'BadRequest', message: err.message });
      else if (err instanceof ServiceUnavailableError) res.send(503, { code: 'Unavailable', message: err.message });
      else if (err instanceof DomainError) res.send(400, { code: err.code, message: err.message });
      else {
        deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'reports api failed');
        res.send(500, { code: 'Internal', message: 'Something went wrong on our side.' });
      }
    }
  });
}

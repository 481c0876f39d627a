import { createHash } from 'node:crypto';
import ical, { ICalEventStatus } from 'ical-generator';
import type { Request, Response, Server } from 'restify';
import type { Feed, CalendarFeedsService } from '../../src/services/calendar-feeds';
import type { Logger } from '../../src/logging';

/**
 * GET /calendar/:token.ics: a doctor's appointments as an iCalendar feed for Google, Outlook or Apple
 * Calendar to subscribe to. The address's secret is the only key, so an unknown or revoked one is a
 * plain 404 (never "revoked": that would confirm the address existed). Calendars poll every few
 * minutes to hours; an ETag lets them skip an unchanged feed with a 304.
 */
export function renderFeed(feed: Feed, clinicName: string): string {
  // Times in UTC ('Z'): every calendar app places them right, with no time-zone table to ship. A
  // calendar-wide zone without its VTIMEZONE would make them floating local times, wrong elsewhere.
  const calendar = ical({ name: `${clinicName}: Dr ${feed.doctorName}`, prodId: { company: 'Clinic Concierge', product: 'schedule', language: 'EN' } });
  for (const e of feed.events) {
    calendar.createEvent({
      id: `${e.id}@clinic-concierge`,
      // Not the time of the request (the library's default): the ETag must hold while nothing changes.
      stamp: e.updatedAt,
      start: e.startsAt,
      end: e.endsAt,
      summary: e.summary,
      location: e.location ?? undefined,
      status: ICalEventStatus.CONFIRMED,
    });
  }
  return calendar.toString();
}

export function mountCalendarFeed(server: Server, deps: { feeds: CalendarFeedsService; clinicName: string; logger: Logger }): void {
  server.get('/calendar/:file', async (req: Request, res: Response) => {
    const token = String(req.params.file ?? '').replace(/\.ics$/, '');
    try {
      const feed = await deps.feeds.read(token);
      if (!feed) {
        res.send(404, { code: 'NotFound', message: 'No such calendar.' });
        return;
      }
      const body = renderFeed(feed, deps.clinicName);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      res.header('ETag', etag);
      res.header('Cache-Control', 'private, max-age=300');
      if (req.header('if-none-match') === etag) {
        res.status(304);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/calendar; charset=utf-8' });
      res.end(body);
    } catch (err) {
      deps.logger.warn({ err: { name: (err as Error).name } }, 'calendar feed failed');
      res.send(503, { code: 'Unavailable', message: 'The calendar is not available right now; your calendar app will try again.' });
    }
  });
}

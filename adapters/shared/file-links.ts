import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Request, Response, Server } from 'restify';
import type { ReplyFile } from '../../dialogs/types';

/**
 * Short-lived links to files a channel cannot carry inline (a CSV report in Teams): kept in Redis
 * for an hour under an unguessable token. Reports hold no patient data, only clinic figures.
 */
export interface FileLinks {
  put(file: ReplyFile): Promise<string>;
}

const TTL_SECONDS = 3600;

const keyOf = (prefix: string, token: string) => `${prefix}:file:${token}`;

/** Storing a file and making its link (a sender's side: no route needed). */
export function createFileLinks(redis: Redis, prefix: string, publicBaseUrl: string): FileLinks {
  return {
    async put(file) {
      const token = randomBytes(24).toString('base64url');
      await redis.set(keyOf(prefix, token), JSON.stringify({ name: file.name, contentType: file.contentType, data: file.data.toString('base64') }), 'EX', TTL_SECONDS);
      return `${publicBaseUrl}/files/${token}/${encodeURIComponent(file.name)}`;
    },
  };
}

/** GET /files/:token/:name: the file behind a link, while it lives. */
export function mountFileLinks(server: Server, redis: Redis, prefix: string): void {
  const key = (token: string) => keyOf(prefix, token);
  server.get('/files/:token/:name', async (req: Request, res: Response) => {
    const token = String(req.params.token ?? '');
    if (!/^[A-Za-z0-9_-]{32,64}$/.test(token)) {
      res.send(404, { code: 'NotFound', message: 'No such file.' });
      return;
    }
    const raw = await redis.getBuffer(key(token)).catch(() => null);
    if (!raw) {
      res.send(404, { code: 'NotFound', message: 'This link has expired.' });
      return;
    }
    const { name, contentType, data } = JSON.parse(raw.toString()) as { name: string; contentType: string; data: string };
    res.writeHead(200, {
      'Content-Type': contentType,
      'Content-Disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'Cache-Control': 'private, no-store',
    });
    res.end(Buffer.from(data, 'base64'));
  });
}

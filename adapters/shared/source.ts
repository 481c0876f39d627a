import type { Request } from 'restify';

/**
 * Where a request came from, for the log of refused calls: the peer address, and the first hop the
 * proxy names (untrusted, but useful). Never anything the caller wrote in the body.
 */
export function sourceOf(req: Request): { source: string | undefined; forwardedFor?: string } {
  const forwarded = req.header('x-forwarded-for');
  return { source: req.socket?.remoteAddress, ...(forwarded ? { forwardedFor: forwarded.split(',')[0].trim().slice(0, 64) } : {}) };
}

import { renderPlain, smsSegments } from '../../dialogs/support/format';
import type { Reply } from '../../dialogs/types';

const MAX_SEGMENTS = 3;

/**
 * Replies as SMS bodies: one message per reply, and a reply longer than three segments split at
 * line breaks (never inside a numbered choice), or at spaces when a single line is too long.
 */
export function smsBodies(replies: Reply[]): string[] {
  return replies.flatMap((r) => split(renderPlain(r)));
}

function split(text: string): string[] {
  if (smsSegments(text) <= MAX_SEGMENTS) return [text];
  const out: string[] = [];
  let current = '';
  const push = (piece: string, sep: string) => {
    const candidate = current ? `${current}${sep}${piece}` : piece;
    if (smsSegments(candidate) <= MAX_SEGMENTS) current = candidate;
    else {
      if (current) out.push(current);
      current = piece;
    }
  };
  for (const line of text.split('\n')) {
    if (smsSegments(line) <= MAX_SEGMENTS) push(line, '\n');
    else for (const word of line.split(' ')) push(word, ' ');
  }
  if (current) out.push(current);
  return out;
}

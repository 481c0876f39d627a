import { renderPlain, smsSegments } from '../../dialogs/support/format';
import type { Reply } from '../../dialogs/types';

const MAX_SEGMENTS = 3;

/**
 * A turn's replies as SMS bodies: one message per turn (a list and its question together), split
 * only past three segments, at line breaks (never inside a numbered choice), or at spaces when a
 * single line is too long. Letters outside the GSM-7 alphabet that have a plain form in it ('Zoë',
 * 'Núñez') are written plainly, so one accent does not halve the room of a whole message (UCS-2
 * segments hold 70 characters, not 160); text that needs more than that (emoji, other scripts) is
 * left as it is.
 */
export function smsBodies(replies: Reply[], opts: { locale?: string } = {}): string[] {
  if (replies.length === 0) return [];
  const text = replies.map(renderPlain).join('\n');
  // Folding is for English, where an accent is only ever in a name. Other languages keep their
  // letters: 'dígame' is not 'digame', and their catalogs are written to fit a segment as they are.
  return split(!opts.locale || opts.locale === 'en' ? toGsm(text) : text);
}

const GSM_PLAIN = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;

/** The plain GSM-7 form of a text, when every letter has one; the text itself otherwise. */
export function toGsm(text: string): string {
  if (GSM_PLAIN.test(text)) return text;
  const kept = new Set('ÄÖÑÜäöñüàèéùìòÇÉ');
  const folded = [...text].map((c) => (kept.has(c) ? c : c.normalize('NFD').replace(/\p{M}+/gu, ''))).join('').replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/[–—]/g, '-').replace(/…/g, '...');
  return GSM_PLAIN.test(folded) ? folded : text;
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

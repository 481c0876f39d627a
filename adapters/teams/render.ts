import { ActivityTypes, CardFactory, type Attachment } from 'botbuilder';
import type { Activity } from 'botbuilder';
import { renderPlain } from '../../dialogs/support/format';
import { encodeButton, type Reply } from '../../dialogs/types';
import type { FileLinks } from '../shared/file-links';

/** Plain text for a card: no Markdown (TextRun), and no {{DATE()}} templating either. */
function run(text: string, bold = false): Record<string, unknown> {
  return { type: 'TextRun', text: text.replace(/\{\{/g, '{\u200B{'), ...(bold ? { weight: 'Bolder' } : {}) };
}

function richText(inlines: unknown[]): Record<string, unknown> {
  return { type: 'RichTextBlock', inlines };
}

/**
 * A reply as Teams activities: plain text when there is nothing to press; an Adaptive Card with
 * Action.Submit buttons when there are choices (the data carries the conversation turn, so a
 * stale press is recognised); a PNG inline; a CSV as a short-lived download link.
 */
export async function teamsActivities(reply: Reply, seq: number, files: FileLinks | null): Promise<Array<Partial<Activity>>> {
  const activities: Array<Partial<Activity>> = [];
  const hasChoices = (reply.choices ?? []).length > 0;
  if (!hasChoices && !reply.card) {
    activities.push({ type: ActivityTypes.Message, text: reply.text, textFormat: 'plain' });
  } else {
    // Patient-controlled text (a name, a reason) goes only in TextRuns, which Adaptive Cards never
    // read as Markdown: a name like [Open chart](https://…) stays text, never a link.
    const body: unknown[] = [richText([run(reply.text)])];
    if (reply.card) {
      body.push(richText([run(reply.card.title, true)]));
      for (const line of reply.card.lines) {
        const [title, ...value] = line.split(': ');
        body.push(richText(value.length ? [run(`${title}: `, true), run(value.join(': '))] : [run(line)]));
      }
    }
    const card = CardFactory.adaptiveCard({
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.4',
      body,
      actions: (reply.choices ?? []).slice(0, 12).map((c) => ({ type: 'Action.Submit', title: c.label.slice(0, 80), data: { cc: encodeButton(seq, c.value) } })),
    });
    // The text is what notifications and screen readers show; the card carries the buttons.
    activities.push({ type: ActivityTypes.Message, text: renderPlain({ text: reply.text, choices: reply.choices }), attachments: [card], textFormat: 'plain' });
  }
  const attachments: Attachment[] = [];
  for (const file of reply.files ?? []) {
    if (file.contentType === 'image/png') {
      attachments.push({ contentType: 'image/png', contentUrl: `data:image/png;base64,${file.data.toString('base64')}`, name: file.name });
    } else if (files) {
      const url = await files.put(file);
      attachments.push(CardFactory.heroCard(file.name, 'Download link, valid for an hour.', undefined, [{ type: 'openUrl', title: `Download ${file.name}`, value: url }]));
    }
  }
  if (attachments.length) activities.push({ type: ActivityTypes.Message, attachments });
  return activities;
}

import type { Steps } from '../step';

/**
 * Admins type the same grammar as the /clinic slash-command ('doctors list', 'settings show',
 * 'help'); the command module does the work, this step only hands the text over.
 */
export const adminSteps: Steps = {
  'admin.menu': {
    async ask() {
      return [{ text: "Type a clinic command, for example 'doctors list', 'settings show' or 'help'." }];
    },
    async answer(t, input) {
      if (!t.deps.adminCommands) return { done: [{ text: 'Admin commands are not available on this channel.' }] };
      const text = input.replace(/^\/?clinic\s*/i, '');
      return { done: await t.deps.adminCommands(t.actor!, text || 'help') };
    },
  },
};

import type { ModelResult } from '@microsoft/recognizers-text';
import { ChoiceRecognizer } from '@microsoft/recognizers-text-choice';
import { NumberRecognizer } from '@microsoft/recognizers-text-number';

/**
 * Recognizers-Text's yes/no, number and ordinal models, built once per culture. The library's
 * recognizeNumber() and friends build a whole recognizer (every culture's models registered) on
 * each call; its README advises keeping an instance. These answer the same, for a fraction of the
 * work, on every message that might be a yes, a no or a choice.
 */
interface Model {
  parse(query: string): ModelResult[];
}

const built = new Map<string, Model>();
function model(kind: 'boolean' | 'number' | 'ordinal', culture: string): Model {
  const key = `${kind}|${culture}`;
  let m = built.get(key);
  if (m === undefined) {
    m =
      kind === 'boolean'
        ? new ChoiceRecognizer(culture).getBooleanModel(culture, true)
        : kind === 'number'
          ? new NumberRecognizer(culture).getNumberModel(culture, true)
          : new NumberRecognizer(culture).getOrdinalModel(culture, true);
    built.set(key, m);
  }
  return m as Model;
}

export const recognizeBoolean = (query: string, culture: string): ModelResult[] => model('boolean', culture).parse(query);
export const recognizeNumber = (query: string, culture: string): ModelResult[] => model('number', culture).parse(query);
export const recognizeOrdinal = (query: string, culture: string): ModelResult[] => model('ordinal', culture).parse(query);

import { describe, expect, it } from 'vitest';
import { extractFacts, factsMatch } from '../../data-plane/cache/semantic/guard.js';

const verdict = (a: string, b: string) => factsMatch(extractFacts(a), extractFacts(b));

describe('entity / number / negation guard', () => {
  it.each([
    ['What is the weather in Paris today?', 'What is the weather in London today?', 'entity'],
    ['Paris: weather tomorrow?', 'London: weather tomorrow?', 'entity'],
    ['Compare GPT-4o and Claude', 'Compare GPT-4o and Gemini', 'entity'],
    ['Summarize "The Road" please', 'Summarize "The Stand" please', 'entity'],
    ['Can I take 2 tablets of ibuprofen?', 'Can I take 20 tablets of ibuprofen?', 'number'],
    ['Is a 2.5% raise good?', 'Is a 25% raise good?', 'number'],
    ['Can I take two tablets?', 'Can I take three tablets?', 'number'],
    ['Give me 5 tips', 'Give me five ideas', 'number'],
    ['Convert 5 km to miles', 'Convert 5 kg to pounds', 'number'],
    ['Schedule it on 2024-01-05', 'Schedule it on 2024-01-06', 'date'],
    ['What is the weather today?', 'What is the weather tomorrow?', 'date'],
    ['What happens next week?', 'What happens next month?', 'date'],
    ['Is ibuprofen safe during pregnancy?', 'Is ibuprofen not safe during pregnancy?', 'negation'],
    ['Is it safe to drive?', "Isn't it safe to drive?", 'negation'],
    ['Recipes with sugar', 'Recipes without sugar', 'negation'],
  ])('"%s" vs "%s" → refused (%s)', (a, b, reason) => {
    expect(verdict(a, b)).toEqual({ ok: false, reason });
  });

  it.each([
    ['How do I reset my password?', 'How can I reset my password?'],
    ['What is the capital of France?', 'What is the capital city of France?'],
    ['Can I take 2 tablets of ibuprofen?', 'Can I take two tablets of ibuprofen?'],
    ['Give me 1,000 reasons', 'Give me 1000 reasons'],
    ['take twenty-five mg', 'take 25 mg'],
    ["Why isn't my build working?", 'Why is my build not working?'],
  ])('"%s" vs "%s" → allowed', (a, b) => {
    expect(verdict(a, b)).toEqual({ ok: true });
  });

  it('extracts the facts it compares', () => {
    expect(extractFacts('Can New York residents take 2 tablets on 2024-01-05 without water?')).toEqual({
      entities: ['new york'],
      quantities: ['2 tablets'],
      dates: ['2024-01-05'],
      units: [],
      negations: 1,
    });
  });
});

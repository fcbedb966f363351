import { defineRule, type Finding } from '../types.js';

/** Every key names who to call when it leaks or overspends. */
export const keyRequiredMetadata = defineRule<{ fields: string[] }>({
  id: 'key-required-metadata',
  description: 'Every key must carry the listed metadata fields (default ["owner"]).',
  defaultSeverity: 'warning',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      fields: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        minItems: 1,
        description: 'Required metadata field names.',
      },
    },
  },
  defaults: { fields: ['owner'] },
  check({ index }, { fields }) {
    const out: Finding[] = [];
    for (const key of index.config.keys) {
      const missing = fields.filter((f) => !key.doc.metadata?.[f]);
      if (missing.length > 0) {
        out.push({
          target: key,
          path: key.doc.metadata ? ['metadata'] : ['name'],
          message: `key "${key.doc.name}" lacks metadata ${missing.map((m) => `"${m}"`).join(', ')}`,
        });
      }
    }
    return out;
  },
});

import { badInput } from '../errors.js';

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Compose's rule: lowercase letters, digits, `_` and `-`, starting with a letter or digit. A name the user
 * wrote must already follow it; a directory name is normalized (lowercased, other characters dropped).
 */
export function normalizeProjectName(raw: string, from: string, lenient = false): string {
  if (VALID.test(raw)) return raw;
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z0-9]+/, '');
  if (!lenient || cleaned === '') {
    throw badInput(`${from}: ${JSON.stringify(raw)} is not a valid project name`, {
      hint: `use lowercase letters, digits, \`_\` and \`-\`, starting with a letter or digit${cleaned ? ` (e.g. ${cleaned})` : ''}`,
    });
  }
  return cleaned;
}

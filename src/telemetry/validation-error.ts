import type { ZodIssue } from 'zod';

/** A message or file that does not match its schema; `issues` name each field, its value and what was expected. */
export class ValidationError extends Error {
  constructor(
    readonly subject: string,
    readonly issues: string[],
  ) {
    super(`${subject}: ${issues.join('; ')}`);
    this.name = 'ValidationError';
  }
}

/** `vcpus[3].pleExits` from zod's path array. */
export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(root)';
}

function valueAt(input: unknown, path: (string | number)[]): unknown {
  let cur: unknown = input;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[part];
  }
  return cur;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // A huge array is not printed (nor stringified) to say it is too long.
  if (Array.isArray(value) && value.length > 16) return `${value.length} items`;
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** One line per issue: `field: got VALUE, expected WHAT`. */
export function describeIssue(issue: ZodIssue, input: unknown): string {
  const field = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${field}: ` : '';
    return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (not allowed)`;
  }
  const got = show(valueAt(input, issue.path));
  let expected = issue.message;
  if (issue.code === 'invalid_type') expected = issue.expected;
  else if (issue.code === 'invalid_literal') expected = JSON.stringify(issue.expected);
  else if (issue.code === 'invalid_enum_value')
    expected = `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
  else if (issue.code === 'too_small')
    expected =
      issue.type === 'array'
        ? `at least ${issue.minimum} items`
        : issue.type === 'string'
          ? `at least ${issue.minimum} characters`
          : `${issue.inclusive ? '≥' : '>'} ${issue.minimum}`;
  else if (issue.code === 'too_big')
    expected =
      issue.type === 'array'
        ? `at most ${issue.maximum} items`
        : `${issue.inclusive ? '≤' : '<'} ${issue.maximum}`;
  return `${field}: got ${got}, expected ${expected}`;
}

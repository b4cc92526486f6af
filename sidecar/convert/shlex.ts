// The two shlex dialects supervisord uses: shlex.split (POSIX) for `command=`, and a non-POSIX
// shlex tokenizer for `environment=KEY=val,KEY2="v, 2"`.

export class ShlexError extends Error {}

const POSIX_WHITESPACE = ' \t\r\n';

/** Python's shlex.split(text): POSIX shell-like words, quotes and backslashes, no expansion. */
export function shellSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (POSIX_WHITESPACE.includes(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new ShlexError('no escaped character after a trailing backslash');
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new ShlexError('no closing quotation');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new ShlexError('no closing quotation');
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          word += text[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const WORD_CHARS = /[A-Za-z0-9_/.+\-():]/;

/** Tokens of Python's shlex.shlex(text) in non-POSIX mode, with supervisord's extra word characters. */
export function nonPosixTokens(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (POSIX_WHITESPACE.includes(c)) {
      i++;
    } else if (c === '#') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (WORD_CHARS.test(c)) {
      let end = i + 1;
      while (end < text.length && WORD_CHARS.test(text[end]!)) end++;
      tokens.push(text.slice(i, end));
      i = end;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end === -1) throw new ShlexError('no closing quotation');
      tokens.push(text.slice(i, end + 1));
      i = end + 1;
    } else {
      tokens.push(c);
      i++;
    }
  }
  return tokens;
}

function stripQuotes(token: string): string {
  return token.replace(/^['"]+/, '').replace(/['"]+$/, '');
}

/**
 * supervisord's dict_of_key_value_pairs: `KEY=val,KEY2="quoted, value"` → entries in order (a
 * repeated key keeps its last value). Quotes protect commas and spaces; they are stripped.
 * `skipped` lists tokens that stood where a "," belongs: supervisord skips them silently, so
 * `A=two words` means A=two.
 */
export function keyValuePairs(text: string): [string, string][] & { skipped: string[] } {
  const tokens = nonPosixTokens(text);
  const pairs = new Map<string, string>();
  const skipped: string[] = [];
  for (let i = 0; i < tokens.length; i += 4) {
    const [key, equals, value] = tokens.slice(i, i + 3);
    if (key === undefined || equals !== '=' || value === undefined) {
      throw new ShlexError(`unexpected end of KEY=value pairs near ${JSON.stringify(tokens.slice(i).join(' '))} (quote values holding spaces or other punctuation)`);
    }
    const separator = tokens[i + 3];
    if (separator !== undefined && separator !== ',') skipped.push(separator);
    pairs.set(stripQuotes(key), stripQuotes(value));
  }
  return Object.defineProperty([...pairs], 'skipped', { value: skipped, enumerable: false }) as [string, string][] & { skipped: string[] };
}

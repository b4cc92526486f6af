// The INI dialect supervisord reads: Python 3's RawConfigParser with inline comments (";" or "#"
// after whitespace), strict=False (a repeated section merges, a repeated option wins), option
// names lower-cased, "=" or ":" as delimiter, indented lines continuing a value.

export interface IniOption {
  /** Lower-cased option name. */
  key: string;
  value: string;
  file: string;
  line: number;
}

export interface IniSection {
  name: string;
  file: string;
  line: number;
  options: Map<string, IniOption>;
}

export class IniError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

const SECTION = /^\[(.+)\]/;
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/;

/** Index of the first ";" or "#" at the start of the line or after whitespace, or -1. */
function inlineCommentStart(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if ((c === ';' || c === '#') && (i === 0 || /\s/.test(line[i - 1]!))) return i;
  }
  return -1;
}

/**
 * Parses one INI text into `into` (so that included files merge as supervisord merges them).
 * Returns the sections in the order first seen.
 */
export function parseIni(text: string, file: string, into: Map<string, IniSection> = new Map()): Map<string, IniSection> {
  let section: IniSection | undefined;
  let option: { entry: IniOption; parts: string[]; indent: number } | undefined;
  const finish = () => {
    if (option) option.entry.value = option.parts.join('\n').trimEnd();
    option = undefined;
  };
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const stripped = line.trim();
    if (stripped.startsWith('#') || stripped.startsWith(';')) return;
    const commentAt = inlineCommentStart(line);
    const value = (commentAt === -1 ? line : line.slice(0, commentAt)).trim();
    if (value === '') {
      // A blank line inside a multi-line value is kept (trailing ones are trimmed at the end).
      if (commentAt === -1 && option) option.parts.push('');
      return;
    }
    const indent = line.length - line.trimStart().length;
    if (option && section && indent > option.indent) {
      option.parts.push(value);
      return;
    }
    finish();
    const header = SECTION.exec(value);
    if (header) {
      const name = header[1]!;
      section = into.get(name);
      if (!section) {
        section = { name, file, line: lineNumber, options: new Map() };
        into.set(name, section);
      }
      return;
    }
    if (!section) throw new IniError(file, lineNumber, `a line outside any [section]: ${JSON.stringify(line)}`);
    const match = OPTION.exec(value);
    if (!match) throw new IniError(file, lineNumber, `expected "name = value" in [${section.name}], got ${JSON.stringify(line.trim())}`);
    const key = match[1]!.trimEnd().toLowerCase();
    if (key === '') throw new IniError(file, lineNumber, `an option without a name in [${section.name}]`);
    const entry: IniOption = { key, value: '', file, line: lineNumber };
    section.options.set(key, entry);
    option = { entry, parts: [match[3]!], indent };
  });
  finish();
  return into;
}

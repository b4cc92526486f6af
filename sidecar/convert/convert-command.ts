// corepod convert: print a supervisord.conf as CorePod YAML; warnings name each option that has
// no equivalent.
import fs from 'node:fs';
import path from 'node:path';
import { Document, isPair, visit } from 'yaml';
import { EXIT, UsageError, command, parse } from '../cli/args.js';
import { ConvertError, convertSupervisord, type ConfigSource, type ConvertResult } from './supervisord-to-corepod.js';

export const usage = `Usage: corepod convert [-o FILE] [--name NAME] [--image IMAGE] [--here DIR] [--env NAME=VALUE]... SUPERVISORD.CONF

Prints the CorePod equivalent of a supervisord configuration (its [include] files too) as YAML.
Each option without a CorePod equivalent is named in a warning on stderr. %(ENV_X)s in command,
environment, directory and log files becomes $(X), expanded from the container's environment when
the program starts; where a value must be known now (numbers, booleans, user, [include] files)
give it with --env. This command's own environment is never read. Exits 2 when the file cannot be
read or converted.
  -o, --output FILE   write the YAML to FILE instead of stdout
  --name NAME         metadata.name (default: from the file name)
  --image IMAGE       spec.image (default: a placeholder, with a warning)
  --here DIR          the directory of SUPERVISORD.CONF inside the image, for %(here)s and
                      [include] paths (default: its directory here, with a warning)
  --env NAME=VALUE    the value of %(ENV_NAME)s where it must be known when converting (repeatable)`;

/** The --env NAME=VALUE flags as a map; a malformed one is a usage error. */
export function parseEnvFlags(flags: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) throw new UsageError(`--env ${flag}: expected NAME=VALUE`);
    env[flag.slice(0, at)] = flag.slice(at + 1);
  }
  return env;
}

const GLOB_CHARS = /[*?[]/;

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) source += '\\[';
      else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Python glob.glob for absolute patterns: wildcards in any segment, hidden files only when asked. */
export function glob(pattern: string): string[] {
  const segments = pattern.split('/').filter(Boolean);
  let matches = ['/'];
  for (const segment of segments) {
    const next: string[] = [];
    for (const dir of matches) {
      if (!GLOB_CHARS.test(segment)) {
        const candidate = path.join(dir, segment);
        if (fs.existsSync(candidate)) next.push(candidate);
        continue;
      }
      let entries: string[];
      try {
        entries = fs.readdirSync(dir);
      } catch {
        continue;
      }
      const regexp = globToRegExp(segment);
      for (const entry of entries) if (regexp.test(entry) && (segment.startsWith('.') || !entry.startsWith('.'))) next.push(path.join(dir, entry));
    }
    matches = next;
  }
  return matches.sort();
}

export const fileSource: ConfigSource = {
  read: (file) => fs.readFileSync(file === '-' ? 0 : file, 'utf8'),
  glob,
};

/** The YAML text: a header, then the document with argv-like lists in flow style. */
export function toYaml(result: ConvertResult, from: string): string {
  const document = new Document(result.document);
  document.commentBefore = ` Converted from ${from} by \`corepod convert\`.`;
  visit(document, {
    Seq(_key, node, ancestors) {
      const parent = ancestors[ancestors.length - 1];
      if (isPair(parent) && ['command', 'exitCodes'].includes(String(parent.key))) node.flow = true;
    },
  });
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}

export async function main(argv: string[]): Promise<number> {
  return command(usage, async () => {
    const { values, positionals } = parse(argv, {
      output: { type: 'string', short: 'o' },
      name: { type: 'string' },
      image: { type: 'string' },
      here: { type: 'string' },
      env: { type: 'string', multiple: true },
    });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one SUPERVISORD.CONF');
    const file = positionals[0]!;
    const env = parseEnvFlags(values.env ?? []);
    if (values.here !== undefined && !path.isAbsolute(values.here)) throw new UsageError(`--here ${values.here}: expected an absolute directory (where the file is in the image)`);
    let result: ConvertResult;
    try {
      result = convertSupervisord(file, fileSource, {
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.image !== undefined ? { image: values.image } : {}),
        ...(values.here !== undefined ? { here: values.here } : {}),
        env,
      });
    } catch (error) {
      if (error instanceof ConvertError) {
        process.stderr.write(`corepod convert: ${error.message}\n`);
        return EXIT.usage;
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== undefined) {
        process.stderr.write(`corepod convert: cannot read ${(error as NodeJS.ErrnoException).path ?? file}: ${(error as Error).message}\n`);
        return EXIT.usage;
      }
      throw error;
    }
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    const yaml = toYaml(result, file === '-' ? 'stdin' : path.basename(file));
    if (values.output === undefined) {
      process.stdout.write(yaml);
      return EXIT.ok;
    }
    try {
      fs.writeFileSync(values.output, yaml);
    } catch (error) {
      process.stderr.write(`corepod convert: cannot write ${values.output}: ${(error as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`corepod convert: wrote ${values.output} (${result.document.spec.programs.length} programs, ${result.warnings.length} warnings)\n`);
    return EXIT.ok;
  });
}

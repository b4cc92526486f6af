// The V8 flags the operator's node runs with. The image's ENTRYPOINT (operator/image/operator.recipe)
// is where they ship; the benchmarks and the cluster suites read them from there, so what they
// measure and test is what users run.
import fs from 'node:fs';

const RECIPE = new URL('../../operator/image/operator.recipe', import.meta.url);

/** The node flags of an ENTRYPOINT ["node", ...flags, "script.js", ...args]: the arguments before the script. */
export function nodeFlagsOf(recipe: string): string[] {
  const line = recipe.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (!line) throw new Error('operator.recipe: no ENTRYPOINT');
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
  const script = argv.findIndex((a, i) => i > 0 && !a.startsWith('-'));
  if (script < 1) throw new Error(`operator.recipe: no script in ENTRYPOINT ${line}`);
  return argv.slice(1, script);
}

export function operatorNodeFlags(): string[] {
  return nodeFlagsOf(fs.readFileSync(RECIPE, 'utf8'));
}

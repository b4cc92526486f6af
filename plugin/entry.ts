// The process of bin/kubectl-corepod: runs the command, then exits once stdout and stderr drained.
import { dispatch } from './main.js';

function exit(code: number): void {
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

// A reader that went away (| head) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});

dispatch(process.argv.slice(2)).then(exit, (error: unknown) => {
  process.stderr.write(`kubectl corepod: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exit(1);
});

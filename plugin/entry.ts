// The process of bin/kubectl-corepod: runs the command, then exits once stdout and stderr drained.
import { runCommandLine } from '../lib/command-line.js';
import { dispatch } from './main.js';

// A reader that went away (| head) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});

runCommandLine('kubectl corepod', () => dispatch(process.argv.slice(2)));

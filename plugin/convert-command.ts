// kubectl corepod convert SUPERVISORD.CONF: the `corepod convert` command (sidecar/convert/), no cluster.
export { main, usage } from '../sidecar/convert/convert-command.js';

// The names of the CorePod API, without the schema: what kube/, contract/ and the long-lived
// sidecar-init need, none of which may load zod (~13 MB resident in the supervisor).
export const GROUP = 'dreamscape.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'CorePod';
export const PLURAL = 'corepods';
export const SINGULAR = 'corepod';
export const SHORT_NAMES = ['cpod'];

/** The supervisor's states of a program (supervisorctl's names), as status.processes[].state reports them. */
export const PROCESS_STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL'] as const;
export type ProcessStateName = (typeof PROCESS_STATES)[number];

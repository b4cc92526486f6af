// Instances (supervisord's numprocs): one program spec run as N supervised processes.

/** The variable holding an instance's number (0, 1, …) in its environment. */
export const INSTANCE_ENV = 'COREPOD_INSTANCE';

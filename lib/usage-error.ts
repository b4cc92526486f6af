/** A command line that cannot be acted on: the CLIs print its message and exit 2. */
export class UsageError extends Error {}

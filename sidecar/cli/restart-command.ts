// corepod restart NAME...|all
import { programAction, usageFor } from './program-action.js';

export const usage = usageFor('restart');
export const main = programAction('restart');

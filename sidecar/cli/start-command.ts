// corepod start NAME...|all
import { programAction, usageFor } from './program-action.js';

export const usage = usageFor('start');
export const main = programAction('start');

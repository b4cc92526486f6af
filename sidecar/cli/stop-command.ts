// corepod stop NAME...|all
import { programAction, usageFor } from './program-action.js';

export const usage = usageFor('stop');
export const main = programAction('stop');

// metav1.Condition handling per the API conventions: CamelCase reasons, lastTransitionTime that
// moves only when the status flips, one entry per type.
import type { Condition } from '../../crds/corepod-schema.js';
import { metaTime } from '../../kube/kube-api.js';

export const CONDITION = { ready: 'Ready', progressing: 'Progressing', degraded: 'Degraded', specWarning: 'SpecWarning' } as const;
export type ConditionType = (typeof CONDITION)[keyof typeof CONDITION];

export const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const MAX_MESSAGE = 32_768;

export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Sets (or adds) one condition; a reason that breaks the pattern would reject the whole status write. */
export function setCondition(conditions: readonly Condition[], next: ConditionInput, observedGeneration: number, now: string): Condition[] {
  if (!REASON_PATTERN.test(next.reason) || next.reason.length > 1024) throw new Error(`invalid condition reason "${next.reason}"`);
  const previous = conditions.find((c) => c.type === next.type);
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message.length > MAX_MESSAGE ? `${next.message.slice(0, MAX_MESSAGE - 1)}…` : next.message,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : now,
    observedGeneration,
  };
  const rest = conditions.filter((c) => c.type !== next.type);
  return [...rest, condition].sort((a, b) => order(a.type) - order(b.type));
}

function order(type: string): number {
  const index = [CONDITION.ready, CONDITION.progressing, CONDITION.degraded, CONDITION.specWarning].indexOf(type as ConditionType);
  return index < 0 ? 99 : index;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Time in the format of metav1.Time (RFC 3339, seconds). */
export function conditionTime(date: Date): string {
  return metaTime(date.getTime());
}

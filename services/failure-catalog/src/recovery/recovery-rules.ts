import { BadUserInputError } from '@assay/kit';
import { RecoveryStatus } from '../failures/failure-match.entity.ts';

const { UNRECOVERED, RECOVERED, IGNORED, REGRESSED } = RecoveryStatus;

/**
 * Where a recovery status may go by hand. REGRESSED only ever comes from a new occurrence; a
 * RECOVERED failure can only be reopened (to ignore it, reopen it first: the history says why).
 */
const NEXT: Record<RecoveryStatus, readonly RecoveryStatus[]> = {
  [UNRECOVERED]: [RECOVERED, IGNORED],
  [RECOVERED]: [UNRECOVERED],
  [IGNORED]: [UNRECOVERED, RECOVERED],
  [REGRESSED]: [UNRECOVERED, RECOVERED, IGNORED],
};

/** Refuses an impossible change with BAD_USER_INPUT naming the ones that are possible. */
export function checkTransition(what: string, from: RecoveryStatus, to: RecoveryStatus): void {
  if (NEXT[from].includes(to)) return;
  throw new BadUserInputError(`${what} is ${from}: it can become ${NEXT[from].join(' or ')}, not ${to}`);
}

/** The statuses from which `to` may be reached: the occurrences a group's change applies to. */
export function statusesLeadingTo(to: RecoveryStatus): RecoveryStatus[] {
  return (Object.keys(NEXT) as RecoveryStatus[]).filter((from) => NEXT[from].includes(to));
}

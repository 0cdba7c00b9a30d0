/**
 * The service-level objectives a step must meet for its users to count as held (issue 13;
 * the k6 scripts' thresholds are the same numbers, loadtest/README.md).
 */
export const slo = Object.freeze({
  firstDeltaP99Ms: 1000,
  tradeP99Ms: 100,
  liveDeliveryP99Ms: 500,
});

/** What a step measured that the objectives judge; latencies are p99s in ms (NaN: no sample). */
export interface StepOutcome {
  firstDeltaP99Ms: number;
  tradeP99Ms: number;
  liveDeliveryP99Ms: number;
  /** Trades with no answer by the end of the drain, or answered with a fault (not a market's refusal). */
  tradesLost: number;
  /** Runs that did not end with `agent.done` `end_turn` (errors, refusals, still open at the end). */
  runsLost: number;
  /** Live events a socket should have had and did not (no conflation involved), or sockets closed on it. */
  liveGaps: number;
  /** Resubscriptions with `since` that got a snapshot instead of the missed events. */
  resumesNotRecovered: number;
}

/** The objectives a step broke, by name; empty when it held. A latency with no sample breaks nothing. */
export function brokenObjectives(step: StepOutcome): string[] {
  const broken: string[] = [];
  if (step.firstDeltaP99Ms > slo.firstDeltaP99Ms) broken.push("first delta p99");
  if (step.tradeP99Ms > slo.tradeP99Ms) broken.push("trade p99");
  if (step.liveDeliveryP99Ms > slo.liveDeliveryP99Ms) broken.push("live delivery p99");
  if (step.tradesLost > 0) broken.push("trades lost");
  if (step.runsLost > 0) broken.push("runs lost");
  if (step.liveGaps > 0 || step.resumesNotRecovered > 0) broken.push("live gap");
  return broken;
}

/**
 * A shared 2-core machine has stalls the test does not cause (another process's burst), so one
 * broken step is confirmed by the next: the ramp stops after `confirm` broken steps in a row.
 */
export function rampOver(steps: readonly { broken: readonly string[] }[], confirm = 2): boolean {
  const last = steps.slice(-confirm);
  return last.length === confirm && last.every((s) => s.broken.length > 0);
}

/**
 * Users held: the largest step that met every objective below the first `confirm` broken steps
 * in a row (0 if none held). A lone broken step between held ones is reported, not counted.
 */
export function usersHeld(
  steps: readonly { users: number; broken: readonly string[] }[],
  confirm = 2,
): number {
  let held = 0;
  for (let i = 0; i < steps.length; i++) {
    if (rampOver(steps.slice(0, i + 1), confirm)) break;
    if (steps[i]!.broken.length === 0) held = steps[i]!.users;
  }
  return held;
}

import type { AlertRecord } from "../../../../shared/store/agent-records.js";
import { json } from "../../../../shared/store/sql.js";
import { type AlertRow, toAlert } from "../../../../shared/store/sql-agent-records.js";

/**
 * The price alerts a trade fires in its own statement (store.ts `TradeRecord.firedAlerts`): the
 * levels its prices reach, and the alerts the statement marked fired.
 */

/** A `market` event's price (views.ts `toPrice`: 4 decimals, within 0.0001–0.9999) × 10,000. */
export function alertLevels(outcomes: readonly string[], after: readonly number[]): Record<string, number> {
  return Object.fromEntries(
    outcomes.map((o, i) => [o, Math.min(9999, Math.max(1, Math.round((after[i] ?? 0) * 10_000)))]),
  );
}

/** The alerts the statement fired, from its `fired_alerts` column (a jsonb array of alert rows). */
export function firedAlerts(column: unknown): AlertRecord[] {
  return json<AlertRow[]>(column).map(toAlert);
}

/**
 * The LeaderLease port: one lease shared by every process that may run the match clock, so that
 * at most one runs it. Adapters: `createNatsLeaderLease` (a JetStream KV bucket, for processes on
 * one NATS) and `createMemoryLeaseTable().lease()` (holders in one process). One contract suite
 * (`leader-lease.contract.ts`) runs against both.
 *
 * Contract (each lease object is one holder):
 * - `acquire` resolves true when this holder holds the lease afterwards (it was free, expired,
 *   released, or already this holder's), false while another holder's lease is live.
 * - `renew` extends this holder's lease to `ttlMs` from now and resolves true; false when this
 *   holder no longer holds it (it expired and another took it, or it was released).
 * - A lease neither renewed nor released expires `ttlMs` after it was last acquired or renewed;
 *   until then nobody else acquires it. `release` frees it at once if this holder holds it.
 * - When the lease's store cannot be reached, `acquire` and `renew` reject: the holder must then
 *   count its lease as lost once `ttlMs` has passed since the call of its last successful renewal.
 */
export interface LeaderLease {
  readonly ttlMs: number;
  acquire(): Promise<boolean>;
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

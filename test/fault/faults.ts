import { isLeading } from "../support/deployment.js";
import { pause, until } from "../support/polling.js";
import type { FaultDeployment, Slot } from "./fault-deployment.js";

/** One fault: `inject` breaks something and resolves once it is back (restarted and ready). */
export interface Fault {
  name: string;
  inject(): Promise<void>;
}

/**
 * The faults of the suite, in the order they are injected: each dependency, then each kind of
 * service. A dependency stays down for a while (PostgreSQL: the 8 s immediate stop); a
 * killed service is started again at once, with the same environment, as a supervisor would.
 */
export function faultsOf(fx: FaultDeployment, down: { postgresMs: number; brokerMs: number }): Fault[] {
  const killAndRestart = async (slot: Slot) => {
    await fx.kill(slot);
    await fx.restart(slot);
  };
  return [
    {
      name: `PostgreSQL immediate stop, ${down.postgresMs / 1000} s`,
      inject: async () => {
        await fx.postgres.crash();
        await pause(down.postgresMs);
        await fx.postgres.restart();
      },
    },
    {
      name: `NATS kill -9, ${down.brokerMs / 1000} s`,
      inject: async () => {
        await fx.nats.kill("SIGKILL");
        await pause(down.brokerMs);
        await fx.nats.restart();
      },
    },
    {
      name: `Redis kill -9, ${down.brokerMs / 1000} s`,
      inject: async () => {
        await fx.redis.kill("SIGKILL");
        await pause(down.brokerMs);
        await fx.redis.restart();
      },
    },
    { name: "gateway kill -9 (1 of 2)", inject: () => killAndRestart(fx.gateways[0]!) },
    { name: "agent-worker kill -9 (1 of 2)", inject: () => killAndRestart(fx.workers[0]!) },
    { name: "exchange kill -9 (the only one)", inject: () => killAndRestart(fx.exchange) },
    {
      name: "market-feed kill -9 (the leader)",
      inject: async () => {
        await until(() => fx.feeds.some((f) => isLeading(f.process)), 10_000, "a leading feed").catch(
          (err: Error) => {
            const tails = fx.feeds.map((f) => `${f.label}:\n${f.process.output().slice(-1500)}`);
            throw new Error(`${err.message}\n${tails.join("\n")}`);
          },
        );
        await killAndRestart(fx.feeds.find((f) => isLeading(f.process))!);
      },
    },
  ];
}

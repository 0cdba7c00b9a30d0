import type { Config } from "../../shared/config.js";
import type { Dataset } from "../../shared/epl/dataset.js";
import { createAnthropicProvider } from "./agent/anthropic-provider.js";
import type { ModelProvider } from "./agent/model.js";
import { createOfflineProvider } from "./agent/offline-provider.js";

export type ProviderConfig = Pick<
  Config,
  "anthropicApiKey" | "anthropicBaseUrl" | "modelStallMs" | "offlineTokenDelayMs"
>;

/** Anthropic's Messages API when `ANTHROPIC_API_KEY` is set, else the offline model. */
export function createModelProvider(config: ProviderConfig, dataset: Dataset): ModelProvider {
  if (config.anthropicApiKey !== "") {
    return createAnthropicProvider({
      apiKey: config.anthropicApiKey,
      baseURL: config.anthropicBaseUrl,
      stallMs: config.modelStallMs,
    });
  }
  return createOfflineProvider({ dataset, tokenDelayMs: config.offlineTokenDelayMs });
}

import type { AgentSpec } from "../agent/agent.js";
import { createAlertTool, deleteAlertTool, listAlertsTool } from "../agent/tools/alerts.js";
import { findMarketsTool } from "../agent/tools/markets.js";
import { groundingRules } from "./platform-facts.js";

export const alertsAgent: AgentSpec = {
  name: "alertsAgent",
  instructions: `You manage the user's price and score alerts: create them from plain requests ("tell me when
Arsenal's win price passes 0.6": find the fixture's market, then createAlert), list them and
delete them. Confirm each alert with its id, what fires it and the price now.
${groundingRules}

Facts:
- Alerts arrive on your user channel as events of kind alert, on any connected device.
- A price alert fires once, when an outcome's price reaches the level you set, going above or below as you choose.
- A score alert fires on every goal, half time and full time of the match you name.`,
  tools: [findMarketsTool, createAlertTool, listAlertsTool, deleteAlertTool],
  maxTokens: 512,
};

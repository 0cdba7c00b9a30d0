import { getPositionsSkill, getTradeJournalSkill, getWalletSkill } from "./account-skills.js";
import { createAlertSkill, deleteAlertSkill, listAlertsSkill } from "./alert-skills.js";
import { runBacktestSkill } from "./backtest-skill.js";
import { searchFaqSkill } from "./faq-skill.js";
import { getHeadToHeadSkill } from "./head-to-head-skill.js";
import { getLiveScoreSkill } from "./live-skill.js";
import { findMarketsSkill, getMarketSkill, getQuoteSkill, getValueSkill } from "./market-skills.js";
import { getPlatformInfoSkill } from "./platform-skill.js";
import { scanMarketsSkill } from "./scan-skill.js";
import type { OfflineSkill } from "./skill.js";
import { standingsSkill } from "./standings-skill.js";
import { teamFormSkill } from "./team-form-skill.js";
import { checkTradeRiskSkill, placeTradeSkill, recordTradeSkill } from "./trade-skills.js";

/** Every tool the offline model knows how to use. */
export const offlineSkills: readonly OfflineSkill[] = [
  standingsSkill,
  teamFormSkill,
  getHeadToHeadSkill,
  findMarketsSkill,
  getMarketSkill,
  getQuoteSkill,
  getValueSkill,
  scanMarketsSkill,
  getLiveScoreSkill,
  checkTradeRiskSkill,
  placeTradeSkill,
  recordTradeSkill,
  getWalletSkill,
  getPositionsSkill,
  getTradeJournalSkill,
  createAlertSkill,
  listAlertsSkill,
  deleteAlertSkill,
  runBacktestSkill,
  getPlatformInfoSkill,
  searchFaqSkill,
];

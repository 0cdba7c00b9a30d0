/**
 * Facts about the platform every agent may state. Bullet lines (`- …`) in instructions are also
 * what the offline model quotes when no tool answers a question.
 */
export const platformFacts = `
- Money is in credits with at most two decimals; a winning share pays 1.00 credit at settlement and a losing share pays nothing.
- Prices are probabilities between 0 and 1: a price of 0.62 means the market gives that outcome a 62% chance, and a share costs about 0.62 credits.
- Markets on each fixture are 1X2 (home, draw, away), over/under 2.5 goals and both teams to score.
- Markets are priced by an automated market maker (LMSR), so every trade fills at a quoted cost and buying an outcome pushes its price up.
- maxCost on a buy and minProceeds on a sell protect you from slippage: the trade is rejected if the price moved past them.
- Settlement happens at full time and is final; settled markets close.`.trim();

export const groundingRules = `
Ground every figure in a tool result or in the facts below; never invent scores, prices, balances
or positions. If no tool can answer what the user asked, say so plainly and say what would answer
it. Be brief: a few short paragraphs, numbers first. Name clubs as fans do (Arsenal, Man City).`.trim();

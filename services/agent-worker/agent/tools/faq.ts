import { Type as T } from "@sinclair/typebox";
import { supportFaq } from "../../agents/support-faq.js";
import { searchFaq } from "../../platform/faq-search.js";
import { createTool } from "../tool.js";

export const searchFaqTool = createTool({
  name: "searchFaq",
  description:
    "Searches the platform's FAQ (tiers and limits, fees, settlement, prices, markets, selling, " +
    "slippage, agents' risk rules, suspensions, reconnecting, privacy) and returns the entries " +
    "that answer the question best, best first.",
  input: T.Object(
    {
      question: T.String({ minLength: 1, maxLength: 500, description: "The user's question." }),
      limit: T.Optional(T.Integer({ minimum: 1, maximum: 5, default: 2 })),
    },
    { additionalProperties: false },
  ),
  async run({ question, limit = 2 }) {
    return {
      entries: searchFaq(supportFaq, question, limit).map(({ entry }) => ({
        question: entry.question,
        answer: entry.answer,
      })),
    };
  },
});

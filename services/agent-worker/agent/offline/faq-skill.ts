import type { OfflineSkill } from "./skill.js";

type FaqOutput = { entries: { question: string; answer: string }[] };

export const searchFaqSkill: OfflineSkill = {
  tool: "searchFaq",
  topic: "the platform's FAQ",
  plan(q) {
    // The user's words, without the run's context line.
    const question = q.text
      .replace(/\n\nContext: .*$/s, "")
      .trim()
      .slice(0, 500);
    if (question === "") return [];
    // "How much do I start with, and can I sell before full time?" is two questions: one search each.
    const parts = question
      .split(/\?\s*|[,;]?\s+and\s+(?=(?:can|how|what|why|is|are|do|does|when|where|which|who|will)\b)/i)
      .map((part) => part.replace(/^[,\s]+|[,\s]+$/g, ""))
      .filter((part) => part.split(/\s+/).length >= 3);
    return parts.length > 1 ? parts.map((part) => ({ question: part, limit: 1 })) : [{ question }];
  },
  write(findings) {
    const seen = new Set<string>();
    const entries = findings
      .flatMap((f) => (f.output as FaqOutput).entries)
      .filter((e) => !seen.has(e.question) && seen.add(e.question) !== undefined);
    if (entries.length === 0)
      return ["The FAQ has nothing on that; ask me about tiers, fees, settlement, prices or trading."];
    return entries.map((e) => `${e.question} ${e.answer}`);
  },
};

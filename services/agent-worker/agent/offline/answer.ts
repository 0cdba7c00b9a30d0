import type { Question } from "./question.js";
import type { Finding, OfflineSkill } from "./skill.js";
import { contentWords, listing } from "./words.js";

interface RankedFact {
  fact: string;
  index: number;
  /** Content words shared with the question. */
  shared: number;
  /** The shared words, each weighted by 1 / the number of facts containing it. */
  weight: number;
}

export interface ToolFailure {
  tool: string;
  message: string;
}

/** Facts quoted when a question matches none well; a reply should stay a few sentences. */
const maxFacts = 3;

/**
 * The offline model's reply: each skill's write-up of its findings, the failures it met, and the
 * agent's own knowledge. An agent's instructions carry that knowledge as bullet lines (`- …`):
 * facts the offline model may quote, chosen by how many content words they share with the question.
 */
export function writeAnswer(input: {
  question: Question;
  system: string;
  skills: ReadonlyMap<string, OfflineSkill>;
  findings: ReadonlyMap<string, Finding[]>;
  failures: readonly ToolFailure[];
}): string {
  const { question, system, skills, findings, failures } = input;
  const paragraphs: string[] = [];
  for (const [tool, found] of findings) {
    const skill = skills.get(tool);
    if (skill) paragraphs.push(...skill.write(found, question, findings));
  }
  for (const failure of failures) {
    paragraphs.push(`I couldn't use ${failure.tool}: ${failure.message}.`);
  }

  const facts = rankFacts(system, question.text);
  const best = facts[0];
  if (paragraphs.length > 0) {
    // Beside real findings, only a fact that is clearly on topic earns a place.
    if (best && best.shared >= 2) paragraphs.push(best.fact);
    return paragraphs.join("\n\n");
  }

  // Facts about as relevant as the best one; the first two when none is relevant at all.
  const relevant = facts
    .filter((f) => best && f.weight > 0 && f.weight >= best.weight / 2)
    .slice(0, maxFacts);
  const chosen = relevant.length > 0 ? relevant : facts.slice(0, 2);
  const ordered = chosen.sort((a, b) => a.index - b.index).map((f) => f.fact);
  const topics = [...question.tools].flatMap((t) => skills.get(t)?.topic ?? []);
  if (topics.length > 0) {
    ordered.push(`Ask me about ${listing(topics)} and I'll answer from the platform's real data.`);
  }
  return ordered.length > 0 ? ordered.join(" ") : "I have nothing to go on for that question.";
}

/** An agent's facts with their content words and how many facts hold each word. */
interface FactIndex {
  facts: string[];
  words: Set<string>[];
  spread: Map<string, number>;
}

/**
 * Indexed once per agent: an agent's instructions are the same at every run (agent specs are
 * fixed), and reading them again was a tenth of a run's offline-model time. Bounded all the same,
 * should a caller ever pass instructions of its own.
 */
const factIndexes = new Map<string, FactIndex>();
const maxFactIndexes = 64;

function factIndex(system: string): FactIndex {
  let index = factIndexes.get(system);
  if (index === undefined) {
    const facts = system
      .split("\n")
      .filter((line) => line.startsWith("- "))
      .map((line) => line.slice(2).trim());
    const words = facts.map((fact) => contentWords(fact));
    const spread = new Map<string, number>();
    for (const set of words) for (const word of set) spread.set(word, (spread.get(word) ?? 0) + 1);
    index = { facts, words, spread };
    if (factIndexes.size >= maxFactIndexes) factIndexes.clear();
    factIndexes.set(system, index);
  }
  return index;
}

/**
 * Facts ranked by the content words they share with the question, each word weighted by how few
 * facts contain it, so "backtest" outweighs "agent" when every fact mentions agents.
 */
function rankFacts(system: string, text: string): RankedFact[] {
  const asked = contentWords(text);
  const { facts, words, spread } = factIndex(system);
  return facts
    .map((fact, index) => {
      const common = [...words[index]!].filter((word) => asked.has(word));
      const weight = common.reduce((sum, word) => sum + 1 / spread.get(word)!, 0);
      return { fact, index, shared: common.length, weight };
    })
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
}

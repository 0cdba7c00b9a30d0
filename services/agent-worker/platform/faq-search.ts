export interface FaqMatch<E> {
  entry: E;
  /** Question words found in the entry, each weighted by how few entries contain it. */
  score: number;
}

const ignored = new Set(
  "a an and are as at be by can do does for from get happens how i if in is it me my of on or so the there to what when which who why will with you your".split(
    " ",
  ),
);

function words(text: string): Set<string> {
  const found = text.toLowerCase().match(/[a-z0-9_]+/g) ?? [];
  return new Set(
    found.filter((w) => !ignored.has(w)).map((w) => (w.length > 4 ? w.replace(/(es|s|ing|ed)$/, "") : w)),
  );
}

/**
 * The entries that answer `question` best, best first: an entry scores the question's words it
 * holds (question, answer or keywords), each weighted by 1 / the number of entries holding it, so
 * "fees" outweighs "trade". Entries scoring under half the best are left out.
 */
export function searchFaq<E extends { question: string; answer: string; keywords: string }>(
  entries: readonly E[],
  question: string,
  limit: number,
): FaqMatch<E>[] {
  const asked = words(question);
  const bags = entries.map((e) => words(`${e.question} ${e.keywords} ${e.answer}`));
  const spread = new Map<string, number>();
  for (const bag of bags) for (const w of bag) spread.set(w, (spread.get(w) ?? 0) + 1);
  const scored = entries
    .map((entry, i) => ({
      entry,
      score: [...asked].reduce((sum, w) => sum + (bags[i]!.has(w) ? 1 / spread.get(w)! : 0), 0),
    }))
    .filter((m) => m.score > 0)
    .sort((a, b) => b.score - a.score);
  const best = scored[0]?.score ?? 0;
  return scored.filter((m) => m.score >= best / 2).slice(0, limit);
}

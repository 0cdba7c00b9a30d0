import { AppError } from "../errors.js";
import type { Dataset } from "./dataset.js";
import { shortName, teamSlug } from "./dataset.js";

const aliases: Record<string, string> = {
  "man utd": "manchester-united",
  "man united": "manchester-united",
  "man u": "manchester-united",
  "man city": "manchester-city",
  spurs: "tottenham-hotspur",
  wolves: "wolverhampton-wanderers",
  villa: "aston-villa",
  forest: "nottingham-forest",
  "nottm forest": "nottingham-forest",
  newcastle: "newcastle-united",
  "west ham": "west-ham-united",
  brighton: "brighton-and-hove-albion",
  palace: "crystal-palace",
  leeds: "leeds-united",
};

interface TeamIndex {
  /** Each team with its slug, in dataset order. */
  slugs: { team: string; slug: string }[];
  /**
   * Lower-case names, short names and aliases that name a team, longest first, each with a space
   * either side as `teamsMentioned` looks for them (padded once, not at every call).
   */
  padded: [name: string, team: string][];
}

/** Built once per dataset: agents resolve teams on every run, and slugging 20 names each time showed in profiles. */
const indexes = new WeakMap<Dataset, TeamIndex>();

function teamIndex(data: Dataset): TeamIndex {
  let index = indexes.get(data);
  if (index !== undefined) return index;
  const slugs = data.teams.map((team) => ({ team, slug: teamSlug(team) }));
  const names = new Map<string, string>();
  for (const team of data.teams) {
    names.set(shortName(team).toLowerCase(), team);
    names.set(team.toLowerCase(), team);
  }
  for (const [alias, slug] of Object.entries(aliases)) {
    const team = slugs.find((t) => t.slug === slug)?.team;
    if (team) names.set(alias, team);
  }
  const sorted = [...names.entries()].sort((a, b) => b[0].length - a[0].length);
  index = { slugs, padded: sorted.map(([name, team]) => [` ${name} `, team]) };
  indexes.set(data, index);
  return index;
}

/**
 * Resolves what a person types (`arsenal`, `Man City`, `spurs`, `Brighton & Hove Albion FC`) to
 * the dataset's team name, or undefined. Exact names and aliases first, then a unique prefix or
 * word match, so "united" alone stays ambiguous rather than guessing.
 */
export function findTeam(data: Dataset, text: string): string | undefined {
  const query = text.trim().toLowerCase();
  if (!query) return undefined;
  const slug = aliases[query] ?? teamSlug(query);
  const { slugs } = teamIndex(data);
  const exact = slugs.find((t) => t.slug === slug || t.team.toLowerCase() === query);
  if (exact) return exact.team;
  const candidates = slugs.filter((t) => t.slug.startsWith(slug) || t.slug.split("-").includes(slug));
  return candidates.length === 1 ? candidates[0]!.team : undefined;
}

/** `findTeam`, or `not_found` with a sentence a person (or a model) can act on. */
export function requireTeam(data: Dataset, text: string): string {
  const team = findTeam(data, text);
  if (team === undefined) {
    throw new AppError(
      "not_found",
      `no Premier League team matches "${text}"; use a club name such as "Arsenal" or "Man City"`,
    );
  }
  return team;
}

/** Every team named in free text, in order of appearance (for the offline model and tools). */
export function teamsMentioned(data: Dataset, text: string): string[] {
  const lower = ` ${text.toLowerCase().replace(/[^a-z0-9&' ]+/g, " ")} `;
  const found: { team: string; at: number }[] = [];
  for (const [name, team] of teamIndex(data).padded) {
    const at = lower.indexOf(name);
    if (at >= 0 && !found.some((f) => f.team === team)) found.push({ team, at });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.team);
}

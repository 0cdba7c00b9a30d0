/**
 * What a request asks that no agent may do, whatever it is phrased as: act for someone other
 * than the user who asked, or set the platform's rules aside. Checked on the user's words before
 * the model or any tool runs, so a persuasive model turn cannot get past it.
 */
export type RefusedIntent = "for_someone_else" | "ignore_rules";

export interface Refusal {
  intent: RefusedIntent;
  /** The one sentence the user reads instead of an answer. */
  message: string;
}

const relation =
  "friend|mate|brother|sister|wife|husband|partner|girlfriend|boyfriend|dad|father|mum|mom|mother|son|daughter|colleague|boss|client|neighbou?r|flatmate|roommate|cousin|uncle|aunt";

const forSomeoneElse = new RegExp(
  [
    String.raw`\bon behalf of\b`,
    String.raw`\bfor (?:my|our|a|his|her|their) (?:${relation})s?\b`,
    String.raw`\b(?:my|our) (?:${relation})'?s (?:account|wallet|balance|credits|money|positions?|portfolio|login)\b`,
    String.raw`\bfor (?:another|other|a different) (?:user|account|person|customer)\b`,
    String.raw`\b(?:another|other|a different) (?:user|person|customer)'?s\b`,
    String.raw`\b(?:for|as) user\s+[\w.:-]+`,
    String.raw`\b(?:someone|somebody|anyone|anybody) else'?s?\b`,
    String.raw`\b(?:using|with|from|on|into) (?!my\b|your\b|the\b)\w+'s (?:account|wallet|credits|balance|money|login)\b`,
  ].join("|"),
  "i",
);

const ignoreRules = new RegExp(
  [
    String.raw`\b(?:ignore|disregard|forget|bypass|skip|override|disable|turn off|switch off|get around|work around|break)\b[^.?!]{0,40}\b(?:rules?|limits?|caps?|risk checks?|checks?|instructions|restrictions?|guardrails?|polic(?:y|ies)|safeguards?)\b`,
    String.raw`\bwithout (?:the |any )?(?:risk )?(?:checks?|limits?|caps?)\b`,
    String.raw`\b(?:no|without) (?:rules|limits)\b`,
    String.raw`\b(?:pretend|act as if) (?:you are|you're|there (?:is|are)) (?:no|not)\b`,
  ].join("|"),
  "i",
);

export function checkIntent(input: string): Refusal | undefined {
  // The run's context line ("Context: match …") is ours, not the user's words.
  const words = input.replace(/\n\nContext: .*$/s, "");
  if (ignoreRules.test(words)) {
    return {
      intent: "ignore_rules",
      message:
        "I can't do that: the platform's rules are not mine to set aside. Every agent trade passes the risk checks (the per-run stake cap, at most 25% of your balance, an open market) and nothing in a request switches them off. Ask again within the rules and I'll help.",
    };
  }
  if (forSomeoneElse.test(words)) {
    return {
      intent: "for_someone_else",
      message:
        "I can't act for someone else: an agent only reads and trades the account of the signed-in user who asked, with that user's own credits. The other person has to sign in and ask themselves.",
    };
  }
  return undefined;
}

import type { Question } from "./question.js";

/** A tool call the offline model made and the output it got back. */
export interface Finding {
  input: unknown;
  output: unknown;
}

/**
 * What the offline model knows about one tool: when to call it and how to write up what it
 * returned. Tools that need another's answer (a trade needs the market found) plan on a later
 * turn, once that answer is among the findings. A tool without a skill is never called offline; adding a tool's skill to
 * `offlineSkills` is what makes the offline model use it.
 */
export interface OfflineSkill {
  tool: string;
  /** What the tool answers, for "ask me about …" (e.g. "a team's recent form"). */
  topic: string;
  /**
   * Inputs to call the tool with for this question, given what earlier calls of this run found
   * (tool name → findings, in call order); empty when the tool is no help or still waits for
   * another tool's answer. A call made before is not made again, so a skill may keep planning it.
   */
  plan(question: Question, findings: ReadonlyMap<string, readonly Finding[]>): Record<string, unknown>[];
  /**
   * What the model says in the stream before it makes this call, when the call acts for the user
   * (a trade states its stake, price and expected value first), grounded in earlier findings.
   */
  announce?(
    input: Record<string, unknown>,
    question: Question,
    findings: ReadonlyMap<string, readonly Finding[]>,
  ): string | undefined;
  /** Paragraphs grounded in the tool's outputs (`all`: every tool's findings, for context). */
  write(
    findings: readonly Finding[],
    question: Question,
    all: ReadonlyMap<string, readonly Finding[]>,
  ): string[];
}

import type { Question } from "./question.js";

/** A tool call the offline model made and the output it got back. */
export interface Finding {
  input: unknown;
  output: unknown;
}

/**
 * What the offline model knows about one tool: when to call it and how to write up what it
 * returned. A tool without a skill is never called offline; adding a tool's skill to
 * `offlineSkills` is what makes the offline model use it.
 */
export interface OfflineSkill {
  tool: string;
  /** What the tool answers, for "ask me about …" (e.g. "a team's recent form"). */
  topic: string;
  /** Inputs to call the tool with for this question; empty when the tool is no help. */
  plan(question: Question): Record<string, unknown>[];
  /** Paragraphs grounded in the tool's outputs. */
  write(findings: readonly Finding[], question: Question): string[];
}

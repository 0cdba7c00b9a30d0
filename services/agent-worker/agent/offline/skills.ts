import type { OfflineSkill } from "./skill.js";
import { standingsSkill } from "./standings-skill.js";
import { teamFormSkill } from "./team-form-skill.js";

/** Every tool the offline model knows how to use. */
export const offlineSkills: readonly OfflineSkill[] = [standingsSkill, teamFormSkill];

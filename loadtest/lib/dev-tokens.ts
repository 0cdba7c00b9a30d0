export interface LoadUser {
  userId: string;
  tier: "free" | "pro";
}

/** `count` users named `<prefix>-<i>`; every `proEvery`-th one (from the first) is pro, the rest free. */
export function loadUsers(count: number, prefix = "lt-user", proEvery = 2): LoadUser[] {
  return Array.from({ length: count }, (_, i) => ({
    userId: `${prefix}-${i}`,
    tier: i % proEvery === 0 ? "pro" : "free",
  }));
}

/** A token per user from `POST /api/auth/dev-token` of the gateway at `baseUrl`, in order. */
export async function fetchDevTokens(baseUrl: string, users: readonly LoadUser[]): Promise<string[]> {
  return Promise.all(
    users.map(async (user) => {
      const response = await fetch(`${baseUrl}/api/auth/dev-token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(user),
      });
      if (!response.ok) throw new Error(`dev token for ${user.userId}: HTTP ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    }),
  );
}
